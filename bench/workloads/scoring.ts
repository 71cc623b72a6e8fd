// Workload 1, full rescore: `refreshAllHealthScores(asOf: anchor)` over HTTP against a server
// started on each data set, timed end to end, with the server's peak RSS. Every run scores the same
// data as of the same time (a past instant: a backfill, which runs no playbook and publishes
// nothing): the rows a run writes are removed before the next one. The baseline, seed 003's
// per-customer approach on the first default model, runs on the 10 k data set in the same run. What
// the predictive signals cost is measured by alternating the two default models on one server
// (10 k customers, and 100 k at full scale).
import { CLASSIC_SCORING_MODEL, DEFAULT_SCORING_MODEL, metricRequests, ScoringModelConfig } from '../../src/scoring/model';
import { isBackfill } from '../../src/scoring/scoring.service';
import { scorePerCustomer } from '../baselines/per-customer-scoring';
import { DataSetInfo, forgetScoringFrom } from '../generate/dataset';
import { sql, vacuum } from '../support/databases';
import { graphql, startServer } from '../support/server-process';
import { summarise, Summary } from '../support/stats';

/** The tables a full run writes to. */
const SCORING_TABLES = ['health_score', 'tier_change', 'outreach_action', 'customer', 'scoring_run'];

const REFRESH_ALL = `mutation ($asOf: DateTime) { refreshAllHealthScores(asOf: $asOf) { status customersScored tierChanges } }`;

export interface ScoringSizeResult {
  customers: number;
  events: number;
  seconds: Summary;
  peakRssMb: Summary;
  tierChanges: number;
}

export interface ScoringResult {
  sizes: ScoringSizeResult[];
  /** The same engine with the current default model and with the first default model (fixed targets), runs alternated: what the predictive signals cost. */
  comparisons: ModelComparison[];
  /** The first default model's runs on the baseline's data set (from its comparison). */
  classic?: ScoringSizeResult;
  baseline?: { customers: number; seconds: number; perCustomerMs: number; statements: number };
}

/** Both models on one data set and one server, alternating run by run, so load that comes and goes weighs on both alike. */
export interface ModelComparison {
  customers: number;
  model: ScoringSizeResult;
  classic: ScoringSizeResult;
  /** Each round's default-model time ÷ the first model's time in the same round. */
  roundRatios: Summary;
  /** The default model with one weight changed, whose previous points another version scored: the first run after `updateScoringModel`. */
  changed: ScoringSizeResult;
  /** Each round's time after the model change ÷ the default model's time in the same round. */
  changedRatios: Summary;
  /** The signals issue 12 asks for alone (`signalsOnlyModel`): what they cost before any red flag. */
  signalsOnly: ScoringSizeResult;
  /** Each round's signals-only time ÷ the first model's time in the same round. */
  signalsOnlyRatios: Summary;
}

/**
 * The default model as a team would apply a fitted one: one signal's weight changed. The data set's
 * history was scored by the default model's version, so a run under this one finds every previous
 * point scored by another version and compares the flags the two define (what the first rescore
 * after `updateScoringModel` does).
 */
function changedDefaultModel(): ScoringModelConfig {
  const config = JSON.parse(JSON.stringify(DEFAULT_SCORING_MODEL)) as ScoringModelConfig;
  config.components[0].signals[0].weight += 1;
  return config;
}

/**
 * The default model's signals without its red flags: the signals relative to the account's own
 * history that issue 12 lists (usage, active users and seats, feature breadth, silence against the
 * usual gap, payment risk, support, detractors), each explained, scored on their own. What the issue
 * asks for costs this much before anything the default model adds to it.
 */
function signalsOnlyModel(): ScoringModelConfig {
  return { ...DEFAULT_SCORING_MODEL, penalties: [] };
}

/**
 * Activates a model version in the data set's database directly. Through `updateScoringModel` the
 * server would also rescore everyone as of now in the background, and that run would share the
 * cores with the timed one. The server reads the active model at the start of every run.
 */
async function activateModel(dataSet: DataSetInfo, config: ScoringModelConfig): Promise<void> {
  const json = JSON.stringify(config);
  await sql(dataSet.name, 'update scoring_model set active = false where active');
  // The latest version with this config, so that repeated runs do not add a version each.
  const [reused] = await sql(
    dataSet.name,
    'update scoring_model set active = true where version = (select max(version) from scoring_model where config = $1::jsonb) returning version',
    [json],
  );
  if (!reused)
    await sql(
      dataSet.name,
      'insert into scoring_model (version, config, active) select coalesce(max(version), 0) + 1, $1::jsonb, true from scoring_model',
      [json],
    );
}

