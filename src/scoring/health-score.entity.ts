// One scoring of one customer. History is kept: a row per customer per scoring run.
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Customer } from '../customers/customer.entity';

@Entity({ tableName: 'health_score' })
@Index({ name: 'health_score_customer_as_of_idx', properties: ['customer', 'asOf', 'id'] })
// The "what changed" feed's score drops: only live scorings that fell get an entry, so scoring writes little to it.
@Index({
  name: 'health_score_drop_idx',
  expression: 'create index "health_score_drop_idx" on "health_score" ("as_of") where not "backfill" and "previous_score" > "score"',
})
export class HealthScore {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => Customer, { deleteRule: 'cascade', index: false })
  customer!: Customer;

  @Property({ type: 'smallint' })
  score!: number;

  @Property({ type: 'text' })
  tier!: string;

  @Property({ type: 'text' })
  trend!: string;

  @Property({ type: 'smallint', nullable: true })
  previousScore?: number | null;

  /**
   * The highest score of the customer's points in the drop window before this one (`scoreDrop.withinDays`,
   * of model versions that compute scores alike), as the scoring saw it; null without one. A slide a point at a time is a drop
   * against it (the SCORE_DROP playbook trigger, and the "what changed" feed).
   */
  @Property({ type: 'smallint', nullable: true })
  peakScore?: number | null;

  /**
   * [{ name, score, weight, coverage }]. `json` (text) like `signals`: never queried inside, and a
   * dashboard page reads 50 of them, which `jsonb` would have to turn back into text each time.
   */
  @Property({ type: 'json', columnType: 'json' })
  components!: unknown;

  /**
   * One `[name, component, rawValue, value, weight, effectiveWeight, contribution, missing]` per
   * signal (`signal-storage.ts`; rows written before 30 November 2026 hold objects with those keys).
   * Stored as `json` (text), not `jsonb`: it is only ever written and read whole, and a full run
   * writes 100,000 of them.
   */
  @Property({ type: 'json', columnType: 'json' })
  signals!: unknown;

  /**
   * One `[name, rawValue, points, applied]` per penalty, with a fifth element when its `onlyWhen`
   * held it back (the conditions that did not hold), and a sixth, `true`, after a null fifth, when
   * the model's `penaltyHysteresis` kept it (`signal-storage.ts`; rows written before 1 December 2026
   * hold objects with the first four keys). `json` like `signals`.
   */
  @Property({ type: 'json', columnType: 'json', nullable: true })
  penalties?: unknown;

  /** Share of the model's weight that was observed, 0…1. */
  @Property({ type: 'real' })
  coverage!: number;

  @Property({ type: 'integer' })
  modelVersion!: number;

  @Property({ type: 'timestamptz' })
  asOf!: Date;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  computedAt: Date = new Date();

  /**
   * The customer's lifecycle stage as of `asOf`, as this scoring placed it from what was recorded when
   * it scored (a cancellation or a silence after `asOf` is not in it, nor a cancellation recorded after
   * the scoring); null on points written before the migration that added it.
   */
  @Property({ type: 'text', nullable: true })
  lifecycleStage?: string | null;

  /** Written by a backfill of past scores rather than by a scoring as of its time. */
  @Property({ type: 'boolean', default: false })
  backfill = false;
}
