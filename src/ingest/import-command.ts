// `npm run import -- events.ndjson [--backfill-days N]` (scripts/import-events.ts, which finds the
// database) and, in the built image, `node dist/src/ingest/import-command.js …` (DATABASE_URL
// required): imports a file of NDJSON events (`-` reads stdin), prints the summary and the refused
// lines, and optionally backfills the score history of the last N days, without side effects.
import 'reflect-metadata';
import { constants, createReadStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { MikroORM } from '@mikro-orm/postgresql';
import { AppConfig, readConfig } from '../infra/config';
import { commandServices, CoreServices } from '../context';
import { openDatabase } from '../database';
import { runCommand } from '../infra/command-line';
import { StartupRefusal, UsageError } from '../infra/errors';
import type { Db } from '../infra/sql';
import { analyzeTables } from '../infra/table-statistics';
import { counted } from '../infra/counted';
import { terminalText } from '../infra/text-rules';

import { backfillHistory, endsOfPastDays } from '../scoring/backfill-history';
import { EventImportSummary, importEvents, MAX_REPORTED_ERRORS } from './event-import';

export const MAX_BACKFILL_DAYS = 366;

/** What an import writes, and what its backfill adds: analyzed after each. */
const IMPORTED_TABLES = ['engagement_event', 'engagement_day', 'rescore_request'];
const SCORED_TABLES = ['health_score', 'tier_change', 'customer'];

export const IMPORT_USAGE = `Usage: npm run import -- FILE.ndjson [--backfill-days N]
       import FILE.ndjson [--backfill-days N]        (in the Docker image)

  FILE.ndjson        one event per line, the fields of trackEngagementBatch's events
                     (customerId, eventType, userId, feature, metadata, occurredAt, idempotencyKey);
                     - reads standard input
  --backfill-days N  then score every customer as of each of the last N days (1–${MAX_BACKFILL_DAYS}), a
                     backfill: history and tier changes marked backfill, no outreach, nothing published;
                     days on which every customer already has a score are skipped

Uses DATABASE_URL when set, else the embedded PostgreSQL of \`npm start\` (running or not).
Re-running is safe for events with an idempotencyKey (stored once per customer).`;

export interface ImportCommand {
  file: string;
  backfillDays: number;
}

/** Reads the command line (`{ help: true }` for --help or -h); a UsageError (one line) on anything else. */
export function parseImportArguments(argv: readonly string[]): ImportCommand | { help: true } {
  if (argv.includes('--help') || argv.includes('-h')) return { help: true };
  let file: string | undefined;
  let backfillDays = 0;
  for (let i = 0; i < argv.length; i++) {
    const match = /^--backfill-days(?:=(.*))?$/.exec(argv[i]);
    if (match) {
      const value = match[1] ?? argv[++i];
      backfillDays = /^\s*\d+\s*$/.test(value ?? '') ? Number(value) : NaN;
      if (!(backfillDays >= 1 && backfillDays <= MAX_BACKFILL_DAYS))
        throw new UsageError(`--backfill-days must be an integer from 1 to ${MAX_BACKFILL_DAYS}, got "${value ?? ''}"`);
    } else if (argv[i].startsWith('--') || file !== undefined) {
      throw new UsageError(`unexpected argument "${argv[i]}": import takes FILE.ndjson [--backfill-days N] (--help for the usage)`);
    } else {
      file = argv[i];
    }
  }
  if (file === undefined) throw new UsageError('import needs a FILE.ndjson to read, or - for standard input (--help for the usage)');
  return { file, backfillDays };
}

/**
 * Scores everyone as of the end of each of the last `days` UTC days, oldest first: a backfill
 * (history only); days already scored are skipped (backfillHistory).
 */
export async function backfillDailyHistory(
  services: CoreServices,
  db: Db,
  days: number,
  now: Date,
  print: (line: string) => void,
): Promise<void> {
  await backfillHistory(services, db, endsOfPastDays(days, now), {
    onInstant: (asOf, run) =>
      print(
        run
          ? `  backfill as of ${asOf.toISOString()}: ${run.customersScored} scored, ${counted(run.tierChanges, 'tier change')}`
          : `  backfill as of ${asOf.toISOString()}: already scored`,
      ),
  });
}

/** Throws a one-line error unless `file` can be read: before any database is opened (or started). */
export async function readable(file: string): Promise<void> {
  try {
    await access(file, constants.R_OK);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(error));
    throw new Error(`cannot read ${file}: ${reason}`, { cause: error });
  }
  // A directory passes the access check, and reading it then failed with the stream's raw EISDIR.
  if ((await stat(file)).isDirectory()) throw new Error(`cannot read ${file}: it is a directory, not a file of events`);
}

