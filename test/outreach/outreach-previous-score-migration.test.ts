// The migration that stores with each outreach action the previous score its message shows fills it
// in for the actions already logged that have deliveries (nothing else reads it) as deliveries read
// it until then: the previous score of the action's point, none after a model change that scores otherwise.
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from '../../src/database';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';

let scratch: TestDatabase;
afterAll(async () => scratch?.drop());

it("takes each delivered action's previous score from its point, none across a model that scores otherwise, without a point or without a delivery", async () => {
  scratch = await createTestDatabase('outreach_previous_score_migration');
  const migrating = await MikroORM.init(ormOptions(scratch.url));
  try {
    const migrator = migrating.getMigrator();
    await migrator.up({ to: 'Migration20261206221034_tier_change_model_move_index' });
    await sql(scratch, `insert into customer (id, name) values ('cust_a', 'A')`);
    // Version 2 differs from 1 in a playbook setting only (it scores alike); version 3 in its weights.
    await sql(
      scratch,
      `insert into scoring_model (version, config) values
         (1, '{"weights": {"engagement": 1}, "cooldownDays": 7}'),
         (2, '{"weights": {"engagement": 1}, "cooldownDays": 3}'),
         (3, '{"weights": {"engagement": 2}, "cooldownDays": 3}')`,
    );
    await sql(
      scratch,
      `insert into health_score (customer_id, score, tier, trend, previous_score, components, signals, coverage, model_version, as_of) values
         ('cust_a', 80, 'healthy', 'STABLE', null, '[]', '[]', 1, 1, '2026-01-01'),
         ('cust_a', 60, 'stable', 'STABLE', 80, '[]', '[]', 1, 2, '2026-01-02'),
         ('cust_a', 40, 'watch', 'STABLE', 60, '[]', '[]', 1, 3, '2026-01-03'),
         ('cust_a', 30, 'at_risk', 'STABLE', 40, '[]', '[]', 1, 3, '2026-01-04')`,
    );
    await sql(
      scratch,
      `insert into outreach_action (customer_id, playbook, action, audience, channel, trigger, score, status, created_at) values
         ('cust_a', 'critical', 'csm_alert', 'TEAM', 'SLACK', 'CRITICAL', 80, 'DECIDED', '2026-01-01'),
         ('cust_a', 'critical', 'csm_alert', 'TEAM', 'SLACK', 'CRITICAL', 60, 'DECIDED', '2026-01-02'),
         ('cust_a', 'critical', 'csm_alert', 'TEAM', 'SLACK', 'CRITICAL', 40, 'DECIDED', '2026-01-03'),
         ('cust_a', 'critical', 'csm_alert', 'TEAM', 'SLACK', 'CRITICAL', 30, 'DECIDED', '2026-01-04'),
         ('cust_a', 'critical', 'csm_alert', 'TEAM', 'SLACK', 'CRITICAL', 30, 'DECIDED', '2026-01-05'),
         ('cust_a', 'critical', 'csm_alert', 'TEAM', 'SLACK', 'CRITICAL', 30, 'DECIDED', '2026-01-06')`,
    );
    // Every action but the last went to a destination; the last has no delivery, so nothing will read its previous score.
    await sql(scratch, `insert into destination (kind, name, url) values ('WEBHOOK', 'crm', 'https://crm.example.com/hook')`);
    await sql(
      scratch,
      `insert into delivery (action_id, destination_id, customer_id, audience, status)
       select o.id, (select id from destination), o.customer_id, o.audience, 'DELIVERED' from outreach_action o where o.created_at < '2026-01-06'`,
    );
    await sql(
      scratch,
      `insert into health_score (customer_id, score, tier, trend, previous_score, components, signals, coverage, model_version, as_of)
       values ('cust_a', 30, 'at_risk', 'STABLE', 30, '[]', '[]', 1, 3, '2026-01-06')`,
    );
    await migrator.up();
  } finally {
    await migrating.close(true);
  }
  expect(await sql(scratch, 'select score, previous_score from outreach_action order by created_at')).toEqual([
    { score: 80, previous_score: null },
    { score: 60, previous_score: 80 },
    { score: 40, previous_score: null },
    { score: 30, previous_score: 40 },
    { score: 30, previous_score: null },
    { score: 30, previous_score: null },
  ]);
});
