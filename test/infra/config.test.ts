// A bad setting refuses the start with one line that names it, exit code 2, as a missing API key
// does: no stack trace with the server's file paths.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { readConfig } from '../../src/infra/config';
import { StartupRefusal } from '../../src/infra/errors';

function start(env: Record<string, string>): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 170_000,
  });
  return { status: result.status, stderr: result.stderr };
}

it.each([
  [{ PORT: 'abc' }, 'Configuration error: PORT must be an integer from 0 to 65535, got "abc"'],
  [{ PORT: '99999' }, 'Configuration error: PORT must be an integer from 0 to 65535, got "99999"'],
  [{ PORT: '0x10' }, 'Configuration error: PORT must be an integer'],
  [{ DELIVERY_LOCK_TIMEOUT_MS: '1000' }, 'Configuration error: DELIVERY_LOCK_TIMEOUT_MS (1000) must exceed DELIVERY_TIMEOUT_MS'],
  [{ CORS_ORIGINS: 'https://dash.example.com/' }, 'Configuration error: CORS_ORIGINS must list origins'],
  [
    { TRUST_PROXY: '10.0.0.0/33' },
    'Configuration error: TRUST_PROXY must list addresses or CIDR ranges like 10.0.0.0/8,::1, got "10.0.0.0/33"',
  ],
  [{ TRUST_PROXY: '127.0.0.1,proxy.local' }, 'got "proxy.local"'],
  [{ DATABASE_POOL_MAX: '6', STATEMENTS_PER_KEY: '7' }, 'Configuration error: STATEMENTS_PER_KEY must be an integer from 1 to 6, got "7"'],
  [{ QUERY_STATEMENT_TIMEOUT_MS: '3000000000' }, 'Configuration error: QUERY_STATEMENT_TIMEOUT_MS must be an integer from 0 to 2147483647'],
  [{ FULL_RUNS_WAITING: '-1' }, 'Configuration error: FULL_RUNS_WAITING must be an integer from 0 to 1000, got "-1"'],
  [{ LOG_LEVEL: 'verbose' }, 'Configuration error: LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"'],
  [{ DATABASE_URL: 'notaurl' }, 'Configuration error: DATABASE_URL must be a URL like postgres://USER:PASSWORD@HOST:5432/DATABASE'],
  [{ DATABASE_URL: 'mysql://root:secret@db/app' }, 'Configuration error: DATABASE_URL must be a URL like postgres://'],
  [{ DATABASE_URL: 'postgres://root:secret@db:5432' }, 'Configuration error: DATABASE_URL must be a URL like postgres://'],
  [{ REDIS_URL: 'localhost:6379' }, 'Configuration error: REDIS_URL must be a URL like redis://HOST:6379'],
  [{ SMTP_URL: 'http://mail.example.com' }, 'Configuration error: SMTP_URL must be a URL like smtp://'],
  // No host to send to, or a password whose percent-escape is broken: the first email would fail, not the start.
  [{ SMTP_URL: 'smtp://' }, 'Configuration error: SMTP_URL must be a URL like smtp://'],
  [{ SMTP_URL: 'smtp://user:p%ZZ@mail.example.com' }, 'Configuration error: SMTP_URL must be a URL like smtp://'],
  [{ DATABASE_URL: 'postgres://user:p%ZZ@db:5432/app' }, 'Configuration error: DATABASE_URL must be a URL like postgres://'],
  [
    { UNSUBSCRIBE_BASE_URL: 'http://healthgraph.example.com', UNSUBSCRIBE_SECRET: 'k'.repeat(32) },
    'UNSUBSCRIBE_BASE_URL must be a URL like https://',
  ],
  [{ UNSUBSCRIBE_BASE_URL: 'https://healthgraph.example.com' }, 'UNSUBSCRIBE_BASE_URL and UNSUBSCRIBE_SECRET'],
  [{ UNSUBSCRIBE_SECRET: 'k'.repeat(32) }, 'UNSUBSCRIBE_BASE_URL and UNSUBSCRIBE_SECRET'],
  [{ UNSUBSCRIBE_BASE_URL: 'https://healthgraph.example.com', UNSUBSCRIBE_SECRET: 'k'.repeat(31) }, 'at least 32 characters'],
  // The link is this address followed by /unsubscribe/…: after a query or a fragment it would not be a
  // path the service sees, and a user and password would go out in every customer's email.
  [
    { UNSUBSCRIBE_BASE_URL: 'https://healthgraph.example.com/?utm_source=mail', UNSUBSCRIBE_SECRET: 'k'.repeat(32) },
    'UNSUBSCRIBE_BASE_URL',
  ],
  [{ UNSUBSCRIBE_BASE_URL: 'https://healthgraph.example.com/#', UNSUBSCRIBE_SECRET: 'k'.repeat(32) }, 'UNSUBSCRIBE_BASE_URL'],
  [{ UNSUBSCRIBE_BASE_URL: 'https://ops:secret@healthgraph.example.com', UNSUBSCRIBE_SECRET: 'k'.repeat(32) }, 'UNSUBSCRIBE_BASE_URL'],
  // Each link is one header line of at most 998 characters.
  [
    { UNSUBSCRIBE_BASE_URL: `https://healthgraph.example.com/${'p'.repeat(170)}`, UNSUBSCRIBE_SECRET: 'k'.repeat(32) },
    'UNSUBSCRIBE_BASE_URL must be at most 200 characters',
  ],
  [{ DISABLE_DATALOADER: 'yes' }, 'Configuration error: DISABLE_DATALOADER must be true or false, got "yes"'],
  // Node fires a longer timer after 1 ms: a monthly run would run back to back.
  [{ SCORING_INTERVAL_MS: '3000000000' }, 'Configuration error: SCORING_INTERVAL_MS must be an integer from 0 to 2147483647'],
  [{ RESCORE_SWEEP_MS: '3000000000' }, 'Configuration error: RESCORE_SWEEP_MS must be an integer from 0 to 2147483647'],
  // The in-process budget (no Redis, or Redis away) expires a key's count with a timer of the window:
  // past Node's longest it fired after 1 ms, and no key was ever limited.
  [
    { RATE_LIMIT_WINDOW_SECONDS: '2147484' },
    'Configuration error: RATE_LIMIT_WINDOW_SECONDS must be an integer from 1 to 2147483, got "2147484"',
  ],
])('refuses the setting %j with a start-up refusal that names it', (env, message) => {
  let refusal: unknown;
  try {
    readConfig(env);
  } catch (error) {
    refusal = error;
  }
  expect(refusal).toBeInstanceOf(StartupRefusal);
  expect((refusal as Error).message).toContain(message);
  expect((refusal as Error).message.split('\n')).toHaveLength(1);
  // A URL's password is not echoed.
  expect((refusal as Error).message).not.toContain('secret');
});

