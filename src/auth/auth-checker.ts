// type-graphql's authChecker: `@Authorized(Scope.X)` on a query, mutation, subscription or field
// resolver admits a principal holding X (or admin), and refuses anyone else with FORBIDDEN before
// the resolver runs, so a refused mutation writes nothing. Subscriptions are checked when they
// subscribe (type-graphql wraps `subscribe` too) and again for each event. A mutation is also
// refused once its key has been revoked on this instance, even by an earlier field of the same
// operation (revokeApiKey, then createApiKey): a revoked key stops working at once, not at its
// next request.
import type { AuthCheckerFn } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { ForbiddenError, RevokedKeyError } from './auth.errors';
import { hasScope } from './principal';
import type { Scope } from './scopes';

export const authChecker: AuthCheckerFn<GraphQLContext, Scope> = ({ context, info }, scopes) => {
  const principal = context.auth?.principal;
  if (
    info.parentType.name === 'Mutation' &&
    principal?.kind === 'key' &&
    context.auth.keys &&
    !context.auth.keys.isActive(principal.keyId)
  ) {
    throw new RevokedKeyError('this API key has been revoked: the rest of the operation is not run');
  }
  if (scopes.some((scope) => hasScope(context.auth?.principal, scope))) return true;
  throw new ForbiddenError(`${info.parentType.name}.${info.fieldName} needs the ${scopes.join(' or ')} scope`, { requiredScopes: scopes });
};
