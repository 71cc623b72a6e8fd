// The database a command-line script works on: DATABASE_URL when set, else the embedded PostgreSQL
// of `npm start` (the same cluster, so a script sees what the service shows): the one a running
// `npm start` serves, or, when none is running, one started for the script.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { AppConfig, withoutPassword } from '../src/infra/config';
import { openDatabase } from '../src/database';
import { embeddedDatabaseUrl, startEmbeddedPostgres } from '../src/infra/embedded-postgres';
import { sessionUrl } from '../src/infra/postgres-session';
import { UsageError } from '../src/infra/errors';

export interface ScriptDatabase {
  url: string;
  stop(): Promise<void>;
}

/** The embedded PostgreSQL of a running `npm start`, or undefined when nothing answers on its port. */
async function runningEmbeddedDatabase(port: number): Promise<ScriptDatabase | undefined> {
  const url = embeddedDatabaseUrl(port);
  const client = new Client({ connectionString: sessionUrl(url), connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return { url, stop: async () => undefined };
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The port of the PostgreSQL holding `dataDir`, from the fourth line of its `postmaster.pid`; undefined
 * when none does. A `npm start` given another EMBEDDED_PG_PORT than this command serves the same data
 * directory on its own port: found here, the command uses it instead of refusing the directory as in use.
 */
async function portOfRunningCluster(dataDir: string): Promise<number | undefined> {
  const lock = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const port = Number(lock?.split('\n')[3]);
  return Number.isInteger(port) && port > 0 && port <= 65_535 ? port : undefined;
}

export async function scriptDatabase(config: AppConfig, handlesInterrupts = false): Promise<ScriptDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => undefined };
  const dataDir = path.resolve(config.dataDir, 'postgres');
  const clusterPort = await portOfRunningCluster(dataDir);
  const running =
    (await runningEmbeddedDatabase(config.embeddedPostgresPort)) ??
    (clusterPort !== undefined && clusterPort !== config.embeddedPostgresPort ? await runningEmbeddedDatabase(clusterPort) : undefined);
  if (running) {
    console.log(`DATABASE_URL not set: using the embedded PostgreSQL that npm start runs (${withoutPassword(running.url)})`);
    return running;
  }
  console.log(`DATABASE_URL not set: starting the embedded PostgreSQL in ${dataDir} (port ${config.embeddedPostgresPort})`);
  const started = await startEmbeddedPostgres({
    dataDir,
    port: config.embeddedPostgresPort,
    logger: { info: (_details, message) => console.log(`  embedded PostgreSQL: ${message ?? ''}`) },
  });
  // Ctrl-C: exit through process.exit so the embedded server's exit hook stops it (unless the command
  // stops its own work first, and exits through its own handler or its end).
  if (!handlesInterrupts)
    process.once('SIGINT', () => {
      console.error('\ninterrupted');
      process.exit(130);
    });
  return { url: started.databaseUrl, stop: () => started.stop() };
}

/**
 * Refuses a DATABASE_URL naming a database that does not exist (UsageError, exit 2). Opening it would
 * create it (MikroORM creates a missing database, as `npm start` wants on a new server): a command
 * that only reads would then answer a mistyped name with an empty report from a new database.
 */
async function ensureExists(url: string): Promise<void> {
  const client = new Client({ connectionString: sessionUrl(url), connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    if ((error as { code?: unknown }).code !== '3D000') throw error;
    throw new UsageError(
      `the database of DATABASE_URL does not exist: ${(error as Error).message} (this command reads an existing database)`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Opens the script's database (migrated), runs `work` on it, and closes both whatever happens. A
 * command that only reads (`existing`) refuses a DATABASE_URL whose database does not exist; one that
 * `handlesInterrupts` installs its own SIGINT handler.
 */
export async function withScriptDatabase<T>(
  config: AppConfig,
  poolSize: number,
  work: (orm: MikroORM, url: string) => Promise<T>,
  options: { existing?: boolean; handlesInterrupts?: boolean } = {},
): Promise<T> {
  if (options.existing && config.databaseUrl) await ensureExists(config.databaseUrl);
  const database = await scriptDatabase(config, options.handlesInterrupts);
  const orm = await openDatabase(database.url, poolSize);
  try {
    return await work(orm, database.url);
  } finally {
    await orm.close();
    await database.stop();
  }
}
