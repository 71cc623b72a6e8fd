// `npm run keys -- create --name ci --scope ingest | list | revoke <id>`: API keys from a shell
// (src/auth/keys-command.ts). Works against DATABASE_URL, or the embedded PostgreSQL of `npm start`:
// the one `npm start` is running, or, when it is not running, one started for the command.
import 'reflect-metadata';
import { KEYS_USAGE, parseKeysCommand, runKeysCommand } from '../src/auth/keys-command';
import { runCommand } from '../src/infra/command-line';
import { readConfig } from '../src/infra/config';
import type { Db } from '../src/infra/sql';
import { withScriptDatabase } from './script-database';

async function main(): Promise<void> {
  // The whole command line is read before any database is opened (or started).
  const command = parseKeysCommand(process.argv.slice(2));
  if (command.command === 'help') return console.log(KEYS_USAGE);
  const config = readConfig();
  await withScriptDatabase(config, 2, (orm) => runKeysCommand(command, orm.em.fork() as Db, (line) => console.log(line)));
}

runCommand(main);
