// Generates a migration (or, with --check, fails when one is needed) from the difference between the entities and a scratch database that
// has every committed migration applied. Usage: npm run migration:create [-- name]
import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import { runMigrations } from 'graphile-worker';
import { ormOptions } from '../src/database';
import { sessionUrl } from '../src/infra/postgres-session';

async function main(): Promise<void> {
  const adminUrl = process.env.ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = `healthgraph_migration_${process.pid}`;
  const admin = await MikroORM.init({ ...ormOptions(adminUrl), entities: [], discovery: { warnWhenNoEntities: false } });
  await admin.em.getConnection().execute(`create database "${scratch}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${scratch}`;
  const orm = await MikroORM.init(ormOptions(url.toString()));
  try {
    const migrator = orm.getMigrator();
    await migrator.up();
    // The queue's own schema (graphile_worker) exists beside ours in every running database: the
    // comparison must not mistake it for something to drop.
    await runMigrations({ connectionString: sessionUrl(url.toString()) });
    if (process.argv.includes('--check')) {
      if (await migrator.checkMigrationNeeded()) {
        console.error('the entities differ from the committed migrations: run `npm run migration:create` and commit it');
        process.exitCode = 1;
      } else {
        console.log('migrations match the entities');
      }
      return;
    }
    const result = await migrator.createMigration(undefined, false, false, process.argv[2]);
    console.log(result.fileName ? `created migrations/${result.fileName}` : 'no changes: entities match the migrations');
  } finally {
    await orm.close(true);
    await admin.em.getConnection().execute(`drop database "${scratch}"`);
    await admin.close(true);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
