// The migration that records with each tier change the model versions of the points it lies between
// fills them in for the changes already recorded, from the history.
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from '../../src/database';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';

let scratch: TestDatabase;
afterAll(async () => scratch?.drop());

it("takes each recorded change's model versions from its point and the one before, and leaves nulls where no point is stored", async () => {
  scratch = await createTestDatabase('tier_change_versions_migration');
  const migrating = await MikroORM.init(ormOptions(scratch.url));
  try {
    const migrator = migrating.getMigrator();
    await migrator.up({ to: 'Migration20261206092243_rescore_claim' });
    await sql(scratch, `insert into customer (id, name) values ('cust_a', 'A')`);
    // Healthy under version 1, thriving under version 2 at the same score (a model change), then a fall.
    await sql(
      scratch,
      `insert into health_score (customer_id, score, tier, trend, components, signals, coverage, model_version, as_of) values
         ('cust_a', 90, 'healthy', 'STABLE', '[]', '[]', 1, 1, '2026-01-01'),
         ('cust_a', 90, 'thriving', 'STABLE', '[]', '[]', 1, 2, '2026-01-02'),
         ('cust_a', 40, 'at_risk', 'STABLE', '[]', '[]', 1, 2, '2026-01-03')`,
    );
    await sql(
      scratch,
      `insert into tier_change (customer_id, from_tier, to_tier, to_score, direction, changed_at) values
         ('cust_a', null, 'healthy', 90, 'NEW', '2026-01-01'), ('cust_a', 'healthy', 'thriving', 90, 'IMPROVED', '2026-01-02'),
         ('cust_a', 'thriving', 'at_risk', 40, 'WORSENED', '2026-01-03'), ('cust_a', 'at_risk', 'critical', 10, 'WORSENED', '2026-01-04')`,
    );
    await migrator.up();
  } finally {
    await migrating.close(true);
  }
  expect(await sql(scratch, 'select to_tier, from_model_version, model_version from tier_change order by changed_at')).toEqual([
    { to_tier: 'healthy', from_model_version: null, model_version: 1 },
    { to_tier: 'thriving', from_model_version: 1, model_version: 2 },
    { to_tier: 'at_risk', from_model_version: 2, model_version: 2 },
    { to_tier: 'critical', from_model_version: null, model_version: null },
  ]);
});
