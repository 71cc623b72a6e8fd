// Support-ticket ingestion and `Customer.supportTickets`.
import { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, Info, Mutation, Resolver, Root } from 'type-graphql';
import { RequireScope, RequireScopeForArgument } from '../auth/operation-scopes';
import { AnswersStoredRecord } from '../auth/stored-readback';
import { Scope } from '../auth/scopes';
import { getCustomer } from '../customers/customer.service';
import { Customer } from '../customers/customer.types';
import type { GraphQLContext } from '../context';
import type { ConnectionResult } from '../infra/pagination';
import { selectedFields } from '../infra/selection';
import { answerAudience } from '../ingest/stored-record-readback';
import {
  loadCustomerSupportTickets,
  recordSupportTicket,
  RESOLUTION_WITHOUT_STATUS,
  SUPPORT_TICKET_READBACK,
} from './support-ticket.service';
import { CustomerSupportTicketsArgs, SupportTicket, SupportTicketConnection, SupportTicketInput } from './support-ticket.types';

@Resolver(() => SupportTicket)
export class SupportTicketResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => Customer, { description: 'The customer this ticket belongs to (one statement per request for all of them).' })
  customer(@Root() row: { customerId: string }, @Ctx() { db, loaders }: GraphQLContext): Promise<Customer> {
    return getCustomer(db, loaders, row.customerId);
  }

  @RequireScope(Scope.INGEST)
  @RequireScopeForArgument(RESOLUTION_WITHOUT_STATUS)
  @AnswersStoredRecord(SUPPORT_TICKET_READBACK)
  @Mutation(() => SupportTicket, {
    nullable: true,
    description:
      'Creates or updates a ticket by (customer, externalId) and marks the customer for rescoring. NOT_FOUND for an unknown customer.',
  })
  recordSupportTicket(
    @Arg('input', () => SupportTicketInput) input: SupportTicketInput,
    @Ctx() { db, services, auth }: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<SupportTicket> {
    return recordSupportTicket(db, services.scheduler, input, new Date(), answerAudience(auth.principal, selectedFields(info).keys()));
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
