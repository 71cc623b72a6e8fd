// `npm run import -- events.ndjson [--backfill-days N]`: bulk import of engagement events
// (src/ingest/import-command.ts) into DATABASE_URL or the embedded PostgreSQL of `npm start`.
import 'reflect-metadata';
import { IMPORT_USAGE, importExitCode, parseImportArguments, readable, runImportCommand } from '../src/ingest/import-command';
import { runCommand } from '../src/infra/command-line';
import { readConfig } from '../src/infra/config';
import { withScriptDatabase } from './script-database';

/** A second signal within this of the first is the same interrupt, delivered twice. */
const SAME_INTERRUPT_MS = 1000;

async function main(): Promise<void> {
  const command = parseImportArguments(process.argv.slice(2));
  if ('help' in command) return console.log(IMPORT_USAGE);
  // Before the embedded PostgreSQL is started for it.
  if (command.file !== '-') await readable(command.file);
  const config = readConfig();
  // Its events belong to customers already stored: a mistyped DATABASE_URL would create an empty
  // database and refuse every line as NOT_FOUND.
  // Ctrl-C (or SIGTERM) stops after the batch in progress and says where to resume; a second one quits
  // at once. Ctrl-C reaches this process twice (from the terminal, and forwarded by npm): a repeat
  // within a second is the same one. With the embedded PostgreSQL, which Ctrl-C stops too, it quits
  // at once (script-database.ts).
  const stop = new AbortController();
  let interruptedBy: NodeJS.Signals | undefined;
  let interruptedAt = 0;
  const interrupt = (signal: NodeJS.Signals): void => {
    if (interruptedBy) {
      if (Date.now() - interruptedAt > SAME_INTERRUPT_MS) process.exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    interruptedBy = signal;
    interruptedAt = Date.now();
    console.error(`\n${signal}: stopping after the batch in progress (again to quit at once)`);
    stop.abort();
  };
  const handlesInterrupts = config.databaseUrl !== undefined;
  if (handlesInterrupts) {
    process.on('SIGINT', interrupt);
    process.on('SIGTERM', interrupt);
  }
  const summary = await withScriptDatabase(
    config,
    4,
    (orm, databaseUrl) => runImportCommand(command, orm, config, databaseUrl, (line) => console.log(line), stop.signal),
    { existing: true, handlesInterrupts },
  );
  process.exitCode = interruptedBy ? (interruptedBy === 'SIGINT' ? 130 : 143) : importExitCode(summary);
}

runCommand(main);
