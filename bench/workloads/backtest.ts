// Workload: does the score predict churn, and how long does it take to find out? The labelled
// synthetic population (src/demo: healthy accounts, traps that must not be flagged, churners with
// varied leading patterns and some no score can foresee) is loaded through the service's own
// ingestion code, then backtested weekly over 26 weeks with the default model and, in the same run,
// the first default model (fixed targets) as the baseline. Timed in-process: the backtest is one
// read-only query whose cost is the database's and the scoring core's, not HTTP's.
import type { MikroORM } from '@mikro-orm/postgresql';
import { buildDemoDataSet, DemoDataSet, populationLabels } from '../../src/demo/demo-data';
import { loadDemoData } from '../../src/demo/load-demo-data';
import { openDatabase } from '../../src/database';
import { Db, query } from '../../src/infra/sql';
import { BacktestReport, evaluateBacktest } from '../../src/scoring/backtest/evaluate';
import { collectSnapshots, gridInstants, loadAccounts, scoreSnapshots } from '../../src/scoring/backtest/snapshots';
import { CLASSIC_SCORING_MODEL, DEFAULT_SCORING_MODEL, ScoringModelConfig } from '../../src/scoring/model';
import { createDatabase, databaseExists, databaseUrl, dropDatabase, sql, vacuum } from '../support/databases';
import { RandomDayFigures, simulateSteadyAccounts, SteadyShape } from './random-days';

const DAY_MS = 86_400_000;
/** Bump when the population's shape changes: older data sets are then regenerated. */
const POPULATION_VERSION = 3;
const SEED = 12;
const HORIZON_DAYS = 30;
/** Days of history behind the first snapshot: the longest window plus baseline of the default model, and a margin. */
const HISTORY_DAYS = 100;

export interface BacktestWorkloadOptions {
  customers: number;
  weeks: number;
}

export interface RecallFigure {
  churners: number;
  flagged: number;
  recall: number | null;
  /** The AUC of the score 30 days before the churn, with only these churners among the churners. */
  auc: number | null;
}

export interface ModelFigures {
  seconds: number;
  report: BacktestReport;
  /**
   * Recall 30 days ahead among the churners with a leading pattern, by how far it had run at the
   * snapshot the recall reads (the latest at least 30 days before the churn): `begun`, begun by then
   * (the target's "any leading signal 30 days ahead"); `twoWeeks`, run 14 days or more by then;
   * `byLead`, begun at least 30 days before the churn, as measured up to the eleventh round (a
   * weekly grid's snapshot can fall up to six days before that onset).
   */
  foreseeableRecall30: Record<'begun' | 'twoWeeks' | 'byLead', RecallFigure>;
  /** `begun` by the churners' leading pattern (the population's labels): which patterns the score sees 30 days ahead. */
  begunByPattern: Array<{ pattern: string } & RecallFigure>;
}

export interface BacktestWorkloadResult {
  customers: number;
  weeks: number;
  events: number;
  generatedSeconds: number | null;
  model: ModelFigures;
  classic: ModelFigures;
  /** Small steady accounts on random days, simulated and scored daily: each model's false alarms there. */
  randomDays: { model: RandomDayFigures; classic: RandomDayFigures };
  /** The same for accounts used about once a month. */
  monthly: { model: RandomDayFigures; classic: RandomDayFigures };
  /** The same for large teams of occasional users. */
  occasionalTeams: { model: RandomDayFigures; classic: RandomDayFigures };
  /** The same for brand-new accounts, scored from their signup. */
  newAccounts: { model: RandomDayFigures; classic: RandomDayFigures };
  /** The same for accounts whose team takes a holiday of one to three weeks. */
  holidays: { model: RandomDayFigures; classic: RandomDayFigures };
}

interface PopulationInfo {
  version: number;
  customers: number;
  days: number;
  anchor: string;
  events: number;
  generatedSeconds: number;
}