/** One timed full rescore: seconds, peak server RSS (bytes) and tier changes. */
interface TimedRun {
  seconds: number;
  peak: number;
  tierChanges: number;
}

type Server = Awaited<ReturnType<typeof startServer>>;

/**
 * The customers' current state a full run writes (writeBatch, src/scoring/score-customers.ts). A run
 * rewrites every row: where an indexed column's value changes (the score, the tier) the new version
 * goes into each of the table's indexes; where none does, it is a cheap heap-only update. So a run
 * costs more after another model's run than after its own, and runs that compare models start from a
 * state chosen for each (`State`).
 */
const STATE_COLUMNS = [
  'health_score',
  'engagement_score',
  'tier',
  'trend',
  'lifecycle_stage',
  'last_activity_at',
  'nps',
  'scored_at',
  'updated_at',
];

/** Keeps the customers' current state under `key` (a table of the data set's database). */
async function saveState(dataSet: DataSetInfo, key: string): Promise<void> {
  await sql(dataSet.name, `drop table if exists bench_state_${key}`);
  await sql(dataSet.name, `create unlogged table bench_state_${key} as select id, ${STATE_COLUMNS.join(', ')} from customer`);
}

async function restoreState(dataSet: DataSetInfo, key: string): Promise<void> {
  await sql(
    dataSet.name,
    `update customer c set (${STATE_COLUMNS.join(', ')}) = (${STATE_COLUMNS.map((column) => `s.${column}`).join(', ')})
     from bench_state_${key} s where s.id = c.id`,
  );
}

async function dropStates(dataSet: DataSetInfo, keys: string[]): Promise<void> {
  for (const key of keys) await sql(dataSet.name, `drop table if exists bench_state_${key}`);
}

/** Where a run starts: the customers' state kept under `from`, and where the state it leaves is kept. */
interface State {
  from?: string;
  keepAs?: string;
}

/**
 * One full rescore of the data set as of its anchor, its previous runs' scores, tier changes and
 * outreach forgotten and the customers' state as `state` says: seconds, peak server RSS (bytes) and tier changes.
 */
