// Loading the demo data set from a command line: `npm run demo:seed` (scripts/demo-seed.ts, which
// finds the database), `npm start -- --demo` (main.ts, into an empty database before the service
// starts) and the built image (`node dist/src/demo/demo-seed-command.js`, DATABASE_URL required).
import 'reflect-metadata';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { AppConfig } from '../infra/config';
import { readConfig, withoutPassword } from '../infra/config';
import { commandServices, CoreServices } from '../context';
import { openDatabase } from '../database';
import { StartupRefusal, UsageError } from '../infra/errors';
import { runCommand } from '../infra/command-line';
import { Db, queryOne } from '../infra/sql';
import { analyzeTables } from '../infra/table-statistics';
import { holdingRescoring } from '../scoring/bulk-load-hold';
import { buildDemoDataSet, DEFAULT_DEMO_OPTIONS, MAX_DEMO_CUSTOMERS, MAX_DEMO_DAYS, MIN_DEMO_DAYS } from './demo-data';
import { claimDemoSeed, DemoSeedOptions, DemoSeedRecord, markDemoSeedLoaded } from './demo-seed-record';
import { DemoProgress, loadDemoData, scoreDemoHistory } from './load-demo-data';
import { hashToSeed } from './seeded-random';

export type { DemoSeedOptions } from './demo-seed-record';

export const DEMO_SEED_USAGE = `Usage: npm run demo:seed -- [--customers N] [--days D] [--seed S]
       demo-seed [--customers N] [--days D] [--seed S]      (in the Docker image)
       npm start -- --demo [--customers N] [--days D] [--seed S]

  --customers N  number of customers, 1–${count(MAX_DEMO_CUSTOMERS)} (default ${count(DEFAULT_DEMO_OPTIONS.customers)})
  --days D       days of signals ending now (on a re-run, where the first load's ended), ${MIN_DEMO_DAYS}–${MAX_DEMO_DAYS} (default ${DEFAULT_DEMO_OPTIONS.days})
  --seed S       integer or text; the same seed on the same day gives the same data (default ${DEFAULT_DEMO_OPTIONS.seed})

demo:seed uses DATABASE_URL when set, else the embedded PostgreSQL of \`npm start\` (DATA_DIR,
EMBEDDED_PG_PORT), running or not. The database records the options it was seeded with and when
that data set ends. Re-running with the same options is safe: it loads that same data set again
(so it completes an interrupted load and changes nothing already stored) and scores as of now.
Other options, or a database with demo customers it holds no record of (an earlier release's), are
refused with exit code 2 before anything is written (customers of your own stay, the demo's beside them): seed a fresh database instead (a DATA_DIR and EMBEDDED_PG_PORT of its own,
or DATABASE_URL naming an empty one).
\`npm start -- --demo\` loads the demo into a database without customers, finishes an interrupted
load, and refuses other options than those recorded in the same way.`;

/** The range of `--customers` and `--days`, checked before any database work. */
const DEMO_RANGES = {
  customers: { min: 1, max: MAX_DEMO_CUSTOMERS },
  days: { min: MIN_DEMO_DAYS, max: MAX_DEMO_DAYS },
};

