// The embedded PostgreSQL of `npm start` after its process was killed outright (SIGKILL, the
// out-of-memory killer): the server it started keeps running without it, and must not refuse the
// next start as "in use".
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { readConfig } from '../../src/infra/config';
import { scriptDatabase } from '../../scripts/script-database';

const root = path.resolve(__dirname, '../..');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'healthgraph-orphan-'));
// As root, PostgreSQL runs as the postgres user, which must be able to enter the folder.
chmodSync(dataDir, 0o755);
const clusterDir = path.join(dataDir, 'postgres');
// Below the ephemeral range, away from the port shutdown.test.ts derives the same way.
const port = 20000 + ((process.pid + 5000) % 10000);

afterAll(() => {
  // Whatever the outcome, no server is left on the directory about to be removed.
  try {
    process.kill(Number(readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGINT');
  } catch {
    // none running
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * A process that starts the embedded PostgreSQL as `npm start` does (in a process of its own: the
 * package is ESM-only, which jest's CommonJS cannot import) and prints STARTED with its URL; with
 * `stop`, it then stops it and exits 0.
 */
function starter(then: 'stay' | 'stop'): { started: Promise<string>; exited: Promise<number | null>; kill(): void; output(): string } {
  const script = `require('./src/infra/embedded-postgres').startEmbeddedPostgres({ dataDir: ${JSON.stringify(clusterDir)}, port: ${port} })
    .then(async (handle) => { console.log('STARTED ' + handle.databaseUrl); if (${JSON.stringify(then)} === 'stop') { await handle.stop(); process.exit(0); } },
      (error) => { console.error(String(error)); process.exit(1); });`;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = new Promise<string>((resolve, reject) => {
    const poll = setInterval(() => {
      const match = /STARTED (\S+)/.exec(output);
      if (!match) return;
      clearInterval(poll);
      resolve(match[1]);
    }, 50);
    void exited.then(() => {
      clearInterval(poll);
      reject(new Error(`exited before starting PostgreSQL:\n${output}`));
    });
  });
  // Awaited only by the caller that waits for the start; the other reads the exit code.
  started.catch(() => undefined);
  return { started, exited, kill: () => child.kill('SIGKILL'), output: () => output };
}

it('starts again after the process that ran it was killed, stopping the server it left behind', async () => {
  const killed = starter('stay');
  const url = await killed.started;
  killed.kill();
  await killed.exited;
  // The killed process's server still answers, holding the data directory.
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.end();

  const next = starter('stop');
  expect(await next.exited).toBe(0);
  expect(next.output()).toContain('STARTED');
}, 180_000);

it('lets a command find the embedded PostgreSQL a npm start serves on another EMBEDDED_PG_PORT, instead of refusing its directory', async () => {
  const server = starter('stay');
  const url = await server.started;
  try {
    // A command run without the server's EMBEDDED_PG_PORT: its own default would find the directory in use.
    const database = await scriptDatabase(readConfig({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(port + 2), LOG_LEVEL: 'silent' }));
    expect(database.url).toBe(url);
    await database.stop();
  } finally {
    server.kill();
    await server.exited;
  }
}, 180_000);

it('stops the embedded PostgreSQL when npm start is stopped while it is still starting', async () => {
  const ownDir = mkdtempSync(path.join(os.tmpdir(), 'healthgraph-stopped-start-'));
  chmodSync(ownDir, 0o755);
  const lockFile = path.join(ownDir, 'postgres', 'postmaster.pid');
  try {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: '',
        REDIS_URL: '',
        DATA_DIR: ownDir,
        EMBEDDED_PG_PORT: String(port + 1),
        PORT: '0',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // The database is up; the service is not yet (migrations run next).
    for (let i = 0; i < 1200 && !output.includes('embedded PostgreSQL ready'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(output).toContain('embedded PostgreSQL ready');
    expect(output).not.toContain('healthgraph is running');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // PostgreSQL removes its lock file as it ends.
    for (let i = 0; i < 200 && existsSync(lockFile); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(existsSync(lockFile)).toBe(false);
  } finally {
    try {
      process.kill(Number(readFileSync(lockFile, 'utf8').split('\n')[0]), 'SIGINT');
    } catch {
      // none running
    }
    rmSync(ownDir, { recursive: true, force: true });
  }
}, 180_000);
