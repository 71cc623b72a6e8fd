// Engagement ingestion mutations, the event feed, and `Customer.engagementEvents`.
import { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { RequireScope } from '../auth/operation-scopes';
import { AnswersStoredRecord } from '../auth/stored-readback';
import { Scope } from '../auth/scopes';
import { checkCustomerFilter, getCustomer } from '../customers/customer.service';
import { Customer } from '../customers/customer.types';
import type { GraphQLContext } from '../context';
import type { ConnectionResult } from '../infra/pagination';
import { selectedFields } from '../infra/selection';
import { answerAudience } from '../ingest/stored-record-readback';
import { customerEngagementEvents, ENGAGEMENT_EVENT_READBACK, listEngagementEvents, trackEngagementBatch } from './engagement.service';
import {
  BatchIngestResult,
  CustomerEngagementArgs,
  EngagementEvent,
  EngagementEventConnection,
  EngagementEventInput,
  EngagementEventsArgs,
} from './engagement.types';

@Resolver(() => EngagementEvent)
export class EngagementResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => Customer, { description: 'The customer this event belongs to (one statement per request for all of them).' })
  customer(@Root() row: { customerId: string }, @Ctx() { db, loaders }: GraphQLContext): Promise<Customer> {
    return getCustomer(db, loaders, row.customerId);
  }

  @RequireScope(Scope.INGEST)
  @AnswersStoredRecord(ENGAGEMENT_EVENT_READBACK)
  @Mutation(() => EngagementEvent, { nullable: true, description: 'Records one product-usage event. NOT_FOUND for an unknown customer.' })
  trackEngagement(
    @Arg('input', () => EngagementEventInput) input: EngagementEventInput,
    @Ctx() { services, auth }: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<EngagementEvent> {
    // Concurrent calls share statements: the app's one writer (src/app.ts).
    return services.engagementWriter.write(input, new Date(), answerAudience(auth.principal, selectedFields(info).keys()));
  }

  @RequireScope(Scope.INGEST)
  @Mutation(() => BatchIngestResult, {
    nullable: true,
    description: 'Records up to 10,000 events; invalid items are reported by index, valid ones stored.',
  })
  async trackEngagementBatch(
    @Arg('events', () => [EngagementEventInput], { validate: false }) events: EngagementEventInput[],
    @Ctx() { db, services }: GraphQLContext,
  ): Promise<BatchIngestResult> {
    return trackEngagementBatch(db, services.scheduler, events);
  }

  @RequireScope(Scope.READ)
  @Query(() => EngagementEventConnection, { nullable: true, description: 'Events, newest first.' })
  async engagementEvents(
    @Args() args: EngagementEventsArgs,
    @Ctx() { db, loaders }: GraphQLContext,
  ): Promise<ConnectionResult<EngagementEvent>> {
    await checkCustomerFilter(db, loaders, args.customerId);
    return listEngagementEvents(db, args);
  }
}

@Resolver(() => Customer)
export class CustomerEngagementResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => EngagementEventConnection, { description: "The customer's events, newest first." })
  engagementEvents(
    @Root() customer: Customer,
    @Args() args: CustomerEngagementArgs,
    @Ctx() { db, loaders }: GraphQLContext,
  ): Promise<ConnectionResult<EngagementEvent>> {
    return customerEngagementEvents(db, loaders, customer.id, args);
  }
}
