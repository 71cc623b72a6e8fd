// `npm run import -- events.ndjson [--backfill-days N]`: bulk import of engagement events
// (src/ingest/import-command.ts) into DATABASE_URL or the embedded PostgreSQL of `npm start`.
import 'reflect-metadata';
import { IMPORT_USAGE, importExitCode, parseImportArguments, readable, runImportCommand } from '../src/ingest/import-command';
import { runCommand } from '../src/infra/command-line';
import { readConfig } from '../src/infra/config';
import { withScriptDatabase } from './script-database';

async function main(): Promise<void> {
  const command = parseImportArguments(process.argv.slice(2));
  if ('help' in command) return console.log(IMPORT_USAGE);
  // Before the embedded PostgreSQL is started for it.
  if (command.file !== '-') await readable(command.file);
  const config = readConfig();
  // Its events belong to customers already stored: a mistyped DATABASE_URL would create an empty
  // database and refuse every line as NOT_FOUND.
  const summary = await withScriptDatabase(
    config,
    4,
    (orm, databaseUrl) => runImportCommand(command, orm, config, databaseUrl, (line) => console.log(line)),
    { existing: true },
  );
  process.exitCode = importExitCode(summary);
}

runCommand(main);
