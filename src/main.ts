// `npm start`: read the configuration, start an embedded PostgreSQL when DATABASE_URL is unset,
// start the service, and shut down gracefully on SIGTERM/SIGINT.
import 'reflect-metadata';
import path from 'node:path';
import { startApp } from './app';
import { readConfig } from './infra/config';
import { startEmbeddedPostgres } from './infra/embedded-postgres';
import { createLogger } from './infra/logger';

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  let databaseUrl = config.databaseUrl;
  let embedded: { stop(): Promise<void> } | undefined;
  if (!databaseUrl) {
    const dataDir = path.resolve(config.dataDir, 'postgres');
    logger.info({ dataDir }, 'DATABASE_URL not set: starting embedded PostgreSQL');
    const started = await startEmbeddedPostgres({ dataDir, port: config.embeddedPostgresPort, logger });
    databaseUrl = started.databaseUrl;
    embedded = started;
  }
  const app = await startApp({ ...config, databaseUrl }, logger);
  // A run a killed process left RUNNING is FAILED before anyone is told the service is up.
  await app.scheduler.recovered();
  logger.info({ url: app.url }, `healthgraph ready: open ${app.url} for the playground`);
  // Plain line for humans reading the terminal.
  process.stdout.write(`\n  healthgraph is running: playground at ${app.url}\n  dashboard at ${new URL('/', app.url).href}\n`);
  // The embedded database is a local development one with a well-known password: say where it is.
  if (embedded) process.stdout.write(`  embedded PostgreSQL: ${databaseUrl}\n`);
  process.stdout.write('\n');

  let shuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out after 15s');
      process.exit(1);
    }, 15_000).unref();
    try {
      await app.stop();
      await embedded?.stop();
      clearTimeout(timer);
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
