// The metrics of every account at every instant of a grid of past instants, gathered with the same
// set-based SQL the scoring engine uses (read-only: nothing is written or published), then scored
// in memory by any model that asks for the same metrics. Gathering is the expensive part, so a
// backtest gathers once and scores as many models as it compares.
import { customerStartSql, firstActivitySql } from '../customer-start';
import { ensure } from '../../infra/errors';
import type { Db } from '../../infra/sql';
import { query } from '../../infra/sql';
import { gatherMetrics } from '../gather-metrics.sql';
import { appliedPenalties, Assessment, assessCustomer, metricRequests, MetricRequest, MetricValues, ScoringModelConfig } from '../model';
import type { SnapshotScore } from './evaluate';

const DAY_MS = 86_400_000;
/** Customers per gathering statement, as in a scoring run. */
const BATCH_SIZE = 2000;
/** Batches gathered at the same time: the database works on one while this process reads another. */
const BATCHES_IN_FLIGHT = 2;
/**
 * The most account-instants one backtest holds in memory (each keeps its metric values, about 200
 * bytes): ten thousand accounts over two years of weeks, or a hundred thousand over ten weeks.
 */
export const MAX_SNAPSHOTS = 1_100_000;
/**
 * The most metric values one backtest holds (account-instants × the aggregates its model reads): a
 * snapshot's memory grows with its values, so a model reading several times the default's aggregates
 * would otherwise hold several times its memory on the same grid. The default model keeps its
 * MAX_SNAPSHOTS account-instants, with room for a few aggregates more.
 */
export const MAX_SNAPSHOT_VALUES = 48_400_000;

export interface SnapshotGrid {
  from: Date;
  to: Date;
  stepDays: number;
  /** The input field the client gave the step in, which a refusal of the grid names; stepDays when absent. */
  stepArgument?: 'step' | 'stepDays';
}

/** The grid's instants, from `from` by `stepDays` up to `to` inclusive. */
export function gridInstants(grid: SnapshotGrid): Date[] {
  const instants: Date[] = [];
  for (let t = grid.from.getTime(); t <= grid.to.getTime(); t += grid.stepDays * DAY_MS) instants.push(new Date(t));
  return instants;
}

export interface AccountFacts {
  id: string;
  name: string;
  /** The tier the customer is in now (the preview compares with it). */
  tier: string | null;
  arrCents: number;
  /** Signup, when known (the lifecycle's onboarding reads it). */
  signedUpAt: Date | null;
  /** No snapshot exists before it, as no score does: customer-start.ts. */
  startedAt: Date;
  churnedAt: Date | null;
  /** Its first engagement event ever recorded (a returning customer's lifecycle reads it). */
  firstActivityAt: Date | null;
}

/** A customer at `asOf`, as a scoring run sees one: started (customer-start.ts), not yet churned. */
export function isCustomerAt(account: AccountFacts, asOf: Date): boolean {
  return account.startedAt.getTime() <= asOf.getTime() && (account.churnedAt === null || account.churnedAt.getTime() > asOf.getTime());
}

/** One account at one instant: its metrics (in `SnapshotSet.requests` order, NaN for null) and last activity. */
export interface Snapshot {
  account: AccountFacts;
  asOf: Date;
  values: Float64Array;
  lastActivityAt: Date | null;
}

export interface SnapshotSet {
  requests: MetricRequest[];
  /** Snapshots in instant order, then customer id order. */
  snapshots: Snapshot[];
  accounts: AccountFacts[];
}

