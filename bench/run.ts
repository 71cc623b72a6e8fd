// `npm run bench`: generates (or reuses) the data sets through the service's own code paths, runs
// the four workloads against servers started as a user starts them, prints a table (figure,
// target, baseline, measured, ratio) and writes it to bench/results/latest.json.
//
//   npm run bench                      default scale (2 k and 10 k customers), < 10 minutes
//   BENCH_SCALE=full npm run bench     adds the 100 k-customer / 20 M-event data set
//   npm run bench -- --smoke           tiny sizes, one run each: CI's check that the suite works
//   npm run bench -- --only=scoring,dashboard   a subset (scoring, ingestion, bulk-import, dashboard, fanout, backtest, delivery)
//   npm run bench -- --drop            drop every hg_bench_* database afterwards
//
// Exit status: non-zero only when something is broken (an error, a wrong answer, a lost event), never
// because a target is missed. BENCH_SERVER=ts-node runs the server through ts-node instead of the build.
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataSetInfo, DataSetSpec, ensureDataSet } from './generate/dataset';
import { ADMIN_URL, databaseSize, dropDatabase, REDIS_URL, sql, withClient } from './support/databases';
import { round, Summary } from './support/stats';
import { SERVER_MODE } from './support/server-process';
import { runDashboard } from './workloads/dashboard';
import { runFanout } from './workloads/fanout';
import { runIngestion } from './workloads/ingestion';
import { runBulkImport } from './workloads/bulk-import';
import { runBacktestWorkload } from './workloads/backtest';
import type { BacktestWorkloadResult } from './workloads/backtest';
import type { RandomDayFigures } from './workloads/random-days';
import { runScoring } from './workloads/scoring';
import { runDeliveryWorkload } from './workloads/delivery';

type Scale = 'smoke' | 'default' | 'full';
const WORKLOADS = ['scoring', 'ingestion', 'bulk-import', 'dashboard', 'fanout', 'backtest', 'delivery'] as const;
type Workload = (typeof WORKLOADS)[number];

interface ScaleConfig {
  /** The labelled population backtested (workload `backtest`). */
  backtest: { customers: number; weeks: number };
  runs: number;
  dataSets: DataSetSpec[];
  /** The data set the scoring baseline and the growth comparison start from. */
  baselineCustomers: number;
  /** The data sets on which the default model's full rescore is compared with the first default model's. */
  modelComparisonCustomers: number[];
  /** The data set the dashboard pages are served from. */
  dashboardCustomers: number;
  dashboardSeconds: number;
  dashboardConnections: number;
  ingestion: { customers: number; batches: number; concurrency: number; singleClients: number; singleSeconds: number };
  /** The same events by raw COPY, the bulk import and trackEngagementBatch. */
  bulkImport: { customers: number; events: number; days: number };
  fanout: { clients: number; flippers: number; singleFlips: number; tierSubscribers: number; globalSubscribers: number };
  /** Tier changes of the run whose outreach is delivered to a local webhook receiver. */
  delivery: { flippers: number };
}

