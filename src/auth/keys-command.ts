// `npm run keys -- create|list|revoke`: key management from a shell, for the first key (before any
// client can authenticate) and for operators with database access. The audit log names the actor
// `cli`. scripts/keys.ts runs it against DATABASE_URL or the embedded PostgreSQL; a built image runs
// this file itself (`node dist/src/auth/keys-command.js …`, DATABASE_URL required).
import type { DateTimeValue } from '../infra/scalars';
import 'reflect-metadata';
import { readConfig } from '../infra/config';
import { openDatabase } from '../database';
import type { Db } from '../infra/sql';
import { createApiKey, listApiKeys, revokeApiKey } from './api-key.service';
import type { ApiKey } from './api-key.types';

export const KEYS_USAGE = `Usage: npm run keys -- <command>
       keys <command>        (in the Docker image)

  create --name NAME --scope SCOPE   create a key and print it (shown this once); scopes: read, ingest,
                                     admin (admin implies the others); repeat --scope or separate by commas
  list                               every key: id, name, scopes, created, last used, revoked
  revoke ID                          revoke a key (its id, its hg_<id> prefix or the whole key); running servers stop
                                     accepting it, and close its WebSockets, within API_KEY_REFRESH_MS

Uses DATABASE_URL when set, else the embedded PostgreSQL of \`npm start\` (running or not).`;

const CLI_ACTOR = { actor: 'cli', clientAddress: null };

function parseCreate(argv: string[]): { name: string; scopes: string[] } {
  let name: string | undefined;
  const scopes: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const match = /^--(name|scope)(?:=(.*))?$/.exec(argv[i]);
    const value = match ? (match[2] ?? argv[++i]) : undefined;
    if (!match || value === undefined) throw new Error(`unexpected argument "${argv[i] ?? ''}"\n\n${KEYS_USAGE}`);
    if (match[1] === 'name') name = value;
    else scopes.push(...value.split(','));
  }
  if (!name) throw new Error(`create needs --name\n\n${KEYS_USAGE}`);
  if (scopes.length === 0) throw new Error(`create needs --scope (read, ingest or admin)\n\n${KEYS_USAGE}`);
  return { name, scopes };
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

/** Runs one command; `print` receives the output lines. Throws on a usage or input error. */
export async function runKeysCommand(argv: string[], db: Db, print: (line: string) => void): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'create') {
    const created = await createApiKey(db, parseCreate(rest), CLI_ACTOR);
    print(
      `created key ${created.apiKey.id} "${created.apiKey.name}" (${created.apiKey.scopes.join(', ')}). Send it as \`Authorization: Bearer <key>\`;`,
    );
    print('it is shown this once, only its hash is stored:');
    print('');
    print(`  ${created.key}`);
    print('');
  } else if (command === 'list') {
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
  } else if (command === 'revoke' && rest.length === 1) {
    const revoked = await revokeApiKey(db, rest[0], CLI_ACTOR);
    print(`revoked key ${revoked.id} "${revoked.name}" at ${new Date(revoked.revokedAt as Date).toISOString()}`);
  } else {
    throw new Error(command === undefined || command === '--help' ? KEYS_USAGE : `unknown command "${argv.join(' ')}"\n\n${KEYS_USAGE}`);
  }
}

/** The built image's entry point: `node dist/src/auth/keys-command.js create --name ci --scope ingest`. */
async function main(): Promise<void> {
  const { databaseUrl } = readConfig();
  if (!databaseUrl) throw new Error('DATABASE_URL must be set (from a source checkout, `npm run keys` also finds the embedded PostgreSQL)');
  const orm = await openDatabase(databaseUrl, 2);
  try {
    await runKeysCommand(process.argv.slice(2), orm.em.fork() as Db, (line) => console.log(line));
  } finally {
    await orm.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
