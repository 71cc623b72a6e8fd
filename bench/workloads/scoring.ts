// Workload 1, full rescore: `refreshAllHealthScores(asOf: anchor)` over HTTP against a server
// started on each data set, timed end to end, with the server's peak RSS. Every run scores the same
// data as of the same time (a past instant: a backfill, which runs no playbook and publishes
// nothing): the rows a run writes are removed before the next one. The baseline, seed 003's
// per-customer approach on the first default model, runs on the 10 k data set in the same run, and
// so does the engine on that model (what the predictive signals cost).
import { CLASSIC_SCORING_MODEL, DEFAULT_SCORING_MODEL, metricRequests, ScoringModelConfig } from '../../src/scoring/model';
import { scorePerCustomer } from '../baselines/per-customer-scoring';
import { DataSetInfo, forgetScoringAt } from '../generate/dataset';
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
  /** The baseline's data set scored by the same engine with the first default model (fixed targets): what the predictive signals cost. */
  classic?: ScoringSizeResult;
  baseline?: { customers: number; seconds: number; perCustomerMs: number; statements: number };
}

const UPDATE_MODEL = `mutation ($config: JSON) { updateScoringModel(input: { config: $config }) { version } }`;

async function timeFullRuns(
  dataSet: DataSetInfo,
  runs: number,
  warmUp: boolean,
  redisUrl: string,
  model: ScoringModelConfig = DEFAULT_SCORING_MODEL,
): Promise<ScoringSizeResult> {
  const server = await startServer({ name: `scoring-${dataSet.customers}`, database: dataSet.url, redisUrl });
  try {
    await graphql(server.url, UPDATE_MODEL, { config: model });
    const seconds: number[] = [];
    const rss: number[] = [];
    let tierChanges = 0;
    for (let run = warmUp ? -1 : 0; run < runs; run++) {
      await forgetScoringAt(dataSet.name, dataSet.anchor);
      // The previous run's scores, tier changes and outreach were just deleted, and every customer's
      // state rewritten: without this, each run would work among the dead rows of all earlier runs.
      await vacuum(dataSet.name, SCORING_TABLES);
      const watch = server.watchRss();
      const started = process.hrtime.bigint();
      const result = await graphql<{ refreshAllHealthScores: { status: string; customersScored: number; tierChanges: number } }>(
        server.url,
        REFRESH_ALL,
        {
          asOf: dataSet.anchor.toISOString(),
        },
      );
      const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
      const peak = watch.stop();
      if (result.refreshAllHealthScores.customersScored !== dataSet.customers) {
        throw new Error(`scored ${result.refreshAllHealthScores.customersScored} of ${dataSet.customers} customers`);
      }
      tierChanges = result.refreshAllHealthScores.tierChanges;
      if (run >= 0) {
        seconds.push(elapsed);
        rss.push(peak / 1024 / 1024);
      }
      process.stderr.write(
        `  [scoring] ${dataSet.customers} customers: ${elapsed.toFixed(2)} s, peak RSS ${(peak / 1048576).toFixed(0)} MB${run < 0 ? ' (warm-up)' : ''}\n`,
      );
    }
    await forgetScoringAt(dataSet.name, dataSet.anchor);
    return { customers: dataSet.customers, events: dataSet.events, seconds: summarise(seconds), peakRssMb: summarise(rss), tierChanges };
  } finally {
    await server.stop();
  }
}

export async function runScoring(options: {
  dataSets: DataSetInfo[];
  runs: number;
  baselineDataSet?: DataSetInfo;
  redisUrl: string;
}): Promise<ScoringResult> {
  const sizes: ScoringSizeResult[] = [];
  for (const dataSet of options.dataSets)
    sizes.push(await timeFullRuns(dataSet, options.runs, dataSet.customers <= 20_000, options.redisUrl));
  let baseline: ScoringResult['baseline'];
  let classic: ScoringResult['classic'];
  if (options.baselineDataSet) {
    const dataSet = options.baselineDataSet;
    process.stderr.write(`  [scoring] the same engine with the first default model:\n`);
    classic = await timeFullRuns(dataSet, options.runs, true, options.redisUrl, CLASSIC_SCORING_MODEL);
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
  return { sizes, classic, baseline };
}
