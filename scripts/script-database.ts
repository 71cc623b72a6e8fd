// The database a command-line script works on: DATABASE_URL when set, else the embedded PostgreSQL
// of `npm start` (the same cluster, so a script sees what the service shows): the one a running
// `npm start` serves, or, when none is running, one started for the script.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { AppConfig } from '../src/infra/config';
import { openDatabase } from '../src/database';
import { embeddedDatabaseUrl, startEmbeddedPostgres } from '../src/infra/embedded-postgres';

export interface ScriptDatabase {
  url: string;
  stop(): Promise<void>;
}

/** The embedded PostgreSQL of a running `npm start`, or undefined when nothing answers on its port. */
async function runningEmbeddedDatabase(port: number): Promise<ScriptDatabase | undefined> {
  const url = embeddedDatabaseUrl(port);
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
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

export async function scriptDatabase(config: AppConfig): Promise<ScriptDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => undefined };
  const dataDir = path.resolve(config.dataDir, 'postgres');
  const clusterPort = await portOfRunningCluster(dataDir);
  const running =
    (await runningEmbeddedDatabase(config.embeddedPostgresPort)) ??
    (clusterPort !== undefined && clusterPort !== config.embeddedPostgresPort ? await runningEmbeddedDatabase(clusterPort) : undefined);
  if (running) {
    console.log(`DATABASE_URL not set: using the embedded PostgreSQL that npm start runs (${running.url.replace(/:[^:@/]*@/, ':***@')})`);
    return running;
  }
  console.log(`DATABASE_URL not set: starting the embedded PostgreSQL in ${dataDir} (port ${config.embeddedPostgresPort})`);
  const started = await startEmbeddedPostgres({
    dataDir,
    port: config.embeddedPostgresPort,
    logger: { info: (_details, message) => console.log(`  embedded PostgreSQL: ${message ?? ''}`) },
  });
  // Ctrl-C: exit through process.exit so the embedded server's exit hook stops it.
  process.once('SIGINT', () => {
    console.error('\ninterrupted');
    process.exit(130);
  });
  return { url: started.databaseUrl, stop: () => started.stop() };
}

/** Opens the script's database (migrated), runs `work` on it, and closes both whatever happens. */
export async function withScriptDatabase<T>(
  config: AppConfig,
  poolSize: number,
  work: (orm: MikroORM, url: string) => Promise<T>,
): Promise<T> {
  const database = await scriptDatabase(config);
  const orm = await openDatabase(database.url, poolSize);
  try {
    return await work(orm, database.url);
  } finally {
    await orm.close();
    await database.stop();
  }
}
