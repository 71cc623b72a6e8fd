// A full scoring run over every customer (periodic, or `refreshAllHealthScores`).
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'scoring_run' })
@Index({ name: 'scoring_run_started_idx', properties: ['startedAt'] })
@Index({ name: 'scoring_run_status_started_idx', properties: ['status', 'startedAt', 'id'] })
export class ScoringRun {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  /** RUNNING, SUCCEEDED or FAILED. */
  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'integer', default: 0 })
  customersScored = 0;

  @Property({ type: 'integer', default: 0 })
  tierChanges = 0;

  @Property({ type: 'timestamptz' })
  asOf!: Date;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  startedAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  finishedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  /**
   * A run of the first start's backfill (its days, then now): until that last run has succeeded, the
   * next start resumes the backfill (src/scoring/scoring.scheduler.ts).
   */
  @Property({ type: 'boolean', default: false })
  firstStart = false;

  /**
   * A run as of a past instant: it ran no playbook and published nothing. Kept, not inferred from
   * `asOf` and `startedAt`, because a backfill's last day may have ended moments before it started.
   */
  @Property({ type: 'boolean', default: false })
  backfill = false;

  /**
   * The version of the model the run scores under, read as it starts. A start compares the last
   * successful run's with the active version, so a model activated just before a crash still gets
   * its run (src/scoring/scoring.scheduler.ts). Null for runs recorded before it was kept.
   */
  @Property({ type: 'integer', nullable: true })
  modelVersion?: number | null;

  /**
   * A past-dated run cut short that no start runs again: one cut short before the release that runs
   * them again, and before the latest successful run as of its present then (its migration marks
   * them), as that release left it. Every other is run again as of its instant until a run as of that
   * instant follows it (src/scoring/scoring.service.ts, fullRunsOwed).
   */
  @Property({ type: 'boolean', default: false })
  leftAsHistory = false;
}
