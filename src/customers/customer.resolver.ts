// Thin resolver: GraphQL arguments in, service call, GraphQL shape out. A page of customers may join
// the edges it selects into its own statement (joined-edges.ts).
import { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root, UseMiddleware } from 'type-graphql';
import { RequireScope, RequireScopeForArgument } from '../auth/operation-scopes';
import { auditAdminAction } from '../auth/audit.middleware';
import { Scope } from '../auth/scopes';
import type { GraphQLContext } from '../context';
import type { ConnectionResult } from '../infra/pagination';
import { selectedFields } from '../infra/selection';
import { hasScope } from '../auth/principal';
import { getCustomer, listCustomers, REASON_WITHOUT_CHURN_DATE, setCommunicationOptOut, upsertCustomer } from './customer.service';
import { loadCustomerPlanChanges } from './customer-plan-change.service';
import { Customer, CustomerConnection, CustomerInput, CustomersArgs, PageArgs, PlanChange, PlanChangeConnection } from './customer.types';
import { joinedEdgeColumns } from './joined-edges';

const optOutOf = (input: unknown): boolean | null | undefined => (input as CustomerInput | undefined)?.communicationOptOut;
// The audit target is the customer as stored (the result), not the argument as typed: ` cust_1 ` is `cust_1`.
const optOutTarget = (_args: unknown, result: unknown): string => (result as Customer).id;

@Resolver(() => Customer)
export class CustomerResolver {
  @RequireScope(Scope.READ)
  @Query(() => Customer, { nullable: true, description: 'One customer by its id; NOT_FOUND when unknown.' })
  customer(@Arg('id', () => ID) id: string, @Ctx() { db, loaders }: GraphQLContext): Promise<Customer> {
    return getCustomer(db, loaders, id, 'id');
  }

  @RequireScope(Scope.READ)
  @Query(() => CustomerConnection, {
    nullable: true,
    description: 'Customers, filtered by tier, lifecycleStage, csmOwner, plan and search, in the order orderBy (NAME_ASC by default).',
  })
  customers(
    @Args() args: CustomersArgs,
    @Ctx() { db, loaders }: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ConnectionResult<Customer>> {
    // Only the customer columns the page selects are read, and the edges it can join (joined-edges.ts).
    const node = selectedFields(info, ['edges', 'node']);
    return listCustomers(db, args, joinedEdgeColumns(node, info, loaders), node);
  }

  @RequireScope(Scope.INGEST)
  // Setting communicationOptOut here is the opt-out change setCommunicationOptOut makes: admin, audited,
  // and refused before the operation runs (RequireScopeForArgument) as well as by the audit's own check.
  // Setting contactEmail needs read as well: the messages sent there show the customer's score and
  // signals, and carry its unsubscribe link, which an ingest-only key must not redirect to itself. A
  // churn reason without churnedAt needs read too: whether it is taken says whether the account churned.
  // The dates a stored customer compares (sign-up, plan change) are the service's to check, under its turn.
  @RequireScopeForArgument(
    { path: ['input', 'communicationOptOut'], scopes: [Scope.ADMIN], action: 'customer.optOut' },
    { path: ['input', 'contactEmail'], scopes: [Scope.READ], action: 'customer.contactEmail' },
    REASON_WITHOUT_CHURN_DATE,
  )
  @UseMiddleware(
    auditAdminAction('customer.optOut', {
      when: (args) => optOutOf(args.input) != null,
      target: optOutTarget,
      details: (args) => ({ optedOut: optOutOf(args.input) }),
    }),
  )
  @Mutation(() => Customer, {
    nullable: true,
    description:
      'Creates a customer by its id (scored soon after), or updates the fields given of one: fields left out keep their value, null clears one.',
  })
  upsertCustomer(
    @Arg('input', () => CustomerInput) input: CustomerInput,
    @Ctx() { db, services, auth }: GraphQLContext,
  ): Promise<Customer> {
    return upsertCustomer(db, services.scheduler, input, { mayReadStored: hasScope(auth.principal, Scope.READ) });
  }

  @RequireScope(Scope.READ)
  @FieldResolver(() => PlanChangeConnection, {
    description: "The customer's plan history (ARR and seats as each change took effect), the latest first.",
  })
  planChanges(
    @Root('id') customerId: string,
    @Args() args: PageArgs,
    @Ctx() { db, loaders }: GraphQLContext,
  ): Promise<ConnectionResult<PlanChange>> {
    return loadCustomerPlanChanges(db, loaders, customerId, args);
  }

  @RequireScope(Scope.ADMIN)
  @UseMiddleware(auditAdminAction('customer.optOut', { target: optOutTarget, details: (args) => ({ optedOut: args.optedOut }) }))
  @Mutation(() => Customer, {
    nullable: true,
    description: 'Opts a customer out of customer-facing outreach (or back in); audited. NOT_FOUND for an unknown customer.',
  })
  setCommunicationOptOut(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('optedOut') optedOut: boolean,
    @Ctx() { db }: GraphQLContext,
  ): Promise<Customer> {
    return setCommunicationOptOut(db, customerId, optedOut);
  }
}
