// The executable schema, assembled from every module's resolvers (type-graphql).
import { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { ApiKeyResolver } from './auth/api-key.resolver';
import { AuditLogResolver } from './auth/audit-log.resolver';
import { authChecker } from './auth/auth-checker';
import { CustomerResolver } from './customers/customer.resolver';
import {
  DeliveryResolver,
  DestinationDeliveryCountsResolver,
  DestinationResolver,
  OutreachDeliveriesResolver,
} from './delivery/delivery.resolver';
import { CustomerEngagementResolver, EngagementResolver } from './engagement/engagement.resolver';
import type { AppPubSub } from './infra/pubsub';
import { CustomerNpsResolver, NpsResolver } from './nps/nps.resolver';
import { CustomerOutreachResolver, OutreachResolver } from './outreach/outreach.resolver';
import { CustomerPaymentResolver, PaymentResolver } from './payments/payment.resolver';
import { ChangeResolver } from './changes/change.resolver';
import { BacktestResolver } from './scoring/backtest/backtest.resolver';
import { CustomerScoreResolver, ScoringResolver, TierChangeResolver } from './scoring/scoring.resolver';
import { CustomerSupportTicketResolver, SupportTicketResolver } from './support/support-ticket.resolver';

// Every query and mutation field is declared `nullable: true`: a field that fails answers null with its
// error, and its siblings keep their answers (a non-null root field would null the whole `data`).
// test/server/schema-conventions.test.ts holds every field to it.
export const RESOLVERS = [
  CustomerResolver,
  EngagementResolver,
  CustomerEngagementResolver,
  NpsResolver,
  CustomerNpsResolver,
  PaymentResolver,
  CustomerPaymentResolver,
  SupportTicketResolver,
  CustomerSupportTicketResolver,
  OutreachResolver,
  CustomerOutreachResolver,
  ScoringResolver,
  CustomerScoreResolver,
  TierChangeResolver,
  BacktestResolver,
  ChangeResolver,
  ApiKeyResolver,
  AuditLogResolver,
  DestinationResolver,
  DeliveryResolver,
  DestinationDeliveryCountsResolver,
  OutreachDeliveriesResolver,
] as const;

export async function buildAppSchema(pubSub: AppPubSub): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...RESOLVERS],
    pubSub,
    // `@RequireScope(Scope.X)` (type-graphql's @Authorized) on every root field and on the customer's edges
    // but those a customers page joins (RequireScopeBeforeRun): see src/auth/scopes.ts and src/auth/operation-scopes.ts.
    authChecker,
    // Inputs are validated by each module's own functions so batch items can be reported by index.
    validate: false,
  });
}