/**
 * Runs the command against the database `orm` is open on (at `databaseUrl`). Returns the import's
 * summary: a command whose lines were refused exits 1 (importExitCode), though it stored the rest.
 * `stop` aborted (Ctrl-C) reads no further line, commits the batch in progress, and says where to
 * resume; the backfill is then not run.
 */
export async function runImportCommand(
  command: ImportCommand,
  orm: MikroORM,
  config: AppConfig,
  databaseUrl: string,
  print: (line: string) => void,
  stop?: AbortSignal,
): Promise<EventImportSummary> {
  if (command.file !== '-') await readable(command.file);
  const source = command.file === '-' ? process.stdin : createReadStream(command.file);
  let lastPrinted = 0;
  const summary = await importEvents(databaseUrl, source, {
    onProgress: (progress) => {
      if (Date.now() - lastPrinted < 2000) return;
      lastPrinted = Date.now();
      print(`  ${counted(progress.lines, 'line', { grouped: true })}, ${progress.accepted.toLocaleString('en-US')} stored`);
    },
    signal: stop,
  }).finally(() => {
    // Stopped while it waited for more (a pipe, standard input), the source is still open: nothing more is read of it.
    if (stop?.aborted) source.destroy();
  });
  print(
    `imported ${command.file}: ${counted(summary.lines, 'line')}, ${counted(summary.accepted, 'event')} stored, ` +
      `${counted(summary.duplicates, 'duplicate')}, ${summary.rejected} refused; ${counted(summary.customers, 'customer')} queued for rescoring; ` +
      `${summary.seconds.toFixed(1)} s ` +
      `(${Math.round(summary.lines / Math.max(summary.seconds, 0.001)).toLocaleString('en-US')} lines/s)`,
  );
  // A refusal repeats what the line sent (an unknown customer's id): shown, never acted on by the terminal.
  for (const error of summary.errors) print(terminalText(`  line ${error.line}: ${error.code} ${error.message}`));
  if (summary.rejected > summary.errors.length)
    print(
      `  … and ${counted(summary.rejected - summary.errors.length, 'more refused line')} (the first ${MAX_REPORTED_ERRORS} are listed)`,
    );
  if (summary.stoppedAfterLine !== undefined) {
    const next = summary.stoppedAfterLine + 1;
    print(
      `stopped after line ${summary.stoppedAfterLine}: every line up to it is stored; resume from line ${next}` +
        (command.file === '-' ? '' : ` (tail -n +${next} ${command.file} | npm run import -- -)`),
    );
  }
  // The planner's statistics describe the tables before the load until they are taken again (table-statistics.ts).
  if (summary.accepted > 0) await analyzeTables(orm.em.fork() as Db, IMPORTED_TABLES);
  if (command.backfillDays > 0 && summary.stoppedAfterLine === undefined) {
    const services = await commandServices(orm, config, databaseUrl, { publishes: false });
    print(`backfilling the score history of the last ${counted(command.backfillDays, 'day')} (no outreach, nothing published)`);
    try {
      await backfillDailyHistory(services, orm.em.fork() as Db, command.backfillDays, new Date(), print);
    } finally {
      await services.pubsub.close();
    }
    await analyzeTables(orm.em.fork() as Db, SCORED_TABLES);
  }
  return summary;
}

/** 1 when some line was refused, so a script or a pipeline notices what a summary line alone would not. */
export function importExitCode(summary: EventImportSummary): number {
  return summary.rejected > 0 ? 1 : 0;
}

/** The built image's entry point. */
async function main(): Promise<void> {
  const command = parseImportArguments(process.argv.slice(2));
  if ('help' in command) return console.log(IMPORT_USAGE);
  if (command.file !== '-') await readable(command.file);
  const config = readConfig();
  if (!config.databaseUrl)
    throw new StartupRefusal('DATABASE_URL must be set (from a source checkout, `npm run import` also finds the embedded PostgreSQL)');
  const orm = await openDatabase(config.databaseUrl, 4);
  try {
    process.exitCode = importExitCode(await runImportCommand(command, orm, config, config.databaseUrl, (line) => console.log(line)));
  } finally {
    await orm.close();
  }
}

if (require.main === module) runCommand(main);
