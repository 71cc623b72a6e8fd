// `npm run keys -- create|list|revoke`: key management from a shell, for the first key (before any
// client can authenticate) and for operators with database access. The audit log names the actor
// `cli`. scripts/keys.ts runs it against DATABASE_URL or the embedded PostgreSQL; a built image runs
// this file itself (`node dist/src/auth/keys-command.js …`, DATABASE_URL required).
import type { DateTimeValue } from '../infra/scalars';
import 'reflect-metadata';
import { readConfig } from '../infra/config';
import { openDatabase } from '../database';
import { runCommand } from '../infra/command-line';
import { StartupRefusal, UsageError } from '../infra/errors';
import type { Db } from '../infra/sql';
import { createApiKey, listApiKeys, revokeApiKey } from './api-key.service';
import type { ApiKey } from './api-key.types';
import { parseScopes } from './scopes';

export const KEYS_USAGE = `Usage: npm run keys -- <command>
       keys <command>        (in the Docker image)

  create --name NAME --scope SCOPE   create a key and print it (shown this once); scopes: read, ingest,
                                     admin (admin implies the others); repeat --scope or separate by commas
  list                               every key: id, name, scopes, created, last used, revoked
  revoke ID                          revoke a key (its id, its hg_<id> prefix or the whole key); running servers stop
                                     accepting it, and close its WebSockets, within API_KEY_REFRESH_MS

Uses DATABASE_URL when set, else the embedded PostgreSQL of \`npm start\` (running or not).`;

const CLI_ACTOR = { actor: 'cli', clientAddress: null };

/** A command line of `npm run keys`, read whole before any database work. */
export type KeysCommand =
  { command: 'help' } | { command: 'create'; name: string; scopes: string[] } | { command: 'list' } | { command: 'revoke'; id: string };

const SEE_HELP = '(npm run keys -- --help for the usage)';

function parseCreate(argv: string[]): KeysCommand {
  let name: string | undefined;
  const scopes: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const match = /^--(name|scope)(?:=(.*))?$/.exec(argv[i]);
    if (!match) throw new UsageError(`unexpected argument "${argv[i]}": create takes --name NAME --scope SCOPE`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${match[1]} needs a value`);
    if (match[1] === 'name') name = value;
    else scopes.push(...value.split(','));
  }
  if (!name) throw new UsageError(`create needs --name NAME ${SEE_HELP}`);
  if (scopes.length === 0) throw new UsageError(`create needs --scope (read, ingest or admin) ${SEE_HELP}`);
  // A scope that does not exist is refused here, before the database is opened (or started).
  try {
    parseScopes(scopes);
  } catch (error) {
    throw new UsageError(`${(error as Error).message} ${SEE_HELP}`);
  }
  return { command: 'create', name, scopes };
}

/** Reads a command line; a UsageError (one line) when it is not one the command takes. */
export function parseKeysCommand(argv: string[]): KeysCommand {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h') return { command: 'help' };
  if (command === undefined) throw new UsageError(`a command is needed: create, list or revoke ${SEE_HELP}`);
  if (command === 'create') return parseCreate(rest);
  if (command !== 'list' && command !== 'revoke')
    throw new UsageError(`unknown command "${command}": the commands are create, list and revoke ${SEE_HELP}`);
  if (command === 'revoke' && rest.length === 0) throw new UsageError(`revoke needs the key's id (npm run keys -- list shows them)`);
  const expected = command === 'revoke' ? 1 : 0;
  if (rest.length > expected) throw new UsageError(`unexpected argument "${rest[expected]}" after ${command} ${SEE_HELP}`);
  return command === 'list' ? { command } : { command, id: rest[0] };
}

function describe(key: ApiKey): string {
  const when = (date: DateTimeValue | null) => (date ? new Date(date).toISOString().slice(0, 19).replace('T', ' ') : '-');
  return [
    key.id.padEnd(12),
    key.name.padEnd(20),
    key.scopes.join(',').padEnd(18),
    when(key.createdAt).padEnd(21),
    when(key.lastUsedAt).padEnd(21),
    when(key.revokedAt),
  ].join(' ');
}

/** Runs one command; `print` receives the output lines. Throws on an input error (an unknown scope or key). */
export async function runKeysCommand(
  command: Exclude<KeysCommand, { command: 'help' }>,
  db: Db,
  print: (line: string) => void,
): Promise<void> {
  if (command.command === 'create') {
    const created = await createApiKey(db, { name: command.name, scopes: command.scopes }, CLI_ACTOR);
    print(
      `created key ${created.apiKey.id} "${created.apiKey.name}" (${created.apiKey.scopes.join(', ')}). Send it as \`Authorization: Bearer <key>\`;`,
    );
    print('it is shown this once, only its hash is stored:');
    print('');
    print(`  ${created.key}`);
    print('');
  } else if (command.command === 'list') {
    print(
      [
        'id'.padEnd(12),
        'name'.padEnd(20),
        'scopes'.padEnd(18),
        'created (UTC)'.padEnd(21),
        'last used (UTC)'.padEnd(21),
        'revoked (UTC)',
      ].join(' '),
    );
    for (let after: string | null = null; ;) {
      const page = await listApiKeys(db, { first: 500, after });
      for (const edge of page.edges) print(describe(edge.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
  } else {
    const revoked = await revokeApiKey(db, command.id, CLI_ACTOR);
    print(`revoked key ${revoked.id} "${revoked.name}" at ${new Date(revoked.revokedAt as Date).toISOString()}`);
  }
}

/** The built image's entry point: `node dist/src/auth/keys-command.js create --name ci --scope ingest`. */
async function main(): Promise<void> {
  const command = parseKeysCommand(process.argv.slice(2));
  if (command.command === 'help') return console.log(KEYS_USAGE);
  const { databaseUrl } = readConfig();
  if (!databaseUrl)
    throw new StartupRefusal('DATABASE_URL must be set (from a source checkout, `npm run keys` also finds the embedded PostgreSQL)');
  const orm = await openDatabase(databaseUrl, 2);
  try {
    await runKeysCommand(command, orm.em.fork() as Db, (line) => console.log(line));
  } finally {
    await orm.close();
  }
}

if (require.main === module) runCommand(main);