async function ensurePopulation(name: string, customers: number, days: number): Promise<{ info: PopulationInfo; reused: boolean }> {
  if (await databaseExists(name)) {
    try {
      const [row] = await sql<{ info: PopulationInfo }>(name, 'select info from bench_dataset where id = 1');
      if (row?.info.version === POPULATION_VERSION && row.info.customers === customers && row.info.days === days)
        return { info: row.info, reused: true };
    } catch {
      // regenerate
    }
  }
  await dropDatabase(name);
  await createDatabase(name);
  const started = Date.now();
  const anchor = new Date(Math.floor(started / 1000) * 1000);
  const orm = await openDatabase(databaseUrl(name), 6);
  try {
    const db = orm.em.fork() as Db;
    const dataSet = buildDemoDataSet({ customers, days, seed: SEED, now: anchor });
    let lastPrinted = 0;
    const loaded = await loadDemoData(db, dataSet, {
      concurrency: 4,
      onProgress: (progress) => {
        if (Date.now() - lastPrinted < 15_000 && progress.done < progress.total) return;
        lastPrinted = Date.now();
        process.stderr.write(`  [backtest] ${name}: ${progress.phase} ${progress.done}/${progress.total}\n`);
      },
    });
    const info: PopulationInfo = {
      version: POPULATION_VERSION,
      customers,
      days,
      anchor: anchor.toISOString(),
      events: loaded.events.inserted,
      generatedSeconds: (Date.now() - started) / 1000,
    };
    await query(db, 'create table bench_dataset (id int primary key, info jsonb not null)');
    await query(db, 'insert into bench_dataset (id, info) values (1, ?::jsonb)', [JSON.stringify(info)]);
    return { info, reused: false };
  } finally {
    await orm.close(true);
  }
}

/** When each churner with a leading pattern started showing it, and the pattern (the population's labels). */
function patternOnsets(dataSet: DemoDataSet): Map<string, { onset: number; churnedAt: number; pattern: string }> {
  const onsets = new Map<string, { onset: number; churnedAt: number; pattern: string }>();
  for (const l of populationLabels(dataSet))
    if (l.churnedAt && l.foreseeable && l.signalOnsetAt && l.churnPattern)
      onsets.set(l.customerId, { onset: l.signalOnsetAt.getTime(), churnedAt: l.churnedAt.getTime(), pattern: l.churnPattern });
  return onsets;
}

/** The churners of `ids` by their leading pattern, patterns in alphabetical order. */
function byPattern(ids: Set<string>, onsets: Map<string, { pattern: string }>): Map<string, Set<string>> {
  const patterns = new Map<string, Set<string>>();
  for (const id of ids) {
    const pattern = onsets.get(id)?.pattern as string;
    patterns.set(pattern, (patterns.get(pattern) ?? new Set<string>()).add(id));
  }
  return new Map([...patterns].sort(([a], [b]) => a.localeCompare(b)));
}

/** The churners whose pattern had run `days` or more at the latest grid instant at least `leadDays` before their churn. */
function patternRunBy(
  onsets: Map<string, { onset: number; churnedAt: number }>,
  instants: Date[],
  leadDays: number,
  days: number,
): Set<string> {
  const ids = new Set<string>();
  for (const [id, { onset, churnedAt }] of onsets) {
    const read = instants.filter((t) => t.getTime() <= churnedAt - leadDays * DAY_MS).pop();
    if (read && read.getTime() - onset >= days * DAY_MS) ids.add(id);
  }
  return ids;
}

