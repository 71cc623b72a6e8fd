// A round of continuous rescoring in flight: the customers it took off the queue (`rescore_request`),
// kept until their scores are committed. A process that dies between the two leaves its claim
// behind, and the next round anywhere queues those customers again (rescore-queue.ts).
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'rescore_claim' })
@Index({ name: 'rescore_claim_claimed_at_idx', properties: ['claimedAt'] })
export class RescoreClaim {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  claimedAt!: Date;

  /** The customers claimed, each with the time it was first queued: `[{ "id", "requestedAt" }]`. */
  @Property({ type: 'json', columnType: 'jsonb' })
  customers!: Array<{ id: string; requestedAt: string }>;
}
