// The outreach log query and the customer's outreach edges (the log is written by the scoring engine).
import { GraphQLResolveInfo } from 'graphql';
import { Args, Ctx, FieldResolver, Info, Query, Resolver, Root } from 'type-graphql';
import { RequireScope, RequireScopeBeforeRun } from '../auth/operation-scopes';
import { Scope } from '../auth/scopes';
import { checkCustomerFilter, getCustomer } from '../customers/customer.service';
import { Customer } from '../customers/customer.types';
import { joinedOrLoaded } from '../customers/joined-edges';
import type { GraphQLContext } from '../context';
import type { ConnectionResult } from '../infra/pagination';
import { selectedFields } from '../infra/selection';
import { listOutreachLog, loadCustomerOutreach, loadLastOutreachAction } from './outreach.service';
import { CustomerOutreachArgs, OutreachAction, OutreachActionConnection, OutreachLogArgs } from './outreach.types';

@Resolver(() => OutreachAction)
export class OutreachResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => Customer, { description: 'The customer this action belongs to (one statement per request for all of them).' })
  customer(@Root() row: { customerId: string }, @Ctx() { db, loaders }: GraphQLContext): Promise<Customer> {
    return getCustomer(db, loaders, row.customerId);
  }

  @RequireScope(Scope.READ)
  @Query(() => OutreachActionConnection, { nullable: true, description: 'The proactive outreach log, newest first.' })
  async outreachLog(@Args() args: OutreachLogArgs, @Ctx() { db, loaders }: GraphQLContext): Promise<ConnectionResult<OutreachAction>> {
    await checkCustomerFilter(db, loaders, args.customerId);
    return listOutreachLog(db, args);
  }
}

@Resolver(() => Customer)
export class CustomerOutreachResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => OutreachActionConnection, { description: "The customer's outreach log, newest first." })
  outreach(
    @Root('id') customerId: string,
    @Args() args: CustomerOutreachArgs,
    @Ctx() { db, loaders }: GraphQLContext,
  ): Promise<ConnectionResult<OutreachAction>> {
    return loadCustomerOutreach(db, loaders, customerId, args);
  }

  /** Batched per page, unless a page of customers joined it already (src/customers/joined-edges.ts). */
  @RequireScopeBeforeRun(Scope.READ)
  @FieldResolver(() => OutreachAction, { nullable: true, description: 'The most recent outreach action; null if none.' })
  lastOutreachAction(
    @Root() customer: { id: string },
    @Ctx() { db, loaders }: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): OutreachAction | null | Promise<OutreachAction | null> {
    return joinedOrLoaded(customer, 'lastOutreachAction', () => loadLastOutreachAction(db, loaders, customer.id, selectedFields(info)));
  }
}
