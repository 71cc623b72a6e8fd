// `npm run demo:seed [-- --customers N --days D --seed S]`: loads the demo data set (2,000 customers,
// 180 days of signals ending now: healthy accounts, traps and labelled churners) into the same database
// `npm start` uses, through the service's own ingestion code, then scores 30 days of history so the
// dashboard has trends and tier changes at once.
import 'reflect-metadata';
import { buildDemoDataSet, DEFAULT_DEMO_OPTIONS, DemoOptions, MAX_DEMO_CUSTOMERS, MAX_DEMO_DAYS, MIN_DEMO_DAYS } from '../src/demo/demo-data';
import { DemoProgress, loadDemoData, scoreDemoHistory } from '../src/demo/load-demo-data';
import { hashToSeed } from '../src/demo/seeded-random';
import { readConfig } from '../src/infra/config';
import type { CoreServices } from '../src/context';
import { createLogger } from '../src/infra/logger';
import { InProcessPubSub } from '../src/infra/pubsub';
import type { Db } from '../src/infra/sql';
import { runScript, withScriptDatabase } from './script-database';

const USAGE = `Usage: npm run demo:seed -- [--customers N] [--days D] [--seed S]

  --customers N  number of customers, 1–${count(MAX_DEMO_CUSTOMERS)} (default ${count(DEFAULT_DEMO_OPTIONS.customers)})
  --days D       days of signals ending now, ${MIN_DEMO_DAYS}–${MAX_DEMO_DAYS} (default ${DEFAULT_DEMO_OPTIONS.days})
  --seed S       integer or text; the same seed on the same day gives the same data (default ${DEFAULT_DEMO_OPTIONS.seed})

Uses DATABASE_URL when set, else the embedded PostgreSQL of \`npm start\` (DATA_DIR, EMBEDDED_PG_PORT).
Re-running is safe: customers, payments and tickets are upserted, events and NPS responses already
stored are skipped, and history days already scored are not scored again. Different seeds on one
database are not meant to be mixed: events keep the keys of the first load.`;

function parseArguments(argv: string[]): Omit<DemoOptions, 'now'> {
  const options: Omit<DemoOptions, 'now'> = { ...DEFAULT_DEMO_OPTIONS };
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (argument === '--help' || argument === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    const match = /^--(customers|days|seed)(?:=(.*))?$/.exec(argument);
    if (!match) throw new Error(`unknown argument "${argument}"\n\n${USAGE}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${match[1]} needs a value`);
    if (match[1] === 'seed') {
      // Text seeds are handy ("--seed demo-day"); they are hashed to the integer the generator takes.
      options.seed = /^-?\d+$/.test(value) ? Number(value) : hashToSeed(value);
    } else {
      const number = Number(value);
      if (!Number.isInteger(number)) throw new Error(`--${match[1]} must be an integer, got "${value}"`);
      options[match[1] as 'customers' | 'days'] = number;
    }
  }
  return options;
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function seconds(value: number): string {
  return `${value.toFixed(1)} s`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** One line per phase: rewritten in place on a terminal, every 10 % otherwise (logs, CI). */
function progressPrinter(): (progress: DemoProgress) => void {
  const interactive = process.stdout.isTTY === true;
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
      console.log(line);
    }
  };
}

async function main(): Promise<void> {
  const demoOptions = parseArguments(process.argv.slice(2));
  const config = readConfig();
  const startedAt = Date.now();

  // The same cluster `npm start` uses (when DATABASE_URL is unset), so the seeded data is what the service shows.
  await withScriptDatabase(config, config.databasePoolMax, async (orm, databaseUrl) => {
    const services: CoreServices = {
      orm,
      pubsub: new InProcessPubSub(),
      logger: createLogger(config.logLevel),
      config: { ...config, databaseUrl },
     
      onModelActivated: [],
    };
    const db = orm.em.fork() as Db;
    const dataSet = buildDemoDataSet({ ...demoOptions, now: new Date() });
    console.log(
      `Loading ${count(demoOptions.customers)} demo customers with ${demoOptions.days} days of signals ending ${dataSet.window.now.toISOString()} ` +
        `(seed ${demoOptions.seed}) into ${withoutPassword(databaseUrl)}`,
    );
    const print = progressPrinter();
    // Below the pool size: the scoring advisory lock and the ORM's own queries need connections too.
    const loaded = await loadDemoData(db, dataSet, { onProgress: print, concurrency: Math.max(1, Math.min(8, config.databasePoolMax - 2)) });
    const scored = await scoreDemoHistory(services, db, dataSet, { onProgress: print });

    const archetypes = Object.entries(loaded.archetypes).map(([name, n]) => `${name} ${count(n)}`).join(', ');
    console.log(
      [
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
      ].join('\n'),
    );
  });
}

runScript(main);