// What `npm start` makes of a refusal, in a process of its own (ts-node compiles the whole service on
// start: slow on a loaded machine, so two settings, not every one).
it.each([
  [{ PORT: 'abc' }, 'Configuration error: PORT must be an integer from 0 to 65535, got "abc"'],
  [{ DATABASE_URL: 'mysql://root:secret@db/app' }, 'Configuration error: DATABASE_URL must be a URL like postgres://'],
])(
  'refuses to start on %j with one line and exit code 2',
  (env, message) => {
    const { status, stderr } = start(env);
    expect(status).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining(message)]);
    expect(stderr).not.toContain('src/');
    expect(stderr).not.toContain('secret');
  },
  180_000,
);

it('gives one key half the pool by default, times the statements of queries for 5 s, and lets them wait a minute for a turn', () => {
  expect(readConfig({})).toMatchObject({
    databasePoolMax: 10,
    statementsPerKey: 5,
    queryStatementTimeoutMs: 5000,
    queryStatementWaitTimeoutMs: 60_000,
    fullRunsWaiting: 4,
  });
  expect(readConfig({ DATABASE_POOL_MAX: '1' }).statementsPerKey).toBe(1);
  expect(readConfig({ DATABASE_POOL_MAX: '7', STATEMENTS_PER_KEY: '7', QUERY_STATEMENT_TIMEOUT_MS: '0' })).toMatchObject({
    statementsPerKey: 7,
    queryStatementTimeoutMs: 0,
  });
});

it('reads LOG_LEVEL in any case', () => {
  expect(readConfig({ LOG_LEVEL: 'INFO' }).logLevel).toBe('info');
  expect(readConfig({ LOG_LEVEL: ' Debug ' }).logLevel).toBe('debug');
});
