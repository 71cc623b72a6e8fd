// Key management (admin): list, create (the secret is in the answer, once), revoke. The service
// writes the audit entry; this instance's key registry is refreshed at once, the others within
// their refresh interval.
import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { RequireScope } from './operation-scopes';
import { PageArgs } from '../customers/customer.types';
import type { GraphQLContext } from '../context';
import type { ConnectionResult } from '../infra/pagination';
import { createApiKey, KeyActor, listApiKeys, revokeApiKey } from './api-key.service';
import { ApiKey, ApiKeyConnection, CreateApiKeyInput, CreatedApiKey, Viewer } from './api-key.types';
import { actorOf } from './principal';
import { Scope } from './scopes';

function actor(context: GraphQLContext): KeyActor {
  return { actor: actorOf(context.auth.principal), clientAddress: context.auth.clientAddress };
}

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @RequireScope(Scope.READ)
  @Query(() => Viewer, { nullable: true, description: "The calling key's name and scopes (every scope for a local session without keys)." })
  viewer(@Ctx() { auth }: GraphQLContext): Viewer {
    const { principal } = auth;
    return { keyName: principal.kind === 'key' ? principal.name : null, scopes: [...principal.scopes] };
  }

  @RequireScope(Scope.ADMIN)
  @Query(() => ApiKeyConnection, { nullable: true, description: 'Every API key, revoked ones included, newest first.' })
  apiKeys(@Args() args: PageArgs, @Ctx() { db }: GraphQLContext): Promise<ConnectionResult<ApiKey>> {
    return listApiKeys(db, args);
  }

  @RequireScope(Scope.ADMIN)
  @Mutation(() => CreatedApiKey, {
    nullable: true,
    description:
      'Creates a key; the answer holds its secret, shown this once. Once a key exists, every request needs one (loopback clients included).',
  })
  async createApiKey(
    @Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput,
    @Ctx() context: GraphQLContext,
  ): Promise<CreatedApiKey> {
    const created = await createApiKey(context.db, input, actor(context));
    await context.auth.keys.refresh();
    return created;
  }

  @RequireScope(Scope.ADMIN)
  @Mutation(() => ApiKey, {
    nullable: true,
    description: 'Revokes a key: it stops working, and its WebSockets close, within seconds on every instance.',
  })
  async revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<ApiKey> {
    const revoked = await revokeApiKey(context.db, id, actor(context));
    await context.auth.keys.refresh();
    return revoked;
  }
}
