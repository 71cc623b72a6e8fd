// The executable schema, assembled from every module's resolvers (type-graphql).
import { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { CustomerResolver } from './customers/customer.resolver';
import { CustomerEngagementResolver, EngagementResolver } from './engagement/engagement.resolver';
import type { AppPubSub } from './infra/pubsub';

export const RESOLVERS = [CustomerResolver, EngagementResolver, CustomerEngagementResolver] as const;

export function buildAppSchema(pubSub: AppPubSub): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: RESOLVERS as unknown as [Function, ...Function[]],
    pubSub,
    // Inputs are validated by each module's own functions so batch items can be reported by index.
    validate: false,
  });
}
