// Support-ticket ingestion and `Customer.supportTickets`.
import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { RequireScope } from '../auth/operation-scopes';
import { Scope } from '../auth/scopes';
import { getCustomer } from '../customers/customer.service';
import { Customer } from '../customers/customer.types';
import type { GraphQLContext } from '../context';
import type { ConnectionResult } from '../infra/pagination';
import { loadCustomerSupportTickets, recordSupportTicket } from './support-ticket.service';
import { CustomerSupportTicketsArgs, SupportTicket, SupportTicketConnection, SupportTicketInput } from './support-ticket.types';

@Resolver(() => SupportTicket)
export class SupportTicketResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => Customer, { description: 'The customer this ticket belongs to (one statement per request for all of them).' })
  customer(@Root() row: { customerId: string }, @Ctx() { db, loaders }: GraphQLContext): Promise<Customer> {
    return getCustomer(db, loaders, row.customerId);
  }

  @RequireScope(Scope.INGEST)
  @Mutation(() => SupportTicket, {
    description:
      'Creates or updates a ticket by (customer, externalId) and marks the customer for rescoring. NOT_FOUND for an unknown customer.',
  })
  recordSupportTicket(
    @Arg('input', () => SupportTicketInput) input: SupportTicketInput,
    @Ctx() { db, services }: GraphQLContext,
  ): Promise<SupportTicket> {
    return recordSupportTicket(db, services.scheduler, input);
  }
}

@Resolver(() => Customer)
export class CustomerSupportTicketResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => SupportTicketConnection, { description: "The customer's tickets, most recently opened first." })
  supportTickets(
    @Root() customer: Customer,
    @Args() args: CustomerSupportTicketsArgs,
    @Ctx() { db, loaders }: GraphQLContext,
  ): Promise<ConnectionResult<SupportTicket>> {
    return loadCustomerSupportTickets(db, loaders, customer.id, args);
  }
}