/** Parses `--customers N --days D --seed S` (each optional); a UsageError (one line) on anything else. */
export function parseDemoArguments(argv: readonly string[]): DemoSeedOptions {
  const options: DemoSeedOptions = { ...DEFAULT_DEMO_OPTIONS };
  for (let i = 0; i < argv.length; i++) {
    const match = /^--(customers|days|seed)(?:=(.*))?$/.exec(argv[i]);
    if (!match) throw new UsageError(`unknown argument "${argv[i]}": the options are --customers N, --days D and --seed S`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${match[1]} needs a value`);
    if (match[1] === 'seed') {
      // Text seeds are handy ("--seed demo-day"); they are hashed to the integer the generator takes.
      options.seed = /^-?\d+$/.test(value) ? Number(value) : hashToSeed(value);
    } else {
      const name = match[1] as 'customers' | 'days';
      const { min, max } = DEMO_RANGES[name];
      const number = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!(number >= min && number <= max))
        throw new UsageError(`--${name} must be an integer from ${count(min)} to ${count(max)}, got "${value}"`);
      options[name] = number;
    }
  }
  return options;
}

function seconds(value: number): string {
  return `${value.toFixed(1)} s`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** One line per phase: rewritten in place on a terminal, every 10 % otherwise (logs, CI). */
function progressPrinter(print: (line: string) => void, interactive: boolean): (progress: DemoProgress) => void {
  let lastPhase = '';
  let lastPrintedAt = 0;
  let lastDecile = -1;
  return (progress) => {
    const finished = progress.done >= progress.total;
    const line = `  ${progress.phase.padEnd(9)} ${String(progress.done).padStart(String(progress.total).length)}/${progress.total}${progress.detail ? `  ${progress.detail}` : ''}`;
    if (progress.phase !== lastPhase) {
      if (interactive && lastPhase) process.stdout.write('\n');
      lastPhase = progress.phase;
      lastDecile = -1;
    }
    if (interactive) {
      if (!finished && Date.now() - lastPrintedAt < 250) return;
      lastPrintedAt = Date.now();
      process.stdout.write(`\r${line.padEnd(100)}`);
      if (finished && progress.phase === 'scoring') process.stdout.write('\n');
      return;
    }
    // Scoring runs are few and slow: print each. Other phases every 10 %.
    const decile = Math.floor((progress.done / progress.total) * 10);
    if (progress.phase === 'scoring' || decile > lastDecile) {
      lastDecile = decile;
      print(line);
    }
  };
}

/**
 * Loads the demo data set through the service's ingestion code into the database `orm` is open on,
 * then scores 30 days of history so the dashboard has trends and tier changes at once; `print`
 * receives the progress and the summary (progress rewritten in place when `interactive`, a terminal).
 * The database records the data set (demo-seed-record.ts): a StartupRefusal, before anything is
 * written, when it holds another one or customers of its own.
 */
export async function seedDemo(
  orm: MikroORM,
  config: AppConfig,
  databaseUrl: string,
  options: DemoSeedOptions,
  print: (line: string) => void,
  interactive = false,
): Promise<void> {
  const startedAt = Date.now();
  // Before anything else: a refused load writes nothing and connects to nothing more.
  const claimed = await claimDemoSeed(orm.em.fork() as Db, options, new Date(startedAt));
  const services = await commandServices(orm, config, databaseUrl);
  try {
    await seedWith(services, databaseUrl, options, claimed, print, interactive, startedAt);
  } finally {
    await services.pubsub.close();
  }
}

/** seedDemo's work, with the services it closes after it. */
async function seedWith(
  services: CoreServices,
  databaseUrl: string,
  options: DemoSeedOptions,
  claimed: { record: DemoSeedRecord; isNew: boolean },
  print: (line: string) => void,
  interactive: boolean,
  startedAt: number,
): Promise<void> {
  const { config, orm } = services;
  const db = orm.em.fork() as Db;
  // From the recorded instant: a later load regenerates exactly the data set the first one loaded.
  const dataSet = buildDemoDataSet({ ...options, now: claimed.record.anchoredAt });
  print(
    `Loading ${count(options.customers)} demo customers with ${options.days} days of signals ending ${dataSet.window.now.toISOString()} ` +
      `(seed ${options.seed}) into ${withoutPassword(databaseUrl)}` +
      (claimed.isNew ? '' : ': the data set this database was seeded with, again'),
  );
  const progress = progressPrinter(print, interactive);
  // A running service rescores none of it until it is all loaded and scored (bulk-load-hold.ts).
  const { loaded, scored } = await holdingRescoring(databaseUrl, async () => {
    // Below the pool size: the scoring advisory lock and the ORM's own queries need connections too.
    const loaded = await loadDemoData(db, dataSet, {
      onProgress: progress,
      concurrency: Math.max(1, Math.min(8, config.databasePoolMax - 2)),
    });
    return { loaded, scored: await scoreDemoHistory(services, db, dataSet, { onProgress: progress }) };
  });
  // A bulk load: the planner's statistics describe the empty tables until taken again (table-statistics.ts).
  await analyzeTables(db);
  await markDemoSeedLoaded(db, new Date());

  const archetypes = Object.entries(loaded.archetypes)
    .map(([name, n]) => `${name} ${count(n)}`)
    .join(', ');
  for (const line of [
    '',
    'Demo data loaded',
    `  customers      ${count(loaded.customers)}: ${archetypes}`,
    `                 churned ${count(loaded.churned)}, opted out ${count(loaded.optedOut)}, ${count(loaded.planChanges)} plan changes applied`,
    `  events         ${count(loaded.events.generated)} generated, ${count(loaded.events.inserted)} new, ${count(loaded.events.duplicates)} already stored (${loaded.events.batches} batches)`,
    `  payments       ${count(loaded.payments.recorded)} upserted by external id (${count(loaded.payments.failed)} failed)`,
    `  tickets        ${count(loaded.tickets)} upserted by external id`,
    `  NPS responses  ${count(loaded.npsResponses.submitted)} new, ${count(loaded.npsResponses.alreadyPresent)} already stored`,
    `  loading        ${seconds(loaded.seconds)} (customers ${seconds(loaded.phaseSeconds.customers)}, events ${seconds(loaded.phaseSeconds.events)}, ` +
      `payments, tickets and NPS ${seconds(loaded.phaseSeconds.signals)})`,
    `  score history  ${scored.runs} scoring runs (${scored.skipped} days already scored), ${count(scored.tierChanges)} tier changes, ${seconds(scored.seconds)}`,
    `  total          ${seconds((Date.now() - startedAt) / 1000)}`,
    '',
  ]) {
    print(line);
  }
}

/** How many customers the database holds (`npm start -- --demo` loads the demo only into an empty one). */
export async function customerCount(orm: MikroORM): Promise<number> {
  const row = await queryOne<{ n: number }>(orm.em.fork() as Db, 'select count(*)::int as n from customer');
  return row?.n ?? 0;
}

/** The built image's entry point: `node dist/src/demo/demo-seed-command.js [--customers N …]`. */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(DEMO_SEED_USAGE);
    return;
  }
  const options = parseDemoArguments(argv);
  const config = readConfig();
  if (!config.databaseUrl)
    throw new StartupRefusal('DATABASE_URL must be set (from a source checkout, `npm run demo:seed` also finds the embedded PostgreSQL)');
  const orm = await openDatabase(config.databaseUrl, config.databasePoolMax);
  try {
    await seedDemo(orm, config, config.databaseUrl, options, (line) => console.log(line), process.stdout.isTTY === true);
  } finally {
    await orm.close();
  }
}

if (require.main === module) runCommand(main);
