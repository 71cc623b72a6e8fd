// MikroORM setup: one ORM per process, migrations run on start, an EntityManager fork per request.
// Domain services use the forked EntityManager's connection for set-based SQL (see `sql.ts`).
import path from 'node:path';
import { MikroORM, Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { Logger as WorkerLogger, runMigrations } from 'graphile-worker';
import { ENTITIES } from './entities';
import { newSessionName } from './infra/shutdown-drain';
import { withSessionLock } from './infra/session-lock';
import { sessionOptions, sessionUrl } from './infra/postgres-session';

export const MIGRATIONS_PATH = path.resolve(__dirname, '../migrations');

/** Where the ORM's messages go: its own (migrations, connection) and the query builder's warnings. */
export interface OrmLog {
  info(message: string): void;
  /** knex's warnings (a pooled connection found dead after a database outage, say); knex prints them to stdout otherwise. */
  warn(message: string): void;
}

/** A command-line script's: the ORM's own messages unsaid, the query builder's warnings on stderr. */
const SCRIPT_LOG: OrmLog = { info: () => undefined, warn: (message) => console.warn(message) };

export function ormOptions(databaseUrl: string, poolMax = 10, log: OrmLog = SCRIPT_LOG): Options {
  const warn = (message: unknown): void => log.warn(String(message));
  return {
    clientUrl: databaseUrl,
    // Merged by MikroORM into the driver's settings. Connection: this ORM's sessions carry a name of
    // their own, which the shutdown uses to end only this instance's unfinished work, and start with
    // the service's settings (MikroORM reads no parameter of the URL's query). log: knex's own
    // messages go to the service's log instead of bare lines on stdout beside its JSON.
    driverOptions: {
      connection: { application_name: newSessionName(), options: sessionOptions(databaseUrl) },
      log: { warn, error: warn, deprecate: warn, debug: () => undefined },
    },
    entities: ENTITIES,
    extensions: [Migrator],
    discovery: { disableDynamicFileAccess: true },
    pool: { min: 0, max: poolMax },
    allowGlobalContext: false,
    debug: ['info'],
    logger: (message) => log.info(message),
    // graphile-worker's queue lives in its own schema and migrates itself (openDatabase below).
    schemaGenerator: { ignoreSchema: ['graphile_worker'] },
    migrations: {
      path: MIGRATIONS_PATH,
      // ts-node runs the .ts files in development and tests; the build compiles them to .js.
      glob: '!(*.d).{js,ts}',
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
  };
}

/** graphile-worker's own migrations say nothing unless they fail (a failure throws). */
const QUIET = new WorkerLogger(() => () => undefined);

/**
 * Opens the database with its whole schema in place: our migrations, then the delivery queue's
 * (graphile-worker keeps its tables in the `graphile_worker` schema and migrates them itself). Every
 * process that scores — the server, the demo seed, an import's backfill — may enqueue deliveries in
 * the scoring transaction, so the queue must exist wherever the database is opened, not only where
 * a worker runs.
 */
export async function openDatabase(databaseUrl: string, poolMax = 10, log?: OrmLog): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(databaseUrl, poolMax, log));
  // Instances started together on one database take turns: each would otherwise see the same
  // migrations pending and run them at once, and all but one would fail on the tables the first
  // created. The one that waits finds them applied and has nothing to do.
  await withSessionLock(databaseUrl, MIGRATIONS_LOCK, true, async () => {
    await orm.getMigrator().up();
    await runMigrations({ connectionString: sessionUrl(databaseUrl), logger: QUIET });
  });
  return orm;
}

const MIGRATIONS_LOCK = 'healthgraph:migrations';
