// `npm start` on a database or a Redis it cannot use, as an operator meets them: one line naming the
// setting (its password masked) and the reason, and an exit code that says whether the configuration
// is wrong (2) or the database could not be reached (3), instead of a driver's stack trace; and a
// REDIS_URL naming a database the server does not have, or credentials it refuses, refused, not served
// from database 0 nor retried for ever.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { startApp } from '../../src/app';
import { readConfig } from '../../src/infra/config';
import { DATABASE_UNREACHABLE_EXIT_CODE, databaseStartFailure, DatabaseUnreachable } from '../../src/infra/database-start-failure';
import { StartupRefusal } from '../../src/infra/errors';
import { REDIS_ANSWER_TIMEOUT_MS, refuseMisconfiguredRedis } from '../../src/infra/redis-connection';
import { ADMIN_URL, createTestDatabase, TestDatabase } from '../helpers/database';
import { REDIS_URL } from '../helpers/server';
import { MAIN_COMMAND, PROJECT_ROOT, serviceEnv } from '../helpers/service-process';

/** `npm start`'s entry point run to its end: its exit code and what it printed on stderr. */
function start(env: NodeJS.ProcessEnv): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(MAIN_COMMAND[0], MAIN_COMMAND[1], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

/** The first database number this Redis does not have (`CONFIG GET databases`). */
async function missingRedisDatabase(): Promise<number> {
  const redis = new Redis(REDIS_URL);
  try {
    const [, databases] = (await redis.config('GET', 'databases')) as [string, string];
    return Math.max(99, Number(databases));
  } finally {
    redis.disconnect();
  }
}

/** A server's URL with `user` and `password`, on `port`, naming database `name`. */
function databaseUrl(user: string, password: string, port: number, name: string): string {
  const url = new URL(ADMIN_URL);
  url.username = user;
  url.password = password;
  url.port = String(port);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A Redis URL with `user` and `password`. */
function withCredentials(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = password;
  return parsed.toString();
}

describe('npm start', () => {
  // One process each, all at once: ts-node compiles the whole service on start.
  let outcomes: Array<{ status: number | null; stderr: string }>;
  let missingDatabase: number;
  let database: TestDatabase;
  beforeAll(async () => {
    missingDatabase = await missingRedisDatabase();
    database = await createTestDatabase('start_missing_redis_db');
    outcomes = await Promise.all([
      start(serviceEnv(databaseUrl('postgres', 'hunter2', 1, 'healthgraph'))),
      start(serviceEnv(databaseUrl('nosuchuser', 'hunter2', Number(new URL(ADMIN_URL).port || 5432), 'healthgraph'))),
      start(serviceEnv(database.url, { REDIS_URL: `${REDIS_URL}/${missingDatabase}` })),
      start(serviceEnv(database.url, { REDIS_URL: withCredentials(REDIS_URL, 'nosuchuser', 'hunter3') })),
    ]);
  }, 180_000);
  afterAll(() => database?.drop());

  it('says in one line that the database of DATABASE_URL is unreachable, password masked, and exits with code 3', () => {
    const [unreachable] = outcomes;
    expect(unreachable.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^Database unreachable: DATABASE_URL \(postgres:\/\/postgres:\*\*\*@[^)]*:1\/healthgraph\): connect ECONNREFUSED/,
      ),
    ]);
    expect(unreachable.status).toBe(DATABASE_UNREACHABLE_EXIT_CODE);
    expect(unreachable.stderr).not.toContain('hunter2');
  });

  it('says in one line that DATABASE_URL names a role the database refuses, as a configuration error (exit code 2)', () => {
    const [, noSuchRole] = outcomes;
    expect(noSuchRole.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^Configuration error: DATABASE_URL \(postgres:\/\/nosuchuser:\*\*\*@.*\) refused the connection: .*nosuchuser/,
      ),
    ]);
    expect(noSuchRole.status).toBe(2);
  });

  it('refuses a REDIS_URL naming a database the server does not have, in one line (exit code 2)', () => {
    const [, , missingRedis] = outcomes;
    expect(missingRedis.stderr.trim().split('\n')).toEqual([
      `Configuration error: REDIS_URL names database ${missingDatabase}, which this Redis refuses (ERR DB index is out of range): name one it has, like redis://HOST:6379/0`,
    ]);
    expect(missingRedis.status).toBe(2);
  });

  it('refuses a REDIS_URL whose credentials the server refuses, in one line without the password (exit code 2)', () => {
    const [, , , refusedCredentials] = outcomes;
    expect(refusedCredentials.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^Configuration error: REDIS_URL's credentials are refused by this Redis \(WRONGPASS /),
    ]);
    expect(refusedCredentials.stderr).not.toContain('hunter3');
    expect(refusedCredentials.status).toBe(2);
  });
});

it('refuses a Redis that asks for a password REDIS_URL does not give', async () => {
  // A server that answers every command as a Redis with requirepass answers one sent without AUTH.
  const sockets = new Set<net.Socket>();
  const guarded = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (data) => {
      for (let commands = data.toString().split('*').length - 1; commands > 0; commands--)
        socket.write('-NOAUTH Authentication required.\r\n');
    });
  });
  await new Promise<void>((resolve) => guarded.listen(0, '127.0.0.1', resolve));
  try {
    await expect(refuseMisconfiguredRedis(`redis://127.0.0.1:${(guarded.address() as net.AddressInfo).port}`)).rejects.toThrow(
      new StartupRefusal(
        "Configuration error: REDIS_URL's credentials are refused by this Redis (NOAUTH Authentication required.): " +
          'set the user and password it expects, as redis://USER:PASSWORD@HOST:6379/0',
      ),
    );
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => guarded.close(resolve));
  }
});

it('refuses the start before it writes anything, so that no key lands in database 0', async () => {
  const database = await createTestDatabase('missing_redis_db');
  const namespace = `hg-missing-db-${process.pid}`;
  const redis = new Redis(REDIS_URL);
  try {
    const config = readConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      SCORING_INTERVAL_MS: '0',
      REDIS_URL: `${REDIS_URL}/${await missingRedisDatabase()}`,
      REDIS_NAMESPACE: namespace,
    });
    await expect(startApp({ ...config, databaseUrl: database.url })).rejects.toBeInstanceOf(StartupRefusal);
    expect(await redis.keys(`${namespace}*`)).toEqual([]);
  } finally {
    redis.disconnect();
    await database.drop();
  }
}, 60_000);

it('does not judge, nor hold the start on, a Redis that accepts the connection and never answers', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const started = Date.now();
    await refuseMisconfiguredRedis(`redis://127.0.0.1:${(silent.address() as net.AddressInfo).port}/1`);
    // Given the time of one answer, and some for a loaded machine: ioredis's own timeouts held it
    // four answers' time.
    expect(Date.now() - started).toBeLessThan(3 * REDIS_ANSWER_TIMEOUT_MS);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

describe('databaseStartFailure', () => {
  const url = 'postgres://app:s3cret@db.internal:5432/healthgraph';

  it('takes a connection the server dropped during start for an unreachable database', () => {
    const failure = databaseStartFailure(new Error('Connection terminated unexpectedly'), url, 'DATABASE_URL');
    expect(failure).toBeInstanceOf(DatabaseUnreachable);
    expect(failure?.message).toBe(
      'Database unreachable: DATABASE_URL (postgres://app:***@db.internal:5432/healthgraph): Connection terminated unexpectedly',
    );
  });

  it('leaves an error that is not the database connection as it is', () => {
    expect(databaseStartFailure(new Error('listen EADDRINUSE: address already in use'), url, 'DATABASE_URL')).toBeUndefined();
  });
});
