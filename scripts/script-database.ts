// The database a command-line script works on: DATABASE_URL when set, else the embedded PostgreSQL
// of `npm start` (the same cluster, so a script sees what the service shows).
import path from 'node:path';
import type { AppConfig } from '../src/infra/config';
import { startEmbeddedPostgres } from '../src/infra/embedded-postgres';

export interface ScriptDatabase {
  url: string;
  stop(): Promise<void>;
}

export async function scriptDatabase(config: AppConfig): Promise<ScriptDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => undefined };
  const dataDir = path.resolve(config.dataDir, 'postgres');
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
