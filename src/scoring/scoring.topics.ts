// PubSub channels of the scoring engine. Subscribers pick the narrowest channel for their filters
// (a channel per customer, per tier, per direction), so routing happens in Redis, not in a filter
// function run for every subscriber on every event.
import type { AppPubSub } from '../infra/pubsub';
import type { BatchResult } from './score-customers';

/**
 * An id or a tier key as one part of a channel name. `:` separates the parts, and an id may hold one:
 * written as it is, customer `a:NEW`'s channel was customer `a`'s channel of NEW changes, so its
 * subscribers received another customer's events. `%` is escaped too, so that no two ids share a name.
 */
function channelPart(value: string): string {
  return value.replace(/%/g, '%25').replace(/:/g, '%3A');
}

export const topics = {
  tierChanges(customerId?: string | null, toTier?: string | null, direction?: string | null): string {
    const scope = customerId ? `customer:${channelPart(customerId)}` : toTier ? `tier:${channelPart(toTier)}` : 'all';
    return `healthgraph:tier-changed:${scope}${direction ? `:${direction}` : ''}`;
  },
  scoreUpdated(customerId?: string | null): string {
    return `healthgraph:score-updated:${customerId ? `customer:${channelPart(customerId)}` : 'all'}`;
  },
  outreachLogged(customerId?: string | null): string {
    return `healthgraph:outreach-logged:${customerId ? `customer:${channelPart(customerId)}` : 'all'}`;
  },
};

/**
 * Publishes a committed batch. Each tier change goes to its customer, tier and global channels
 * (each with and without its direction); score updates go to per-customer channels only during
 * full runs (`broadcastScores` false), so a run over every account does not flood the global feed.
 * Only channels somebody subscribes to are published to: a full run over 100,000 accounts would
 * otherwise serialise and send 100,000 score updates nobody reads.
 */
export async function publishBatch(pubsub: AppPubSub, batch: BatchResult, options: { broadcastScores: boolean }): Promise<void> {
  const messages: Array<[string, unknown]> = [];
  // A batch scored live may still hold points written before a customer's latest one: history, not news.
  for (const change of batch.tierChanges) {
    if (change.backfill) continue;
    for (const scope of [{ customerId: change.customerId }, { toTier: change.toTier }, {}] as Array<{
      customerId?: string;
      toTier?: string;
    }>) {
      messages.push([topics.tierChanges(scope.customerId, scope.toTier), change]);
      messages.push([topics.tierChanges(scope.customerId, scope.toTier, change.direction), change]);
    }
  }
  for (const score of batch.scores) {
    if (score.historyOnly) continue;
    messages.push([topics.scoreUpdated(score.customerId), score]);
    if (options.broadcastScores) messages.push([topics.scoreUpdated(), score]);
  }
  for (const action of batch.outreach) {
    messages.push([topics.outreachLogged(action.customerId), action]);
    messages.push([topics.outreachLogged(), action]);
  }
  if (messages.length === 0) return;
  const listened = await pubsub.listened(messages.map(([topic]) => topic));
  for (const [topic, payload] of messages) if (listened.has(topic)) pubsub.publish(topic, payload);
}