async function backtestModel(
  orm: MikroORM,
  model: ScoringModelConfig,
  grid: { from: Date; to: Date; stepDays: number },
  anchor: Date,
  foreseeable: Record<keyof ModelFigures['foreseeableRecall30'], Set<string>>,
  begunByPattern: Map<string, Set<string>>,
): Promise<ModelFigures> {
  const db = orm.em.fork() as Db;
  const started = process.hrtime.bigint();
  const accounts = await loadAccounts(db);
  const set = await collectSnapshots(db, model, grid, { accounts });
  const scores = scoreSnapshots(set, model);
  const labels = accounts.map((a) => ({ customerId: a.id, churnedAt: a.churnedAt }));
  // The labels are known up to the end of the generated data.
  const options = { tiers: model.tiers, horizonDays: HORIZON_DAYS, labelsKnownUntil: anchor };
  const report = evaluateBacktest(scores, labels, options);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // Recall among churners that showed a leading pattern 30 days ahead: the other churners are left out entirely.
  const churned = new Set(labels.filter((l) => l.churnedAt).map((l) => l.customerId));
  const recallAmong = (subset: Set<string>): RecallFigure => {
    const keep = (id: string) => !churned.has(id) || subset.has(id);
    const report = evaluateBacktest(
      scores.filter((s) => keep(s.customerId)),
      labels.filter((l) => keep(l.customerId)),
      options,
    );
    const recall30 = report.recall.find((r) => r.leadDays === 30);
    return {
      churners: recall30?.churners ?? 0,
      flagged: recall30?.flagged ?? 0,
      recall: recall30?.recall ?? null,
      auc: report.auc.auc,
    };
  };
  return {
    seconds,
    report,
    foreseeableRecall30: {
      begun: recallAmong(foreseeable.begun),
      twoWeeks: recallAmong(foreseeable.twoWeeks),
      byLead: recallAmong(foreseeable.byLead),
    },
    begunByPattern: [...begunByPattern].map(([pattern, ids]) => ({ pattern, ...recallAmong(ids) })),
  };
}

export async function runBacktestWorkload(options: BacktestWorkloadOptions): Promise<BacktestWorkloadResult> {
  const name = `hg_bench_population_${options.customers >= 1000 ? `${options.customers / 1000}k` : options.customers}`;
  const days = options.weeks * 7 + HISTORY_DAYS;
  const { info, reused } = await ensurePopulation(name, options.customers, days);
  const anchor = new Date(info.anchor);
  const to = new Date(anchor.getTime() - DAY_MS);
  const grid = { from: new Date(to.getTime() - (options.weeks - 1) * 7 * DAY_MS), to, stepDays: 7 };
  const dataSet = buildDemoDataSet({ customers: options.customers, days, seed: SEED, now: anchor });
  const onsets = patternOnsets(dataSet);
  const instants = gridInstants(grid);
  const foreseeable = {
    begun: patternRunBy(onsets, instants, 30, 0),
    twoWeeks: patternRunBy(onsets, instants, 30, 14),
    byLead: new Set([...onsets].filter(([, o]) => o.onset <= o.churnedAt - 30 * DAY_MS).map(([id]) => id)),
  };
  const begunByPattern = byPattern(foreseeable.begun, onsets);
  await vacuum(name, [
    'engagement_day',
    'engagement_event',
    'payment',
    'support_ticket',
    'support_ticket_status_change',
    'nps_response',
    'customer_plan_change',
    'customer',
  ]);
  const orm = await openDatabase(databaseUrl(name), 6);
  try {
    const model = await backtestModel(orm, DEFAULT_SCORING_MODEL, grid, anchor, foreseeable, begunByPattern);
    process.stderr.write(`  [backtest] default model: ${model.seconds.toFixed(1)} s, ${model.report.snapshots} snapshots\n`);
    const classic = await backtestModel(orm, CLASSIC_SCORING_MODEL, grid, anchor, foreseeable, begunByPattern);
    process.stderr.write(`  [backtest] first default model: ${classic.seconds.toFixed(1)} s\n`);
    const steady = (shape: SteadyShape) => ({
      model: simulateSteadyAccounts(DEFAULT_SCORING_MODEL, shape),
      classic: simulateSteadyAccounts(CLASSIC_SCORING_MODEL, shape),
    });
    return {
      customers: options.customers,
      weeks: options.weeks,
      events: info.events,
      generatedSeconds: reused ? null : info.generatedSeconds,
      model,
      classic,
      randomDays: steady('random_days'),
      monthly: steady('monthly'),
      occasionalTeams: steady('occasional_team'),
      newAccounts: steady('brand_new'),
      holidays: steady('holiday'),
    };
  } finally {
    await orm.close(true);
  }
}
