// Configuration is read once from the environment at start-up, validated, and passed down.
// Nothing below src/infra reads process.env.

export interface AppConfig {
  /** TCP port of the HTTP + WebSocket server. `PORT`, default 4000 (0 picks a free port). */
  port: number;
  /** Interface to bind. `HOST`, default 0.0.0.0. */
  host: string;
  /** PostgreSQL URL. `DATABASE_URL`; when unset an embedded PostgreSQL is started under `dataDir`. */
  databaseUrl: string | undefined;
  /** Where the embedded PostgreSQL keeps its cluster. `DATA_DIR`, default `.data`. */
  dataDir: string;
  /** Port of the embedded PostgreSQL. `EMBEDDED_PG_PORT`, default 54329. */
  embeddedPostgresPort: number;
  /** Redis URL for the PubSub. `REDIS_URL`; when unset an in-process PubSub is used (single instance only). */
  redisUrl: string | undefined;
  /** pino log level. `LOG_LEVEL`, default `info` (`silent` in tests). */
  logLevel: string;
  /** Interval between full scoring runs in ms. `SCORING_INTERVAL_MS`, default 3 600 000 (hourly); 0 disables. */
  scoringIntervalMs: number;
  /** Debounce before a customer with new signals is rescored, ms. `RESCORE_DEBOUNCE_MS`, default 2000; 0 turns continuous rescoring off. */
  rescoreDebounceMs: number;
  /**
   * Longest a queued customer waits while signals keep arriving, ms. `RESCORE_MAX_WAIT_MS`, default
   * 10000. Rescoring runs once signals pause for the debounce, or after this wait during a steady stream.
   */
  rescoreMaxWaitMs: number;
  /** Database connection pool size. `DATABASE_POOL_MAX`, default 10. */
  databasePoolMax: number;
  /** `DISABLE_DATALOADER=1` resolves nested fields with one query per parent (the benchmark baseline). */
  disableDataLoader: boolean;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`Configuration error: ${name} must be an integer ≥ ${min}, got "${raw}"`);
  }
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    port: integer(env, 'PORT', 4000),
    host: nonEmpty(env.HOST) ?? '0.0.0.0',
    databaseUrl: nonEmpty(env.DATABASE_URL),
    dataDir: nonEmpty(env.DATA_DIR) ?? '.data',
    embeddedPostgresPort: integer(env, 'EMBEDDED_PG_PORT', 54329, 1),
    redisUrl: nonEmpty(env.REDIS_URL),
    logLevel: nonEmpty(env.LOG_LEVEL) ?? 'info',
    scoringIntervalMs: integer(env, 'SCORING_INTERVAL_MS', 3_600_000),
    rescoreDebounceMs: integer(env, 'RESCORE_DEBOUNCE_MS', 2000),
    rescoreMaxWaitMs: integer(env, 'RESCORE_MAX_WAIT_MS', 10_000),
    databasePoolMax: integer(env, 'DATABASE_POOL_MAX', 10, 1),
    disableDataLoader: env.DISABLE_DATALOADER === '1',
  };
}
