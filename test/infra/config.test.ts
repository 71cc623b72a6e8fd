// A bad setting refuses the start with one line that names it, exit code 2, as a missing API key
// does: no stack trace with the server's file paths.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

function start(env: Record<string, string>): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 60_000,
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
  [{ FULL_RUNS_WAITING: '-1' }, 'Configuration error: FULL_RUNS_WAITING must be an integer from 0 to 1000, got "-1"'],
])(
  'refuses to start on %j with one line and exit code 2',
  (env, message) => {
    const { status, stderr } = start(env);
    expect(status).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining(message)]);
    expect(stderr).not.toContain('src/');
  },
  60_000,
);
