// Payment ingestion and `Customer.payments`.
import { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, Info, Mutation, Resolver, Root } from 'type-graphql';
import { RequireScope } from '../auth/operation-scopes';
import { AnswersStoredRecord } from '../auth/stored-readback';
import { Scope } from '../auth/scopes';
import { getCustomer } from '../customers/customer.service';
import { Customer, PageArgs } from '../customers/customer.types';
import type { GraphQLContext } from '../context';
import type { ConnectionResult } from '../infra/pagination';
import { selectedFields } from '../infra/selection';
import { answerAudience } from '../ingest/stored-record-readback';
import { loadCustomerPayments, PAYMENT_READBACK, recordPayment } from './payment.service';
import { Payment, PaymentConnection, PaymentInput } from './payment.types';

@Resolver(() => Payment)
export class PaymentResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => Customer, { description: 'The customer this payment belongs to (one statement per request for all of them).' })
  customer(@Root() row: { customerId: string }, @Ctx() { db, loaders }: GraphQLContext): Promise<Customer> {
    return getCustomer(db, loaders, row.customerId);
  }

  @RequireScope(Scope.INGEST)
  @AnswersStoredRecord(PAYMENT_READBACK)
  @Mutation(() => Payment, {
    nullable: true,
    description:
      'Records a payment attempt (upserted by customer and externalId when given) and marks the customer for rescoring. NOT_FOUND for an unknown customer.',
  })
  recordPayment(
    @Arg('input', () => PaymentInput) input: PaymentInput,
    @Ctx() { db, services, auth }: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Payment> {
    return recordPayment(db, services.scheduler, input, new Date(), answerAudience(auth.principal, selectedFields(info).keys()));
  }
}

@Resolver(() => Customer)
export class CustomerPaymentResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => PaymentConnection, { description: "The customer's payments, newest first." })
  payments(@Root() customer: Customer, @Args() args: PageArgs, @Ctx() { db, loaders }: GraphQLContext): Promise<ConnectionResult<Payment>> {
    return loadCustomerPayments(db, loaders, customer.id, args);
  }
}
