// The "what changed" feed and its navigation to the customer.
import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { RequireScope } from '../auth/operation-scopes';
import { Scope } from '../auth/scopes';
import { getCustomer } from '../customers/customer.service';
import { Customer } from '../customers/customer.types';
import type { GraphQLContext } from '../context';
import type { ConnectionResult } from '../infra/pagination';
import { listChanges } from './change.service';
import { Change, ChangeConnection, ChangesArgs } from './change.types';

@Resolver(() => Change)
export class ChangeResolver {
  @RequireScope(Scope.READ)
  @Query(() => ChangeConnection, {
    nullable: true,
    description:
      'What changed since an instant, newest first: tier changes, score drops within a tier, failed payments, urgent tickets, detractor answers.',
  })
  changes(@Args() args: ChangesArgs, @Ctx() { db }: GraphQLContext): Promise<ConnectionResult<Change>> {
    return listChanges(db, args);
  }

  @RequireScope(Scope.READ)
  @FieldResolver(() => Customer, { description: 'The customer this change is about (one statement per request for all of them).' })
  customer(@Root() change: Change, @Ctx() { db, loaders }: GraphQLContext): Promise<Customer> {
    return getCustomer(db, loaders, change.customerId);
  }
}
