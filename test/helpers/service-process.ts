// The service started as a process, as a user starts it (`npm start`, or its entry point as
// `npm start` runs it), and the playground URL it prints once it is up.
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '../..');

/** `npm start`'s command line: node running src/main.ts through ts-node. */
export const MAIN_COMMAND: [string, string[]] = [process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts']];

/**
 * The environment of a service on `databaseUrl` alone: no Redis, a free port on this machine, no
 * periodic run (a test asks for what it scores); `extra` adds or overrides settings.
 */
export function serviceEnv(databaseUrl: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: '', PORT: '0', HOST: '127.0.0.1', SCORING_INTERVAL_MS: '0', ...extra };
}

export interface ServiceProcess {
  child: ChildProcess;
  /** The playground URL it printed. */
  url: string;
  /** All it has printed so far, stdout and stderr. */
  output(): string;
  /** Its exit code, once it has exited (null after a signal). */
  exited: Promise<number | null>;
}

/**
 * Spawns `command` in the project root and resolves once it prints its playground URL; rejects with
 * what it printed when it exits first, or prints none within `timeoutMs` (and is then killed).
 */
export async function startServiceProcess(command: [string, string[]], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ServiceProcess> {
  // Its own process group: a process that never prints its URL is killed with what it started (npm's node).
  const child = spawn(command[0], command[1], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(-(child.pid as number), 'SIGKILL');
      finish(new Error(`no URL printed:\n${output}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      const match = /playground at (http:\/\/\S+)/.exec(output);
      if (match) finish(null, match[1]);
    }, 50);
    const onExit = () => finish(new Error(`exited before printing its URL:\n${output}`));
    child.on('exit', onExit);
    child.once('error', (error) => finish(error));
    function finish(error: Error | null, found?: string): void {
      clearInterval(poll);
      clearTimeout(timer);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(found as string);
    }
  });
  return { child, url, output: () => output, exited };
}

/** `npm run backtest -- …args` on `databaseUrl`, as a user runs it: its exit code and all it printed. */
export function backtestCommand(databaseUrl: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/backtest.ts', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}
