// `npm run keys -- create --name ci --scope ingest | list | revoke <id>`: API keys from a shell
// (src/auth/keys-command.ts). Works against DATABASE_URL, or the embedded PostgreSQL of `npm start`:
// the one `npm start` is running, or, when it is not running, one started for the command.
import 'reflect-metadata';
import { KEYS_USAGE, runKeysCommand } from '../src/auth/keys-command';
import { readConfig } from '../src/infra/config';
import type { Db } from '../src/infra/sql';
import { runScript, withScriptDatabase } from './script-database';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv[0] === '--help') {
    console.log(KEYS_USAGE);
    return;
  }
  const config = readConfig();
  await withScriptDatabase(config, 2, (orm) => runKeysCommand(argv, orm.em.fork() as Db, (line) => console.log(line)));
}

runScript(main);
