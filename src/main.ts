// `npm start [-- --demo [--customers N --days D --seed S]]` (`--help` for the usage): read the configuration, start an
// embedded PostgreSQL when DATABASE_URL is unset, load the demo data set into a database without
// customers when asked, start the service, and shut down gracefully on SIGTERM/SIGINT.
import 'reflect-metadata';
import path from 'node:path';
import { startApp } from './app';
import { dashboardStartupLine } from './dashboard/static';
import { customerCount, DemoSeedOptions, parseDemoArguments, seedDemo } from './demo/demo-seed-command';
import { demoSeedFlags, recordedDemoSeed, sameDemoOptions } from './demo/demo-seed-record';
import { AppConfig, readConfig } from './infra/config';
import { openDatabase } from './database';
import { startEmbeddedPostgres } from './infra/embedded-postgres';
import { DATABASE_UNREACHABLE_EXIT_CODE, databaseStartFailure, DatabaseUnreachable } from './infra/database-start-failure';
import { StartupRefusal, UsageError } from './infra/errors';
import { createLogger, Logger } from './infra/logger';
import type { Db } from './infra/sql';

const START_USAGE = `Usage: npm start [-- --demo [--customers N] [--days D] [--seed S]]

  --demo   load the demo data set first when the database has no customers, or finish a load of
           it that was interrupted; other options than the database was seeded with are refused
           (the options as for npm run demo:seed -- --help)

Configured by environment variables (README, "Configuration"): PORT, HOST, DATABASE_URL (unset: the
embedded PostgreSQL in DATA_DIR on EMBEDDED_PG_PORT), REDIS_URL, LOG_LEVEL, …`;

/** `--demo` and the demo's options, or undefined without `--demo`; any other argument is a UsageError. */
function demoRequested(argv: string[]): DemoSeedOptions | undefined {
  if (argv.length === 0) return undefined;
  if (argv[0] !== '--demo')
    throw new UsageError(`unknown argument "${argv[0]}": npm start takes only --demo [--customers N] [--days D] [--seed S]`);
  return parseDemoArguments(argv.slice(1));
}

/**
 * `--demo`: an empty database gets the demo data set before the service starts, as does one whose
 * load of it was interrupted; one that holds it, or customers of its own, is left alone; other
 * options than those it was seeded with are refused (exit code 2), as `npm run demo:seed` refuses them.
 */
async function loadDemoWhenAsked(config: AppConfig, databaseUrl: string, options: DemoSeedOptions, logger: Logger): Promise<void> {
  const orm = await openDatabase(databaseUrl, config.databasePoolMax);
  try {
    const record = await recordedDemoSeed(orm.em.fork() as Db);
    const flags = { customers: options.customers, days: options.days, seed: options.seed };
    if (record === null) {
      const customers = await customerCount(orm);
      if (customers > 0) {
        logger.info({ customers }, `--demo: the database already has ${customers} customers, demo data not loaded`);
        return;
      }
      logger.info(flags, '--demo: the database has no customers, loading the demo data set');
    } else if (sameDemoOptions(record, options)) {
      if (record.loadedAt !== null) {
        logger.info(flags, `--demo: the database already holds this demo data set (${demoSeedFlags(record)}), demo data not loaded`);
        return;
      }
      logger.info(flags, '--demo: the last load of this demo data set did not finish, loading it again');
    }
    // Other options than those recorded: seedDemo refuses them before writing anything.
    await seedDemo(orm, config, databaseUrl, options, (line) => process.stdout.write(`${line}\n`));
  } finally {
    await orm.close();
  }
}

/** Runs the start's database work; a failure of the database itself becomes its one line (databaseStartFailure). */
async function withDatabaseNamed<T>(databaseUrl: string, source: string, work: (url: string) => Promise<T>): Promise<T> {
  try {
    return await work(databaseUrl);
  } catch (error) {
    throw databaseStartFailure(error, databaseUrl, source) ?? error;
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(START_USAGE);
    return;
  }
  const demo = demoRequested(argv);
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  // Stopped before the service is up (a rollout, Ctrl-C during the migrations): exit rather than die
  // of the signal, so that the exit hooks run and stop an embedded PostgreSQL already started, which
  // would otherwise outlive this process.
  const stopWhileStarting = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'stopped while starting');
    process.exit(0);
  };
  process.on('SIGTERM', stopWhileStarting);
  process.on('SIGINT', stopWhileStarting);
  let databaseUrl = config.databaseUrl;
  let embedded: { stop(): Promise<void> } | undefined;
  if (!databaseUrl) {
    const dataDir = path.resolve(config.dataDir, 'postgres');
    const started = await startEmbeddedPostgres({ dataDir, port: config.embeddedPostgresPort, logger });
    databaseUrl = started.databaseUrl;
    embedded = started;
  }
  const app = await withDatabaseNamed(databaseUrl, config.databaseUrl ? 'DATABASE_URL' : 'the embedded PostgreSQL', async (url) => {
    if (demo) await loadDemoWhenAsked(config, url, demo, logger);
    const started = await startApp({ ...config, databaseUrl: url }, logger);
    // A run a killed process left RUNNING is FAILED before anyone is told the service is up.
    await started.scheduler.recovered();
    return started;
  });
  logger.info({ url: app.url }, `healthgraph ready: open ${app.url} for the playground`);
  // Plain line for humans reading the terminal.
  process.stdout.write(`\n  healthgraph is running: playground at ${app.url}\n  ${dashboardStartupLine(app.url)}\n`);
  // The embedded database is a local development one with a well-known password: say where it is.
  if (embedded) process.stdout.write(`  embedded PostgreSQL: ${databaseUrl}\n`);
  process.stdout.write('\n');

  let shuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out after 15s');
      process.exit(1);
    }, 15_000).unref();
    try {
      await app.stop();
      await embedded?.stop();
      clearTimeout(timer);
      logger.info({ signal }, 'stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.removeListener('SIGTERM', stopWhileStarting);
  process.removeListener('SIGINT', stopWhileStarting);
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  // A refusal or a usage error says what to change; a stack would not help.
  if (error instanceof StartupRefusal || error instanceof UsageError) {
    console.error(error.message);
    process.exit(2);
  }
  if (error instanceof DatabaseUnreachable) {
    console.error(error.message);
    process.exit(DATABASE_UNREACHABLE_EXIT_CODE);
  }
  console.error(error);
  process.exit(1);
});
