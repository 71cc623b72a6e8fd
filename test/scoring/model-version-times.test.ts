// A model version's createdAt follows its number: updates take turns (a lock), and each version is
// numbered and stamped once its turn has come, whenever its transaction began.
import { MikroORM } from '@mikro-orm/postgresql';
import { openDatabase } from '../../src/database';
import { Db, query } from '../../src/infra/sql';
import { DEFAULT_SCORING_MODEL, ScoringModelConfig } from '../../src/scoring/model';
import { getActiveModel, updateScoringModel } from '../../src/scoring/scoring-model.service';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';

let database: TestDatabase;
let orm: MikroORM;
const db = () => orm.em.fork() as Db;

beforeAll(async () => {
  database = await createTestDatabase('model_version_times');
  orm = await openDatabase(database.url, 12);
  await getActiveModel(db());
});
afterAll(async () => {
  await orm?.close(true);
  await database?.drop();
});

/** The default model with another cooldown: a config of its own for each update. */
const withCooldown = (cooldownDays: number): ScoringModelConfig => ({ ...structuredClone(DEFAULT_SCORING_MODEL), cooldownDays });

/** Every stored version, oldest number first, with its createdAt. */
const versions = () =>
  sql<{ version: number; createdAt: Date }>(database, 'select version, created_at as "createdAt" from scoring_model order by version');

/** The versions whose createdAt is earlier than the version before's. */
async function outOfOrder(): Promise<number[]> {
  const rows = await versions();
  return rows.filter((row, i) => i > 0 && row.createdAt.getTime() < rows[i - 1].createdAt.getTime()).map((row) => row.version);
}

it('stamps a version whose update began first but took its turn second after the version before it', async () => {
  const before = (await getActiveModel(db())).version;
  // One admin's update begins (its transaction is open), another's is activated meanwhile, then the first's.
  await db().transactional(async (first) => {
    await query(first as Db, 'select 1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await updateScoringModel(db(), withCooldown(11));
    await updateScoringModel(first as Db, withCooldown(12));
  });
  const rows = await versions();
  expect(rows.slice(-2).map((row) => row.version)).toEqual([before + 1, before + 2]);
  expect(await outOfOrder()).toEqual([]);
});

it('keeps createdAt in version order under a burst of concurrent updates', async () => {
  for (let round = 0; round < 5; round++) {
    await Promise.all(Array.from({ length: 8 }, (_, i) => updateScoringModel(db(), withCooldown(20 + round * 8 + i))));
  }
  expect(await outOfOrder()).toEqual([]);
});