export async function loadAccounts(db: Db): Promise<AccountFacts[]> {
  const rows = await query<{
    id: string;
    name: string;
    tier: string | null;
    arrCents: number;
    signedUpAt: string | null;
    startedAt: string;
    churnedAt: string | null;
    firstActivityAt: string | null;
  }>(
    db,
    `select id, name, tier, arr_cents::float8 as "arrCents", signed_up_at as "signedUpAt",
            ${customerStartSql('customer')} as "startedAt", churned_at as "churnedAt",
            ${firstActivitySql('customer')} as "firstActivityAt"
     from customer order by id`,
  );
  return rows.map((r) => ({
    ...r,
    signedUpAt: r.signedUpAt ? new Date(r.signedUpAt) : null,
    startedAt: new Date(r.startedAt),
    churnedAt: r.churnedAt ? new Date(r.churnedAt) : null,
    firstActivityAt: r.firstActivityAt ? new Date(r.firstActivityAt) : null,
  }));
}

/**
 * What one gathering asks so that every model of `models` can be scored from it: the metrics any of
 * them reads, each once (in key order), and engagement scanned back for the last
 * activity over the longest churn window among them.
 */
export function gatheringFor(models: readonly ScoringModelConfig[]): { requests: MetricRequest[]; activityLookbackDays: number } {
  return {
    requests: metricRequests(...models),
    activityLookbackDays: Math.max(...models.map((model) => model.lifecycle.churnWindowDays + 1)),
  };
}

/**
 * Gathers the metrics of `model` for every account that had signed up and not yet churned, at every
 * instant of the grid. A label (churnedAt) only decides which instants an account is looked at,
 * never what is seen at them: every metric stops at the instant. Given `accounts`, those are looked
 * at instead of loading them; given `signal`, no further batch starts once it aborts (its reason is
 * thrown when the batches in flight have ended).
 */