async function timeOneRun(server: Server, dataSet: DataSetInfo, state: State = {}): Promise<TimedRun> {
  // Live scoring would also run the playbooks, log outreach and publish: not what is measured here.
  if (!isBackfill(dataSet.anchor))
    throw new Error(`${dataSet.name}: its anchor is not yet in the past, so scoring as of it would not be a backfill`);
  await forgetScoringFrom(dataSet.name, dataSet.anchor);
  if (state.from !== undefined) await restoreState(dataSet, state.from);
  // The previous run's scores, tier changes and outreach were just deleted, and every customer's
  // state rewritten: without this, each run would work among the dead rows of all earlier runs.
  await vacuum(dataSet.name, SCORING_TABLES);
  const watch = server.watchRss();
  const started = process.hrtime.bigint();
  const result = await graphql<{ refreshAllHealthScores: { status: string; customersScored: number; tierChanges: number } }>(
    server.url,
    REFRESH_ALL,
    { asOf: dataSet.anchor.toISOString() },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peak = watch.stop();
  if (result.refreshAllHealthScores.customersScored !== dataSet.customers) {
    throw new Error(`scored ${result.refreshAllHealthScores.customersScored} of ${dataSet.customers} customers`);
  }
  if (state.keepAs !== undefined) await saveState(dataSet, state.keepAs);
  return { seconds, peak, tierChanges: result.refreshAllHealthScores.tierChanges };
}

function sizeResult(dataSet: DataSetInfo, runs: TimedRun[]): ScoringSizeResult {
  return {
    customers: dataSet.customers,
    events: dataSet.events,
    seconds: summarise(runs.map((r) => r.seconds)),
    peakRssMb: summarise(runs.map((r) => r.peak / 1024 / 1024)),
    tierChanges: runs[runs.length - 1]?.tierChanges ?? 0,
  };
}

async function timeFullRuns(dataSet: DataSetInfo, runs: number, warmUp: boolean, redisUrl: string): Promise<ScoringSizeResult> {
  const server = await startServer({ name: `scoring-${dataSet.customers}`, database: dataSet.url, redisUrl });
  try {
    await activateModel(dataSet, DEFAULT_SCORING_MODEL);
    const timed: TimedRun[] = [];
    for (let run = warmUp ? -1 : 0; run < runs; run++) {
      const result = await timeOneRun(server, dataSet);
      if (run >= 0) timed.push(result);
      process.stderr.write(
        `  [scoring] ${dataSet.customers} customers: ${result.seconds.toFixed(2)} s, peak RSS ${(result.peak / 1048576).toFixed(0)} MB${run < 0 ? ' (warm-up)' : ''}\n`,
      );
    }
    await forgetScoringFrom(dataSet.name, dataSet.anchor);
    return sizeResult(dataSet, timed);
  } finally {
    await server.stop();
  }
}

/**
 * A warm-up of each model, then `rounds` rounds of one run per model, the order reversed every round.
 * Each run starts from the customers' state as the daily rescore finds it: the default model, the
 * first default model and the signals alone from the state their own previous run left, the changed
 * model (the first run after `updateScoringModel`) from the default model's.
 */
async function compareModels(dataSet: DataSetInfo, rounds: number, redisUrl: string): Promise<ModelComparison> {
  const server = await startServer({ name: `models-${dataSet.customers}`, database: dataSet.url, redisUrl });
  const models = {
    model: DEFAULT_SCORING_MODEL,
    classic: CLASSIC_SCORING_MODEL,
    changed: changedDefaultModel(),
    signals: signalsOnlyModel(),
  };
  const labels = {
    model: 'default model',
    classic: 'first default model',
    changed: 'default model after a model change',
    signals: "the issue's signals alone",
  };
  const timed: Record<keyof typeof models, TimedRun[]> = { model: [], classic: [], changed: [], signals: [] };
  try {
    for (let round = -1; round < rounds; round++) {
      const forward: Array<keyof typeof models> = ['model', 'classic', 'changed', 'signals'];
      const order = round % 2 === 0 ? forward : [...forward].reverse();
      for (const which of order) {
        await activateModel(dataSet, models[which]);
        const own = which === 'changed' ? 'model' : which;
        const result = await timeOneRun(server, dataSet, {
          from: round < 0 ? undefined : own,
          keepAs: which === 'changed' ? undefined : own,
        });
        if (round >= 0) timed[which].push(result);
        process.stderr.write(
          `  [scoring] ${dataSet.customers} customers, ${labels[which]}: ${result.seconds.toFixed(2)} s${round < 0 ? ' (warm-up)' : ''}\n`,
        );
      }
    }
    return {
      customers: dataSet.customers,
      model: sizeResult(dataSet, timed.model),
      classic: sizeResult(dataSet, timed.classic),
      roundRatios: summarise(timed.model.map((run, i) => run.seconds / timed.classic[i].seconds)),
      changed: sizeResult(dataSet, timed.changed),
      changedRatios: summarise(timed.changed.map((run, i) => run.seconds / timed.model[i].seconds)),
      signalsOnly: sizeResult(dataSet, timed.signals),
      signalsOnlyRatios: summarise(timed.signals.map((run, i) => run.seconds / timed.classic[i].seconds)),
    };
  } finally {
    await server.stop();
    // The data set is kept for later workloads (the dashboard's among them): leave it as generated.
    await forgetScoringFrom(dataSet.name, dataSet.anchor);
    await dropStates(dataSet, ['model', 'classic', 'signals']);
    await activateModel(dataSet, DEFAULT_SCORING_MODEL);
  }
}

export async function runScoring(options: {
  dataSets: DataSetInfo[];
  runs: number;
  baselineDataSet?: DataSetInfo;
  /** Data sets on which the two models are compared. */
  comparisonDataSets: DataSetInfo[];
  redisUrl: string;
}): Promise<ScoringResult> {
  const sizes: ScoringSizeResult[] = [];
  for (const dataSet of options.dataSets)
    sizes.push(await timeFullRuns(dataSet, options.runs, dataSet.customers <= 20_000, options.redisUrl));
  const comparisons: ModelComparison[] = [];
  for (const dataSet of options.comparisonDataSets) {
    process.stderr.write(`  [scoring] the default model and the first default model, alternated:\n`);
    comparisons.push(await compareModels(dataSet, options.runs, options.redisUrl));
  }
  let baseline: ScoringResult['baseline'];
  const classic = comparisons.find((c) => c.customers === options.baselineDataSet?.customers)?.classic;
  if (options.baselineDataSet) {
    const dataSet = options.baselineDataSet;
    const ids = (await sql<{ id: string }>(dataSet.name, 'select id from customer order by id')).map((r) => r.id);
    const started = process.hrtime.bigint();
    await scorePerCustomer(dataSet.url, ids, dataSet.anchor);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await sql(dataSet.name, 'drop table if exists bench_baseline_score');
    baseline = {
      customers: ids.length,
      seconds,
      perCustomerMs: (seconds * 1000) / ids.length,
      statements: ids.length * (metricRequests(CLASSIC_SCORING_MODEL).length + 2),
    };
    process.stderr.write(`  [scoring] baseline (per customer, sequential) ${ids.length} customers: ${seconds.toFixed(1)} s\n`);
  }
  return { sizes, comparisons, classic, baseline };
}
