// MikroORM setup: one ORM per process, migrations run on start, an EntityManager fork per request.
// Domain services use the forked EntityManager's connection for set-based SQL (see `sql.ts`).
import path from 'node:path';
import { MikroORM, Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { ENTITIES } from './entities';

export const MIGRATIONS_PATH = path.resolve(__dirname, '../migrations');

export function ormOptions(databaseUrl: string, poolMax = 10, log: (message: string) => void = () => undefined): Options {
  return {
    clientUrl: databaseUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    discovery: { disableDynamicFileAccess: true },
    pool: { min: 0, max: poolMax },
    allowGlobalContext: false,
    debug: ['info'],
    logger: log,
    // graphile-worker's queue lives in its own schema and migrates itself (src/delivery/delivery.worker.ts).
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

export async function openDatabase(databaseUrl: string, poolMax = 10, log?: (message: string) => void): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(databaseUrl, poolMax, log));
  await orm.getMigrator().up();
  return orm;
}