export async function collectSnapshots(
  db: Db,
  model: ScoringModelConfig,
  grid: SnapshotGrid,
  { accounts, signal }: { accounts?: AccountFacts[]; signal?: AbortSignal } = {},
): Promise<SnapshotSet> {
  const { requests, activityLookbackDays } = gatheringFor([model]);
  const all = accounts ?? (await loadAccounts(db));
  const jobs: Array<{ asOf: Date; batch: AccountFacts[] }> = [];
  for (const asOf of gridInstants(grid)) {
    const alive = all.filter((a) => isCustomerAt(a, asOf));
    for (let start = 0; start < alive.length; start += BATCH_SIZE) jobs.push({ asOf, batch: alive.slice(start, start + BATCH_SIZE) });
  }
  const total = jobs.reduce((n, job) => n + job.batch.length, 0);
  const step = grid.stepArgument ?? 'stepDays';
  ensure(total <= MAX_SNAPSHOTS, `the grid covers ${total} account-instants; at most ${MAX_SNAPSHOTS} (widen ${step} or narrow from…to)`, {
    argument: step,
  });
  ensure(
    total * requests.length <= MAX_SNAPSHOT_VALUES,
    `the grid covers ${total} account-instants of ${requests.length} aggregates each (the model's metric, window and baseline pairs): ` +
      `${total * requests.length} values; at most ${MAX_SNAPSHOT_VALUES} (widen ${step}, narrow from…to, or use a model reading fewer aggregates)`,
    { argument: step },
  );
  const results: Snapshot[][] = new Array(jobs.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    for (let index = next++; index < jobs.length && !failed; index = next++) {
      signal?.throwIfAborted();
      const { asOf, batch } = jobs[index];
      const gathered = await gatherMetrics(
        db.fork() as Db,
        batch.map((a) => a.id),
        asOf,
        requests,
        activityLookbackDays,
      );
      // One buffer for the batch, each snapshot a view of its part: a buffer of its own per snapshot
      // would cost more memory in its bookkeeping than its values take.
      const block = new Float64Array(batch.length * requests.length);
      results[index] = batch.map((account, row) => {
        const { metrics, lastActivityAt } = gathered.get(account.id) ?? { metrics: {}, lastActivityAt: null };
        const values = block.subarray(row * requests.length, (row + 1) * requests.length);
        requests.forEach((r, i) => (values[i] = metrics[r.key] ?? Number.NaN));
        return { account, asOf, values, lastActivityAt };
      });
    }
  };
  // Every batch in flight ends before this does, so a failed or abandoned one leaves no statement running.
  const outcomes = await Promise.allSettled(
    Array.from({ length: BATCHES_IN_FLIGHT }, () =>
      worker().catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  return { requests, snapshots: results.flat(), accounts: all };
}

export function metricsOf(set: SnapshotSet, snapshot: Snapshot): MetricValues {
  const metrics: MetricValues = {};
  set.requests.forEach((r, i) => (metrics[r.key] = Number.isNaN(snapshot.values[i]) ? null : snapshot.values[i]));
  return metrics;
}

/** One snapshot as the backtest reads it: its assessment under a model. */
export interface AssessedSnapshot {
  snapshot: Snapshot;
  assessment: Assessment;
}

/**
 * Assesses every snapshot with `model`, account by account in time order, so each tier carries the
 * hysteresis of the account's previous snapshot as a daily scoring would. The report and the fit
 * both read these, so they judge each snapshot alike.
 */
export function* assessedSnapshots(set: SnapshotSet, model: ScoringModelConfig): Generator<AssessedSnapshot> {
  const previousTier = new Map<string, string>();
  const previousPenalties = new Map<string, ReadonlySet<string>>();
  for (const snapshot of set.snapshots) {
    const assessment = assessCustomer({
      model,
      metrics: metricsOf(set, snapshot),
      asOf: snapshot.asOf,
      signedUpAt: snapshot.account.signedUpAt,
      startedAt: snapshot.account.startedAt,
      // The label must not reach the score: the snapshot instant is before it by construction.
      churnedAt: null,
      lastActivityAt: snapshot.lastActivityAt,
      firstActivityAt: snapshot.account.firstActivityAt,
      previousTierKey: previousTier.get(snapshot.account.id) ?? null,
      previousBands: model.tiers,
      earlierScore: null,
      previousPenalties: previousPenalties.get(snapshot.account.id) ?? null,
    });
    previousTier.set(snapshot.account.id, assessment.tier.key);
    previousPenalties.set(snapshot.account.id, appliedPenalties(assessment.result.penalties));
    yield { snapshot, assessment };
  }
}

/** Every snapshot's score under `model` (assessedSnapshots), as the report reads it. */
function* snapshotScores(set: SnapshotSet, model: ScoringModelConfig): Generator<SnapshotScore> {
  for (const { snapshot, assessment } of assessedSnapshots(set, model)) {
    yield {
      customerId: snapshot.account.id,
      asOf: snapshot.asOf,
      score: assessment.result.score,
      tierKey: assessment.tier.key,
      flagged: assessment.flagged,
    };
  }
}

/** `scoreSnapshots` in one go: for scripts and tests, which have no other requests to serve. */
export function scoreSnapshots(set: SnapshotSet, model: ScoringModelConfig): SnapshotScore[] {
  return [...snapshotScores(set, model)];
}

/** Items handled per turn of the event loop by `inTurns`: a few milliseconds of scoring. */
export const SNAPSHOTS_PER_TURN = 1000;

/**
 * The items of `items`, letting the event loop serve what waits (other requests, health probes)
 * after every SNAPSHOTS_PER_TURN of them: the server's loops over a year of daily snapshots are
 * seconds of CPU, which in one go would hold every other request for as long. Once `signal` aborts,
 * the next turn throws its reason instead.
 */
export async function* inTurns<T>(items: Iterable<T>, signal?: AbortSignal): AsyncGenerator<T> {
  let count = 0;
  for (const item of items) {
    yield item;
    if (++count % SNAPSHOTS_PER_TURN === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
    }
  }
}

/** `scoreSnapshots` for the server, a slice per turn of the event loop (`inTurns`, which `signal` stops). */
export async function scoreSnapshotsInTurns(set: SnapshotSet, model: ScoringModelConfig, signal?: AbortSignal): Promise<SnapshotScore[]> {
  const scores: SnapshotScore[] = [];
  for await (const score of inTurns(snapshotScores(set, model), signal)) scores.push(score);
  return scores;
}
