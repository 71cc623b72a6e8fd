// Starts healthgraph the way a user does (a separate `node` process with DATABASE_URL, REDIS_URL,
// PORT and NODE_ENV=production) and watches it from outside: readiness over HTTP, RSS from /proc,
// event-loop stalls through a preloaded monitor (bench/support/loop-monitor.cjs).
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const WORK_DIR = path.join(os.tmpdir(), 'healthgraph-bench');
const MONITOR = path.join(__dirname, 'loop-monitor.cjs');

/** `build` runs the compiled output (`npm run build`, as the Docker image does); `ts-node` runs `npm start`'s command. */
export type ServerMode = 'build' | 'ts-node';
export const SERVER_MODE: ServerMode = process.env.BENCH_SERVER === 'ts-node' ? 'ts-node' : 'build';

let built = false;
/** Compiles the service once per benchmark run (about 5 s) unless it runs through ts-node. */
export function buildOnce(): void {
  if (built || SERVER_MODE === 'ts-node') return;
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  built = true;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface LoopStats {
  maxStallMs: number;
  p99DelayMs: number;
  meanDelayMs: number;
  rssBytes: number;
}

export interface ServerProcess {
  name: string;
  pid: number;
  url: string;
  wsUrl: string;
  port: number;
  /** Resident set size now, in bytes. */
  rss(): number;
  /** Starts sampling RSS every 50 ms; `stop()` returns the peak seen (and the kernel's high-water mark). */
  watchRss(): { stop(): number };
  /** Stall statistics since the previous call (the first call just resets them). */
  loopStats(): Promise<LoopStats>;
  stop(): Promise<void>;
}

function readStatus(pid: number): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const match = /^(Vm\w+|Rss\w+):\s+(\d+) kB/.exec(line);
    if (match) fields[match[1]] = Number(match[2]) * 1024;
  }
  return fields;
}

export async function startServer(options: {
  name: string;
  database: string;
  redisUrl?: string;
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  buildOnce();
  mkdirSync(WORK_DIR, { recursive: true });
  const port = await freePort();
  const statsFile = path.join(WORK_DIR, `${options.name}-${port}-loop.json`);
  const logFile = path.join(WORK_DIR, `${options.name}-${port}.log`);
  const entry = SERVER_MODE === 'build' ? ['dist/src/main.js'] : ['-r', 'ts-node/register/transpile-only', 'src/main.ts'];
  // BENCH_SERVER_NODE_ARGS adds node flags to every server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '-r', MONITOR, ...entry], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      DATABASE_URL: options.database,
      ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      BENCH_LOOP_STATS_FILE: statsFile,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const url = `http://127.0.0.1:${port}/graphql`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`server ${options.name} exited during start-up; see ${logFile}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server ${options.name} not ready after 60 s; see ${logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const pid = child.pid as number;
  return {
    name: options.name,
    pid,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    port,
    rss: () => readStatus(pid).VmRSS ?? 0,
    watchRss() {
      // Reset the kernel's peak (VmHWM) so it covers this workload only; sampling is the fallback.
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        // not permitted: sampling alone
      }
      let peak = 0;
      const sample = () => {
        try {
          peak = Math.max(peak, readStatus(pid).VmRSS ?? 0);
        } catch {
          // process gone
        }
      };
      sample();
      const timer = setInterval(sample, 50);
      return {
        stop() {
          clearInterval(timer);
          sample();
          try {
            peak = Math.max(peak, readStatus(pid).VmHWM ?? 0);
          } catch {
            // process gone
          }
          return peak;
        },
      };
    },
    async loopStats() {
      const before = existsSync(statsFile) ? statSync(statsFile).mtimeMs : 0;
      const startedAt = Date.now();
      process.kill(pid, 'SIGUSR2');
      for (;;) {
        if (existsSync(statsFile)) {
          const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as LoopStats & { at: number };
          if (stats.at >= startedAt - 5 && statSync(statsFile).mtimeMs >= before) return stats;
        }
        if (Date.now() - startedAt > 30_000) throw new Error(`server ${options.name} did not report its event loop`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Posts a GraphQL operation and fails on errors. */
export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 2000)}`);
  return body.data as T;
}
