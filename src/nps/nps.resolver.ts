// NPS ingestion, the response list and summary, and the customer's NPS edges.
import { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root, UseMiddleware } from 'type-graphql';
import { auditAdminAction } from '../auth/audit.middleware';
import { RequireScope, RequireScopeBeforeRun } from '../auth/operation-scopes';
import { AnswersStoredRecord } from '../auth/stored-readback';
import { Scope } from '../auth/scopes';
import { checkCustomerFilter, getCustomer } from '../customers/customer.service';
import { Customer, PageArgs } from '../customers/customer.types';
import { joinedOrLoaded } from '../customers/joined-edges';
import type { GraphQLContext } from '../context';
import type { ConnectionResult } from '../infra/pagination';
import { selectedFields } from '../infra/selection';
import { answerAudience } from '../ingest/stored-record-readback';
import {
  deleteNpsResponse,
  listNpsResponses,
  loadCustomerNpsResponses,
  loadLatestNpsResponse,
  NPS_ANSWER_READBACK,
  submitNpsResponse,
  summariseNps,
} from './nps.service';
import { NpsResponse, NpsResponseConnection, NpsResponseInput, NpsResponsesArgs, NpsSummary, NpsSummaryArgs } from './nps.types';

@Resolver(() => NpsResponse)
export class NpsResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => Customer, { description: 'The customer this answer belongs to (one statement per request for all of them).' })
  customer(@Root() row: { customerId: string }, @Ctx() { db, loaders }: GraphQLContext): Promise<Customer> {
    return getCustomer(db, loaders, row.customerId);
  }

  @RequireScope(Scope.INGEST)
  @AnswersStoredRecord(NPS_ANSWER_READBACK)
  @Mutation(() => NpsResponse, {
    nullable: true,
    description:
      'Records one survey answer and marks the customer for rescoring; with an externalId already stored for the customer, replaces the fields sent (the same answer sent again changes nothing). NOT_FOUND for an unknown customer.',
  })
  submitNpsResponse(
    @Arg('input', () => NpsResponseInput) input: NpsResponseInput,
    @Ctx() { db, services, auth }: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<NpsResponse> {
    return submitNpsResponse(db, services.scheduler, input, new Date(), answerAudience(auth.principal, selectedFields(info).keys()));
  }

  @RequireScope(Scope.ADMIN)
  @UseMiddleware(
    auditAdminAction('npsResponse.delete', {
      target: (_args, result) => (result as NpsResponse).customerId,
      details: (_args, result) => ({ externalId: (result as NpsResponse).externalId, score: (result as NpsResponse).score }),
    }),
  )
  @Mutation(() => NpsResponse, {
    nullable: true,
    description:
      "Deletes the customer's answer stored under externalId (one submitted for the wrong customer), marks the customer for rescoring and returns the answer deleted. NOT_FOUND when there is none.",
  })
  deleteNpsResponse(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('externalId', () => String) externalId: string,
    @Ctx() { db, services }: GraphQLContext,
  ): Promise<NpsResponse> {
    return deleteNpsResponse(db, services.scheduler, customerId, externalId);
  }

  @RequireScope(Scope.READ)
  @Query(() => NpsResponseConnection, { nullable: true, description: 'Survey answers, newest first.' })
  async npsResponses(@Args() args: NpsResponsesArgs, @Ctx() { db, loaders }: GraphQLContext): Promise<ConnectionResult<NpsResponse>> {
    await checkCustomerFilter(db, loaders, args.customerId);
    return listNpsResponses(db, args);
  }

  @RequireScope(Scope.READ)
  @Query(() => NpsSummary, { nullable: true, description: 'Average, promoters/passives/detractors and NPS of the matching answers.' })
  async npsSummary(@Args() args: NpsSummaryArgs, @Ctx() { db, loaders }: GraphQLContext): Promise<NpsSummary> {
    await checkCustomerFilter(db, loaders, args.customerId);
    return summariseNps(db, args);
  }
}

@Resolver(() => Customer)
export class CustomerNpsResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => NpsResponseConnection, { description: "The customer's survey answers, newest first." })
  npsResponses(
    @Root('id') customerId: string,
    @Args() args: PageArgs,
    @Ctx() { db, loaders }: GraphQLContext,
  ): Promise<ConnectionResult<NpsResponse>> {
    return loadCustomerNpsResponses(db, loaders, customerId, args);
  }

  /** Batched per page, unless a page of customers joined it already (src/customers/joined-edges.ts). */
  @RequireScopeBeforeRun(Scope.READ)
  @FieldResolver(() => NpsResponse, { nullable: true, description: 'The most recent survey answer; null if none.' })
  latestNpsResponse(
    @Root() customer: { id: string },
    @Ctx() { db, loaders }: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): NpsResponse | null | Promise<NpsResponse | null> {
    return joinedOrLoaded(customer, 'latestNpsResponse', () => loadLatestNpsResponse(db, loaders, customer.id, selectedFields(info)));
  }
}
