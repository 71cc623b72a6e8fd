// The executable schema, assembled from every module's resolvers (type-graphql).
import { GraphQLObjectType, GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { ApiKeyResolver } from './auth/api-key.resolver';
import { AuditLogResolver } from './auth/audit-log.resolver';
import { authChecker } from './auth/auth-checker';
import { CustomerResolver, JOINABLE_EDGES } from './customers/customer.resolver';
import { DeliveryResolver, DestinationDeliveryCountsResolver, DestinationResolver, OutreachDeliveriesResolver } from './delivery/delivery.resolver';
import { CustomerEngagementResolver, EngagementResolver } from './engagement/engagement.resolver';
import { joinedChild } from './infra/loaders';
import type { AppPubSub } from './infra/pubsub';
import { CustomerNpsResolver, NpsResolver } from './nps/nps.resolver';
import { CustomerOutreachResolver, OutreachResolver } from './outreach/outreach.resolver';
import { CustomerPaymentResolver, PaymentResolver } from './payments/payment.resolver';
import { ChangeResolver } from './changes/change.resolver';
import { BacktestResolver } from './scoring/backtest/backtest.resolver';
import { CustomerScoreResolver, ScoringResolver, TierChangeResolver } from './scoring/scoring.resolver';
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

/**
 * A page of customers joins the edges it selects into its own rows (customer.resolver.ts). Such an
 * edge is answered from the row here, before type-graphql's resolver plumbing (parameter
 * decorators, middleware chain, promise checks): on a dashboard page that is 150 fields that only
 * read a property. This is the one place joined edges are read: the module's resolver only loads
 * the edges that were not joined.
 */
function answerJoinedEdgesFromRows(schema: GraphQLSchema): void {
  const customer = schema.getType('Customer');
  if (!(customer instanceof GraphQLObjectType)) throw new Error('the schema has no Customer object type');
  for (const name of Object.keys(JOINABLE_EDGES)) {
    const field = customer.getFields()[name];
    const resolve = field?.resolve;
    if (!resolve) throw new Error(`Customer.${name} has no resolver to fall back on`);
    field.resolve = (source, args, context, info) => {
      const joined = joinedChild(source as object, name);
      return joined !== undefined ? joined : resolve(source, args, context, info);
    };
  }
}

export async function buildAppSchema(pubSub: AppPubSub): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: RESOLVERS as unknown as [Function, ...Function[]],
    pubSub,
    // `@Authorized(Scope.X)` on every root field (and on the customer's edges): see src/auth/scopes.ts.
    authChecker,
    // Inputs are validated by each module's own functions so batch items can be reported by index.
    validate: false,
  });
  answerJoinedEdgesFromRows(schema);
  return schema;
}