const SCALES: Record<Scale, ScaleConfig> = {
  smoke: {
    runs: 1,
    dataSets: [{ name: 'hg_bench_smoke', customers: 200, eventsPerCustomer: 60 }],
    baselineCustomers: 200,
    modelComparisonCustomers: [200],
    dashboardCustomers: 200,
    dashboardSeconds: 2,
    dashboardConnections: 8,
    ingestion: { customers: 200, batches: 2, concurrency: 2, singleClients: 8, singleSeconds: 2 },
    bulkImport: { customers: 100, events: 20_000, days: 14 },
    fanout: { clients: 100, flippers: 60, singleFlips: 2, tierSubscribers: 5, globalSubscribers: 2 },
    backtest: { customers: 150, weeks: 4 },
    delivery: { flippers: 60 },
  },
  default: {
    runs: 3,
    dataSets: [
      { name: 'hg_bench_2k', customers: 2_000, eventsPerCustomer: 200 },
      { name: 'hg_bench_10k', customers: 10_000, eventsPerCustomer: 200 },
    ],
    baselineCustomers: 10_000,
    modelComparisonCustomers: [10_000],
    dashboardCustomers: 10_000,
    dashboardSeconds: 10,
    dashboardConnections: 32,
    ingestion: { customers: 10_000, batches: 40, concurrency: 4, singleClients: 32, singleSeconds: 10 },
    bulkImport: { customers: 1_000, events: 500_000, days: 30 },
    fanout: { clients: 5_000, flippers: 5_000, singleFlips: 10, tierSubscribers: 40, globalSubscribers: 10 },
    backtest: { customers: 2_000, weeks: 26 },
    delivery: { flippers: 5_000 },
  },
  full: {
    runs: 3,
    dataSets: [
      { name: 'hg_bench_2k', customers: 2_000, eventsPerCustomer: 200 },
      { name: 'hg_bench_10k', customers: 10_000, eventsPerCustomer: 200 },
      { name: 'hg_bench_100k', customers: 100_000, eventsPerCustomer: 200 },
    ],
    baselineCustomers: 10_000,
    modelComparisonCustomers: [10_000, 100_000],
    dashboardCustomers: 100_000,
    dashboardSeconds: 20,
    dashboardConnections: 32,
    ingestion: { customers: 10_000, batches: 100, concurrency: 4, singleClients: 32, singleSeconds: 20 },
    bulkImport: { customers: 10_000, events: 2_000_000, days: 30 },
    fanout: { clients: 5_000, flippers: 5_000, singleFlips: 10, tierSubscribers: 40, globalSubscribers: 10 },
    backtest: { customers: 10_000, weeks: 26 },
    delivery: { flippers: 5_000 },
  },
};

interface Row {
  workload: Workload;
  figure: string;
  target: string;
  baseline: string;
  measured: string;
  ratio: string;
  /** true/false against the target; null when there is no target at this scale. */
  met: boolean | null;
  value?: number;
}

function parseArgs(argv: string[]): { scale: Scale; only: Set<Workload>; drop: boolean } {
  const smoke = argv.includes('--smoke');
  const envScale = process.env.BENCH_SCALE;
  const scale: Scale = smoke ? 'smoke' : envScale === 'full' ? 'full' : envScale === 'smoke' ? 'smoke' : 'default';
  const onlyArg = argv.find((a) => a.startsWith('--only='));
  const only = new Set<Workload>(onlyArg ? (onlyArg.slice('--only='.length).split(',') as Workload[]) : WORKLOADS);
  for (const w of only) if (!WORKLOADS.includes(w)) throw new Error(`unknown workload ${w}; one of ${WORKLOADS.join(', ')}`);
  return { scale, only, drop: argv.includes('--drop') };
}

const fmt = (value: number, digits = 1) => round(value, digits).toLocaleString('en');
/** "median [min–max]" of repeated runs. */
function spread(summary: Summary, digits = 1, unit = ''): string {
  if (summary.runs.length <= 1) return `${fmt(summary.median, digits)}${unit}`;
  return `${fmt(summary.median, digits)}${unit} [${fmt(summary.min, digits)}–${fmt(summary.max, digits)}]`;
}

async function machine(): Promise<Record<string, unknown>> {
  const pg = await withClient(ADMIN_URL, async (client) => {
    const { rows } = await client.query(
      `select version() as version, current_setting('shared_buffers') as shared_buffers, current_setting('work_mem') as work_mem,
              current_setting('max_parallel_workers_per_gather') as parallel_workers, current_setting('synchronous_commit') as synchronous_commit,
              current_setting('autovacuum') as autovacuum`,
    );
    return rows[0];
  });
  let redis = 'unknown';
  try {
    redis = execFileSync('redis-cli', ['-u', REDIS_URL, 'info', 'server'], { encoding: 'utf8' }).match(/redis_version:(\S+)/)?.[1] ?? redis;
  } catch {
    // redis-cli missing: the version is only informative
  }
  return {
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: pg,
    redis,
    server:
      SERVER_MODE === 'build'
        ? 'node dist/src/main.js (npm run build), NODE_ENV=production'
        : 'node -r ts-node/register/transpile-only src/main.ts, NODE_ENV=production',
  };
}

