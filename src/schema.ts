// The executable schema, assembled from every module's resolvers (type-graphql).
import { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { CustomerResolver } from './customers/customer.resolver';
import { CustomerEngagementResolver, EngagementResolver } from './engagement/engagement.resolver';
import type { AppPubSub } from './infra/pubsub';
import { CustomerNpsResolver, NpsResolver } from './nps/nps.resolver';
import { CustomerOutreachResolver, OutreachResolver } from './outreach/outreach.resolver';
import { CustomerPaymentResolver, PaymentResolver } from './payments/payment.resolver';
import { CustomerScoreResolver, ScoringResolver } from './scoring/scoring.resolver';
import { CustomerSupportTicketResolver, SupportTicketResolver } from './support/support-ticket.resolver';

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
] as const;

export function buildAppSchema(pubSub: AppPubSub): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: RESOLVERS as unknown as [Function, ...Function[]],
    pubSub,
    // Inputs are validated by each module's own functions so batch items can be reported by index.
    validate: false,
  });
}
