// `npm run backtest` on an installation still on an earlier default (upgraded, not yet restarted):
// it says so and backtests the current default beside the active model; a chosen model stands alone.
import { MikroORM } from '@mikro-orm/postgresql';
import { openDatabase } from '../../src/database';
import { Db, json, query } from '../../src/infra/sql';
import { DEFAULT_SCORING_MODEL } from '../../src/scoring/model';
import { activeEarlierDefault, updateScoringModel } from '../../src/scoring/scoring-model.service';
import { upsertCustomer } from '../../src/customers/customer.service';
import { trackEngagementBatch } from '../../src/engagement/engagement.service';
import { createTestDatabase, TestDatabase } from '../helpers/database';
// The default model as shipped from commit 31eb71e until the shipped_default migration.
import SHIPPED_31EB71E from './fixtures/shipped-default-31eb71e.json';
import { backtestCommand as runBacktestCommand } from '../helpers/service-process';

const DAY = 86_400_000;
let database: TestDatabase;
let orm: MikroORM;
const db = () => orm.em.fork() as Db;

beforeAll(async () => {
  database = await createTestDatabase('backtest_command');
  orm = await openDatabase(database.url, 2);
  await upsertCustomer(db(), null, { id: 'cust_one', name: 'One', signedUpAt: new Date(Date.now() - 200 * DAY) }, { mayReadStored: true });
});
afterAll(async () => {
  await orm?.close(true);
  await database?.drop();
});

const backtestCommand = (args: string[]) => runBacktestCommand(database.url, args);

it('backtests the current default beside an earlier default still active, and says why', async () => {
  await query(db(), 'delete from scoring_model');
  await query(db(), 'insert into scoring_model (version, config, active, shipped_default) values (1, ?::jsonb, true, true)', [
    json(SHIPPED_31EB71E),
  ]);
  expect((await activeEarlierDefault(db()))?.version).toBe(1);
  const { code, output } = await backtestCommand(['--weeks', '2']);
  expect(code).toBe(0);
  expect(output).toContain('The active model, v1, is an earlier default of healthgraph');
  expect(output).toMatch(/\| figure \| model v1 \| current default \|/);
  // It writes nothing: the earlier default stays active until the service starts.
  expect((await activeEarlierDefault(db()))?.version).toBe(1);
}, 60_000);

it('backtests a chosen model alone, even one equal to an earlier default', async () => {
  // Sent through the API while active: chosen, under its version (no copy is stored).
  await updateScoringModel(db(), SHIPPED_31EB71E as never);
  expect(await activeEarlierDefault(db())).toBeNull();
  const { code, output } = await backtestCommand(['--weeks', '2']);
  expect(code).toBe(0);
  expect(output).not.toContain('earlier default');
  expect(output).toMatch(/\| figure \| model v1 \|\n/);
}, 60_000);

it('prints the backtest with --suggest on a history too recent to fit, and says why no weights were fitted', async () => {
  // Two weeks ending yesterday: no snapshot is 30 days old, so none can say whether churn followed.
  const { code, output } = await backtestCommand(['--weeks', '2', '--suggest']);
  expect(output).toMatch(/\| figure \| model v\d+ \|\n/);
  expect(output).toContain('No fitted weights: no snapshot of from…to has its horizon (30 days after it) elapsed by now');
  expect(code).toBe(0);
}, 60_000);

it('prints the warnings of the fitted weights with --suggest: too few churners to rest on', async () => {
  // Eight accounts used every day for 120 days; three of them stop 40 days before the end and cancel 25 days later.
  const events = [];
  for (let a = 0; a < 8; a++) {
    const id = `cust_fit_${a}`;
    const churns = a < 3;
    await upsertCustomer(
      db(),
      null,
      {
        id,
        name: id,
        signedUpAt: new Date(Date.now() - 130 * DAY),
        churnedAt: churns ? new Date(Date.now() - 15 * DAY) : undefined,
      },
      { mayReadStored: true },
    );
    for (let d = 120; d >= 1; d--)
      if (!churns || d > 40) events.push({ customerId: id, eventType: 'login', userId: 'u1', occurredAt: new Date(Date.now() - d * DAY) });
  }
  await trackEngagementBatch(db(), null, events);
  const { code, output } = await backtestCommand(['--weeks', '12', '--suggest']);
  expect(output).toContain('Fitted on');
  expect(output).toMatch(/^Warning: fitted to 3 churned accounts: too few for the weights to mean much/m);
  expect(code).toBe(0);
}, 60_000);

it('refuses a date it cannot read in one line (exit code 2), saying which and how to write one', async () => {
  const { code, output } = await backtestCommand(['--from', 'garbage', '--to', '2026-11-01T00:00:00Z']);
  expect(code).toBe(2);
  expect(output.trim()).toBe(
    '--from must be an RFC 3339 date-time, with seconds and an offset (Z or one like +02:00): e.g. 2026-11-24T09:30:00Z or 2026-11-24T11:30:00.250+02:00; got "garbage"',
  );
}, 60_000);

it('refuses a --version never stored in one line (exit code 2), before the header', async () => {
  const { code, output } = await backtestCommand(['--weeks', '2', '--version', '99']);
  expect(code).toBe(2);
  expect(output.trim()).toBe('--version 99: no scoring model of that version is stored');
}, 60_000);

it('does not count the current default as an earlier one', async () => {
  await updateScoringModel(db(), structuredClone(DEFAULT_SCORING_MODEL), { shippedDefault: true });
  expect(await activeEarlierDefault(db())).toBeNull();
});
