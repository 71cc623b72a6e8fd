// MikroORM setup: one ORM per process, migrations run on start, an EntityManager fork per request.
// Domain services use the forked EntityManager's connection for set-based SQL (see `sql.ts`).
import path from 'node:path';
import { MikroORM, Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { Logger as WorkerLogger, runMigrations } from 'graphile-worker';
import { ENTITIES } from './entities';
import { newSessionName } from './infra/shutdown-drain';
import { withSessionLock } from './infra/session-lock';

export const MIGRATIONS_PATH = path.resolve(__dirname, '../migrations');

export function ormOptions(databaseUrl: string, poolMax = 10, log: (message: string) => void = () => undefined): Options {
  return {
    clientUrl: databaseUrl,
    // Merged by MikroORM into the driver's connection settings: this ORM's sessions carry a name of
    // their own, which the shutdown uses to end only this instance's unfinished work.
    driverOptions: { connection: { application_name: newSessionName() } },
    entities: ENTITIES,
    extensions: [Migrator],
    discovery: { disableDynamicFileAccess: true },
    pool: { min: 0, max: poolMax },
    allowGlobalContext: false,
    debug: ['info'],
    logger: log,
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
export async function openDatabase(databaseUrl: string, poolMax = 10, log?: (message: string) => void): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(databaseUrl, poolMax, log));
  // Instances started together on one database take turns: each would otherwise see the same
  // migrations pending and run them at once, and all but one would fail on the tables the first
  // created. The one that waits finds them applied and has nothing to do.
  await withSessionLock(databaseUrl, MIGRATIONS_LOCK, true, async () => {
    await orm.getMigrator().up();
    await runMigrations({ connectionString: databaseUrl, logger: QUIET });
  });
  return orm;
}

const MIGRATIONS_LOCK = 'healthgraph:migrations';