function printTable(rows: Row[]): void {
  const headers = ['workload', 'figure', 'target', 'baseline', 'measured (median [min–max])', 'ratio', ''];
  const cells = rows.map((r) => [
    r.workload,
    r.figure,
    r.target,
    r.baseline,
    r.measured,
    r.ratio,
    r.met === null ? '' : r.met ? 'ok' : 'MISSED',
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}

const percent = (value: number | null) => (value === null ? '—' : `${(100 * value).toFixed(1)} %`);

/** The prediction figures against the issue's targets, the first default model as the baseline of the same run. */
function backtestRows(result: BacktestWorkloadResult, judge: (ok: boolean) => boolean | null): Row[] {
  const { model, classic } = result;
  const size = `${result.customers.toLocaleString('en')} accounts × ${result.weeks} weekly snapshots`;
  const tierOrder = (rates: BacktestWorkloadResult['model']['report']['tierChurnRates']) => {
    const seen = rates.filter((t) => t.rate !== null).map((t) => t.rate as number);
    return seen.every((rate, i) => i === 0 || rate >= seen[i - 1]);
  };
  const row = (figure: string, target: string, measured: string, baseline: string, met: boolean | null): Row => ({
    workload: 'backtest',
    figure,
    target,
    baseline,
    measured,
    ratio: '',
    met,
  });
  return [
    row(
      `backtest time, ${size}`,
      result.customers >= 10_000 ? '≤ 120 s' : '',
      `${fmt(model.seconds, 1)} s`,
      `${fmt(classic.seconds, 1)} s`,
      result.customers >= 10_000 ? judge(model.seconds <= 120) : null,
    ),
    row(
      `recall 30 days ahead, churners whose leading pattern had begun by then (${model.foreseeableRecall30.begun.churners})`,
      '≥ 70 %',
      percent(model.foreseeableRecall30.begun.recall),
      percent(classic.foreseeableRecall30.begun.recall),
      judge((model.foreseeableRecall30.begun.recall ?? 0) >= 0.7),
    ),
    row(
      `  of them, patterns two weeks old or more by then (${model.foreseeableRecall30.twoWeeks.churners})`,
      '',
      percent(model.foreseeableRecall30.twoWeeks.recall),
      percent(classic.foreseeableRecall30.twoWeeks.recall),
      null,
    ),
    row(
      `  patterns begun 30 days before the churn, as up to the eleventh round (${model.foreseeableRecall30.byLead.churners})`,
      '',
      percent(model.foreseeableRecall30.byLead.recall),
      percent(classic.foreseeableRecall30.byLead.recall),
      null,
    ),
    ...model.begunByPattern.map((figure) => {
      const first = classic.begunByPattern.find((f) => f.pattern === figure.pattern);
      return row(
        `  of the begun, ${figure.pattern.replace(/_/g, ' ')} (${figure.churners})`,
        '',
        `${percent(figure.recall)} (${figure.flagged})`,
        first ? `${percent(first.recall)} (${first.flagged})` : '',
        null,
      );
    }),
    row(
      'recall 7 / 14 / 30 days ahead, every churner',
      '',
      model.report.recall.map((r) => percent(r.recall)).join(' / '),
      classic.report.recall.map((r) => percent(r.recall)).join(' / '),
      null,
    ),
    row(
      `precision (churn within ${model.report.horizonDays} days of a flag)`,
      '≥ 50 %',
      percent(model.report.precision.precision),
      percent(classic.report.precision.precision),
      judge((model.report.precision.precision ?? 0) >= 0.5),
    ),
    row(
      'AUC 30 days before churn',
      '≥ 0.85',
      fmt(model.report.auc.auc ?? 0, 3),
      fmt(classic.report.auc.auc ?? 0, 3),
      judge((model.report.auc.auc ?? 0) >= 0.85),
    ),
    row(
      `  churners whose leading pattern had begun by then (${model.foreseeableRecall30.begun.churners})`,
      '',
      fmt(model.foreseeableRecall30.begun.auc ?? 0, 3),
      fmt(classic.foreseeableRecall30.begun.auc ?? 0, 3),
      null,
    ),
    row(
      'non-churners falsely flagged, per 90 days',
      '≤ 5 %',
      percent(model.report.falseAlarms.ratePer90Days),
      percent(classic.report.falseAlarms.ratePer90Days),
      judge((model.report.falseAlarms.ratePer90Days ?? 1) <= 0.05),
    ),
    ...(
      [
        ['small steady accounts on random days', result.randomDays],
        ['accounts used about once a month', result.monthly],
        ['large teams of occasional users', result.occasionalTeams],
        ['brand-new accounts, from their signup', result.newAccounts],
        ['accounts whose team is away 1–3 weeks', result.holidays],
      ] as const
    ).map(([who, figures]) => {
      const share = (f: RandomDayFigures) => `${percent(f.everFlagged / f.accounts)} (${f.everFlagged})`;
      return row(
        `${who}, simulated (${figures.model.accounts}), flagged in ${figures.model.scoredDays} days of daily scoring`,
        '≤ 5 %',
        share(figures.model),
        share(figures.classic),
        judge(figures.model.everFlagged / figures.model.accounts <= 0.05),
      );
    }),
    row(
      'churn rate per tier, best → worst',
      'in severity order',
      model.report.tierChurnRates.map((t) => `${t.tierKey} ${percent(t.rate)}`).join(', '),
      classic.report.tierChurnRates.map((t) => percent(t.rate)).join(', '),
      judge(tierOrder(model.report.tierChurnRates)),
    ),
  ];
}

async function main(): Promise<void> {
  const { scale, only, drop } = parseArgs(process.argv.slice(2));
  const config = SCALES[scale];
  const started = Date.now();
  const smoke = scale === 'smoke';
  // At smoke size the targets say nothing: show them, judge nothing.
  const judge = (ok: boolean): boolean | null => (smoke ? null : ok);
  console.error(`healthgraph benchmarks, scale ${scale}, ${config.runs} run(s) per figure, workloads: ${[...only].join(', ')}`);
  const info = await machine();
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};

  const dataSets: DataSetInfo[] = [];
  if (only.has('scoring') || only.has('dashboard')) {
    for (const spec of config.dataSets) {
      if (!only.has('scoring') && spec.customers !== config.dashboardCustomers) continue;
      const dataSet = await ensureDataSet(spec);
      console.error(
        `  [data] ${spec.name}: ${dataSet.customers.toLocaleString('en')} customers, ${dataSet.events.toLocaleString('en')} events, ` +
          `${dataSet.payments.toLocaleString('en')} payments, ${dataSet.tickets.toLocaleString('en')} tickets, ${dataSet.npsResponses.toLocaleString('en')} NPS ` +
          `(${dataSet.reused ? 'reused' : `generated in ${dataSet.generatedSeconds} s`}, ${await databaseSize(spec.name)})`,
      );
      dataSets.push(dataSet);
    }
    details.dataSets = dataSets.map(({ url: _url, ...rest }) => rest);
  }

  if (only.has('scoring')) {
    const baselineSet = dataSets.find((d) => d.customers === config.baselineCustomers);
    const comparisonDataSets = dataSets.filter((d) => config.modelComparisonCustomers.includes(d.customers));
    const scoring = await runScoring({
      dataSets,
      runs: config.runs,
      baselineDataSet: baselineSet,
      comparisonDataSets,
      redisUrl: REDIS_URL,
    });
    details.scoring = scoring;
    for (const size of scoring.sizes) {
      const target = size.customers === 100_000 ? 15 : size.customers === 2_000 ? 1 : null;
      rows.push({
        workload: 'scoring',
        figure: `refreshAllHealthScores, ${size.customers.toLocaleString('en')} customers (${(size.events / 1e6).toFixed(1)} M events)`,
        target: target === null ? '' : `≤ ${target} s`,
        baseline: '',
        measured: spread(size.seconds, 2, ' s'),
        ratio: '',
        met: target === null ? null : judge(size.seconds.median <= target),
        value: size.seconds.median,
      });
      rows.push({
        workload: 'scoring',
        figure: `  peak server RSS during it`,
        target: size.customers === 100_000 ? '≤ 600 MB' : '',
        baseline: '',
        measured: spread(size.peakRssMb, 0, ' MB'),
        ratio: '',
        met: size.customers === 100_000 ? judge(size.peakRssMb.median <= 600) : null,
      });
    }
    const base = scoring.sizes.find((s) => s.customers === config.baselineCustomers);
    for (const comparison of scoring.comparisons) {
      const ratio = comparison.model.seconds.median / comparison.classic.seconds.median;
      rows.push({
        workload: 'scoring',
        figure: `predictive model against the first default model, same engine, ${comparison.customers.toLocaleString('en')} customers (time; runs alternated)`,
        target: '≤ 1.2×',
        baseline: spread(comparison.classic.seconds, 2, ' s'),
        measured: spread(comparison.model.seconds, 2, ' s'),
        ratio: `${fmt(ratio, 2)}× (rounds ${spread(comparison.roundRatios, 2, '×')})`,
        met: judge(ratio <= 1.2),
      });
      const changed = comparison.changed.seconds.median / comparison.model.seconds.median;
      rows.push({
        workload: 'scoring',
        figure: `  the default model right after a model change (one weight; previous points scored by another version) against it`,
        target: '',
        baseline: spread(comparison.model.seconds, 2, ' s'),
        measured: spread(comparison.changed.seconds, 2, ' s'),
        ratio: `${fmt(changed, 2)}× (rounds ${spread(comparison.changedRatios, 2, '×')})`,
        met: null,
      });
      const signalsOnly = comparison.signalsOnly.seconds.median / comparison.classic.seconds.median;
      rows.push({
        workload: 'scoring',
        figure: `  the signals issue 12 lists alone (the default model's, none of its red flags) against the first default model`,
        target: '',
        baseline: spread(comparison.classic.seconds, 2, ' s'),
        measured: spread(comparison.signalsOnly.seconds, 2, ' s'),
        ratio: `${fmt(signalsOnly, 2)}× (rounds ${spread(comparison.signalsOnlyRatios, 2, '×')})`,
        met: null,
      });
    }
    if (scoring.baseline && scoring.classic) {
      const ratio = scoring.baseline.seconds / scoring.classic.seconds.median;
      rows.push({
        workload: 'scoring',
        figure: `speed-up over per-customer queries (seed 003), first default model, ${scoring.classic.customers.toLocaleString('en')} customers`,
        target: '≥ 50×',
        baseline: `${fmt(scoring.baseline.seconds, 1)} s`,
        measured: `${fmt(scoring.classic.seconds.median, 2)} s`,
        ratio: `${fmt(ratio, 0)}×`,
        met: judge(ratio >= 50),
      });
    }
    const largest = scoring.sizes[scoring.sizes.length - 1];
    if (base && largest && largest.customers > base.customers) {
      const growth = largest.seconds.median / base.seconds.median / (largest.customers / base.customers);
      rows.push({
        workload: 'scoring',
        figure: `growth ${base.customers.toLocaleString('en')} → ${largest.customers.toLocaleString('en')} customers (time per customer, 1 = linear)`,
        target: '≤ 1 (linear or better)',
        baseline: '',
        measured: `${fmt(base.seconds.median, 2)} s → ${fmt(largest.seconds.median, 2)} s`,
        ratio: `${fmt(growth, 2)}`,
        met: judge(growth <= 1.1),
      });
    }
  }

  if (only.has('bulk-import')) {
    // BENCH_BULK_EVENTS, BENCH_BULK_CUSTOMERS and BENCH_BULK_RUNS size the workload beyond its scale, e.g. ten million events once.
    const c = {
      ...config.bulkImport,
      events: Number(process.env.BENCH_BULK_EVENTS ?? config.bulkImport.events),
      customers: Number(process.env.BENCH_BULK_CUSTOMERS ?? config.bulkImport.customers),
    };
    const runs = Number(process.env.BENCH_BULK_RUNS ?? config.runs);
    const bulk = await runBulkImport({ customers: c.customers, events: c.events, days: c.days, runs });
    details.bulkImport = bulk;
    const figure = `bulk import of ${fmt(c.events, 0)} NDJSON events (${fmt(c.customers, 0)} customers, ${c.days} days), 2 connections: COPY to staging, merge with rollup and rescoring queue (events/s)`;
    rows.push({
      workload: 'bulk-import',
      figure,
      target: '≥ 0.8× raw COPY',
      baseline: `${fmt(bulk.rawCopyTwoEventsPerSecond.median, 0)} (raw COPY into engagement_event, 2 connections)`,
      measured: spread(bulk.bulkEventsPerSecond, 0),
      ratio: `${fmt(bulk.bulkToRawCopyTwo.median, 2)}×`,
      met: judge(bulk.bulkToRawCopyTwo.median >= 0.8),
    });
    rows.push({
      workload: 'bulk-import',
      figure: `the same import against raw COPY on 1 connection (the import still uses 2); peak RSS of the benchmark process ${fmt(bulk.peakRssMb, 0)} MB`,
      target: '',
      baseline: `${fmt(bulk.rawCopyEventsPerSecond.median, 0)} (raw COPY, 1 connection)`,
      measured: spread(bulk.bulkEventsPerSecond, 0),
      ratio: `${fmt(bulk.bulkToRawCopy.median, 2)}×`,
      met: null,
    });
    if (bulk.batchEventsPerSecond)
      rows.push({
        workload: 'bulk-import',
        figure: 'trackEngagementBatch in process, the same events (events/s), for reference',
        target: '',
        baseline: `${fmt(bulk.rawCopyEventsPerSecond.median, 0)} (raw COPY, 1 connection)`,
        measured: spread(bulk.batchEventsPerSecond, 0),
        ratio: `${fmt(bulk.batchEventsPerSecond.median / bulk.rawCopyEventsPerSecond.median, 2)}×`,
        met: null,
      });
  }

  if (only.has('ingestion')) {
    const c = config.ingestion;
    const ingestion = await runIngestion({
      customers: c.customers,
      eventsPerBatch: 5000,
      batchesPerRun: c.batches,
      batchConcurrency: c.concurrency,
      singleClients: c.singleClients,
      singleSeconds: c.singleSeconds,
      runs: config.runs,
      redisUrl: REDIS_URL,
    });
    details.ingestion = ingestion;
    rows.push({
      workload: 'ingestion',
      figure: `trackEngagementBatch, 5,000 events/call, ${c.concurrency} calls in flight (events/s)`,
      target: '≥ 50,000',
      baseline: fmt(ingestion.baseline.batchEventsPerSecond, 0),
      measured: spread(ingestion.batch.eventsPerSecond, 0),
      ratio: `${fmt(ingestion.batch.eventsPerSecond.median / ingestion.baseline.batchEventsPerSecond, 1)}×`,
      met: judge(ingestion.batch.eventsPerSecond.median >= 50_000),
    });
    rows.push({
      workload: 'ingestion',
      figure: `  then every customer those batches touched rescored within (s of the last answer)`,
      target: '',
      baseline: '',
      measured: spread(ingestion.batch.rescoredWithinSeconds, 1, ' s'),
      ratio: '',
      met: null,
    });
    rows.push({
      workload: 'ingestion',
      figure: `trackEngagement, ${c.singleClients} concurrent clients (events/s)`,
      target: '≥ 1,500',
      baseline: fmt(ingestion.baseline.singleEventsPerSecond, 0),
      measured: spread(ingestion.single.eventsPerSecond, 0),
      ratio: `${fmt(ingestion.single.eventsPerSecond.median / ingestion.baseline.singleEventsPerSecond, 1)}×`,
      met: judge(ingestion.single.eventsPerSecond.median >= 1500),
    });
    rows.push({
      workload: 'ingestion',
      figure: `  p99 latency`,
      target: '≤ 50 ms',
      baseline: `${fmt(ingestion.baseline.singleP99Ms, 1)} ms`,
      measured: spread(ingestion.single.p99Ms, 1, ' ms'),
      ratio: '',
      met: judge(ingestion.single.p99Ms.median <= 50),
    });
  }

  if (only.has('dashboard')) {
    const dataSet = dataSets.find((d) => d.customers === config.dashboardCustomers);
    if (!dataSet) throw new Error('no data set for the dashboard');
    const dashboard = await runDashboard({
      dataSet,
      connections: config.dashboardConnections,
      seconds: config.dashboardSeconds,
      runs: config.runs,
      redisUrl: REDIS_URL,
    });
    details.dashboard = dashboard;
    const over = `${config.dashboardConnections} conns × ${config.dashboardSeconds} s, ${dataSet.customers.toLocaleString('en')} customers`;
    rows.push({
      workload: 'dashboard',
      figure: `first page of 50, SCORE_ASC, nested score/NPS/outreach (req/s, ${over})`,
      target: '≥ 800',
      baseline: fmt(dashboard.baseline.requestsPerSecond.median, 0),
      measured: spread(dashboard.firstPage.requestsPerSecond, 0),
      ratio: `${fmt(dashboard.firstPage.requestsPerSecond.median / dashboard.baseline.requestsPerSecond.median, 1)}×`,
      met: judge(dashboard.firstPage.requestsPerSecond.median >= 800),
    });
    rows.push({
      workload: 'dashboard',
      figure: `  p99 latency`,
      target: '≤ 60 ms',
      baseline: `${fmt(dashboard.baseline.p99Ms.median, 0)} ms`,
      measured: spread(dashboard.firstPage.p99Ms, 0, ' ms'),
      ratio: '',
      met: judge(dashboard.firstPage.p99Ms.median <= 60),
    });
    rows.push({
      workload: 'dashboard',
      figure: `deep page, after a cursor ${dashboard.deepPage.offset.toLocaleString('en')} rows in (req/s; p99)`,
      target: 'as fast as page 1',
      baseline: '',
      measured: `${spread(dashboard.deepPage.requestsPerSecond, 0)}; ${fmt(dashboard.deepPage.p99Ms.median, 0)} ms`,
      ratio: `${fmt(dashboard.deepPage.requestsPerSecond.median / dashboard.firstPage.requestsPerSecond.median, 2)} of page 1`,
      // Within the run-to-run spread of this load (±20 %): the two pages run the same plan.
      met: judge(dashboard.deepPage.requestsPerSecond.median >= 0.85 * dashboard.firstPage.requestsPerSecond.median),
    });
    rows.push({
      workload: 'dashboard',
      figure: `SQL statements per request (5 customers / 50 customers)`,
      target: 'constant',
      baseline: `${dashboard.statements.baselineFifty} for 50`,
      measured: `${dashboard.statements.five} / ${dashboard.statements.fifty}`,
      ratio: '',
      met: dashboard.statements.five === dashboard.statements.fifty ? judge(true) : false,
    });
  }

  if (only.has('fanout')) {
    const fanout = await runFanout({ ...config.fanout, runs: config.runs, redisUrl: REDIS_URL });
    details.fanout = fanout;
    rows.push({
      workload: 'fanout',
      figure: `one tier change → ${fanout.clients.toLocaleString('en')} subscribers on another instance (p99 latency)`,
      target: '≤ 500 ms',
      baseline: '',
      measured: `${spread(fanout.oneChange.p99Ms, 0, ' ms')} (p50 ${fmt(fanout.oneChange.p50Ms.median, 0)} ms)`,
      ratio: '',
      met: judge(fanout.oneChange.p99Ms.median <= 500),
    });
    rows.push({
      workload: 'fanout',
      figure: `scoring run changing ${fanout.scoringRun.tierChanges.toLocaleString('en')} tiers: ${fanout.scoringRun.expectedDeliveries.toLocaleString('en')} deliveries, largest loop stall`,
      target: '≤ 200 ms',
      baseline: '',
      measured: `${spread(fanout.scoringRun.maxStallMs, 0, ' ms')}; all delivered in ${fmt(fanout.scoringRun.deliveredSeconds.median, 1)} s`,
      ratio: '',
      met: judge(fanout.scoringRun.maxStallMs.median <= 200),
    });
    rows.push({
      workload: 'fanout',
      figure: `server RSS with ${fanout.clients.toLocaleString('en')} connections subscribed (peak during the burst above)`,
      target: '≤ 400 MB',
      baseline: '',
      measured: `${fmt(fanout.rssAtConnectionsMb, 0)} MB (${fmt(fanout.scoringRun.peakRssMb.median, 0)} MB)`,
      ratio: '',
      met: judge(fanout.rssAtConnectionsMb <= 400),
    });
    if (!fanout.scoringRun.complete) throw new Error('the scoring run did not deliver every event to the subscribers that asked for it');
  }

  if (only.has('delivery')) {
    const delivery = await runDeliveryWorkload({ ...config.delivery, runs: config.runs });
    details.delivery = delivery;
    rows.push({
      workload: 'delivery',
      figure: `run changing ${delivery.tierChanges.toLocaleString('en')} tiers: ${delivery.deliveries.toLocaleString('en')} webhook deliveries, all delivered within (s of the run's start)`,
      target: '≤ 30 s',
      baseline: '',
      measured: `${spread(delivery.deliveredSeconds, 1, ' s')}; ${fmt(delivery.deliveriesPerSecond.median, 0)} deliveries/s`,
      ratio: '',
      met: judge(delivery.deliveredSeconds.median <= 30),
    });
    rows.push({
      workload: 'delivery',
      figure: `  p99 commit → delivery (from the batch transaction's start)`,
      target: '≤ 10 s',
      baseline: '',
      measured: spread(delivery.p99CommitToDeliveryMs, 0, ' ms'),
      ratio: '',
      met: judge(delivery.p99CommitToDeliveryMs.median <= 10_000),
    });
    rows.push({
      workload: 'delivery',
      figure: `  the scoring run with the destination, against the same run without (s)`,
      target: '≤ 1.1×',
      baseline: spread(delivery.scoringWithoutSeconds, 2, ' s'),
      measured: spread(delivery.scoringWithSeconds, 2, ' s'),
      ratio: `${fmt(delivery.scoringWithSeconds.median / delivery.scoringWithoutSeconds.median, 2)}×`,
      met: judge(delivery.scoringWithSeconds.median <= 1.1 * delivery.scoringWithoutSeconds.median),
    });
    if (!delivery.complete) throw new Error('the delivery workload did not receive every delivery');
  }

  if (only.has('backtest')) {
    const backtest = await runBacktestWorkload(config.backtest);
    details.backtest = backtest;
    rows.push(...backtestRows(backtest, judge));
  }

  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`\nhealthgraph benchmarks, scale ${scale}, ${new Date().toISOString()}, ${seconds} s`);
  console.log(
    `machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGb} GB; ${info.node}; PostgreSQL ${String((info.postgres as { version: string }).version).split(' ')[1]} (shared_buffers ${(info.postgres as { shared_buffers: string }).shared_buffers}, autovacuum ${(info.postgres as { autovacuum: string }).autovacuum}); Redis ${info.redis}\n`,
  );
  printTable(rows);
  const resultsDir = path.join(__dirname, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const report = { scale, finishedAt: new Date().toISOString(), seconds, machine: info, rows, details };
  writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(resultsDir, `${scale}.json`), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwritten to bench/results/latest.json`);

  if (drop) {
    const names = await sql<{ datname: string }>('postgres', `select datname from pg_database where datname like 'hg\\_bench\\_%'`);
    for (const { datname } of names) await dropDatabase(datname);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
