// Version 1 of an installation nothing has scored yet: `scoringModel` reports it active (the default,
// stored on first use), so a backtest of `model: { version: 1 }` and `npm run backtest -- --version 1`
// find it too, rather than answering that it does not exist until something else stored it.
import { MikroORM } from '@mikro-orm/postgresql';
import { openDatabase } from '../../src/database';
import { Db, query } from '../../src/infra/sql';
import { runBacktest } from '../../src/scoring/backtest/backtest.service';
import { DEFAULT_SCORING_MODEL } from '../../src/scoring/model';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { backtestCommand as runBacktestCommand } from '../helpers/service-process';

const DAY = 86_400_000;
let database: TestDatabase;
let orm: MikroORM;
const db = () => orm.em.fork() as Db;
const storedVersions = async () => (await query<{ version: number }>(db(), 'select version from scoring_model')).map((r) => r.version);

beforeAll(async () => {
  database = await createTestDatabase('backtest_fresh');
  orm = await openDatabase(database.url, 2);
});
afterAll(async () => {
  await orm?.close(true);
  await database?.drop();
});

const backtestCommand = (args: string[]) => runBacktestCommand(database.url, args);

it('backtests version 1 through the command on a database never scored', async () => {
  expect(await storedVersions()).toEqual([]);
  const { code, output } = await backtestCommand(['--version', '1', '--weeks', '2']);
  expect([code, output]).toEqual([0, expect.stringContaining('| figure | model v1 |')]);
  expect(await storedVersions()).toEqual([1]);
}, 60_000);

it('backtests version 1 through the service on a database never scored', async () => {
  await query(db(), 'delete from scoring_model');
  const result = await runBacktest(db(), {
    model: { version: 1 },
    from: new Date(Date.now() - 30 * DAY),
    to: new Date(Date.now() - DAY),
  });
  expect(result.model).toEqual({ version: 1, config: DEFAULT_SCORING_MODEL });
  expect(await storedVersions()).toEqual([1]);
});
