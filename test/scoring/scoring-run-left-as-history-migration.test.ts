// The migration that has a start run again every past-dated run cut short marks those already stored
// before the latest successful run as of its present left as history, as the release before left
// them; one cut short since stays owed.
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from '../../src/database';
import { Db } from '../../src/infra/sql';
import { fullRunsOwed, INTERRUPTED_RUN_ERROR } from '../../src/scoring/scoring.service';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';

let scratch: TestDatabase;
afterAll(async () => scratch?.drop());

it('leaves to history the past-dated runs cut short before the latest successful run as of now, and owes the one cut short since', async () => {
  scratch = await createTestDatabase('scoring_run_left_as_history_migration');
  const migrating = await MikroORM.init(ormOptions(scratch.url));
  try {
    const migrator = migrating.getMigrator();
    await migrator.up({ to: 'Migration20261207071836_scoring_run_model_version' });
    await sql(
      scratch,
      `insert into scoring_run (status, as_of, started_at, backfill, first_start, error) values
         ('FAILED', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', true, false, $1),
         ('FAILED', '2026-01-02T00:00:00Z', '2026-02-01T01:00:00Z', true, true, $1),
         ('FAILED', '2026-01-03T00:00:00Z', '2026-02-01T02:00:00Z', true, false, 'canceling statement due to user request'),
         ('SUCCEEDED', '2026-02-01T03:00:00Z', '2026-02-01T03:00:00Z', false, false, null),
         ('FAILED', '2026-01-04T00:00:00Z', '2026-02-01T04:00:00Z', true, false, $1)`,
      [INTERRUPTED_RUN_ERROR],
    );
    await migrator.up();
    const runs = await sql<{ as_of: Date; left_as_history: boolean }>(
      scratch,
      'select as_of, left_as_history from scoring_run order by id',
    );
    expect(runs.map((run) => [run.as_of.toISOString(), run.left_as_history])).toEqual([
      ['2026-01-01T00:00:00.000Z', true],
      ['2026-01-02T00:00:00.000Z', false],
      ['2026-01-03T00:00:00.000Z', false],
      ['2026-02-01T03:00:00.000Z', false],
      ['2026-01-04T00:00:00.000Z', false],
    ]);
    expect((await fullRunsOwed(migrating.em.fork() as Db)).pastInstants).toEqual([new Date('2026-01-04T00:00:00Z')]);
  } finally {
    await migrating.close(true);
  }
});
