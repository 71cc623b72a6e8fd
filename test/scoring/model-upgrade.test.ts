// An installation still on the first default model moves to the current default at start-up; a
// model someone chose or edited is left alone.
import type { MikroORM } from '@mikro-orm/core';
import { openDatabase } from '../../src/database';
import { Db, json, query } from '../../src/infra/sql';
import { CLASSIC_SCORING_MODEL, DEFAULT_SCORING_MODEL } from '../../src/scoring/model';
import { adoptCurrentDefaultModel, getActiveModel } from '../../src/scoring/scoring-model.service';
import { createTestDatabase, TestDatabase } from '../helpers/database';

let database: TestDatabase;
let orm: MikroORM;
const db = () => orm.em.fork() as Db;

beforeAll(async () => {
  database = await createTestDatabase('model_upgrade');
  orm = await openDatabase(database.url, 2);
});
afterAll(async () => {
  await orm?.close(true);
  await database?.drop();
});

async function activate(config: unknown): Promise<void> {
  await query(db(), 'delete from scoring_model');
  await query(db(), 'insert into scoring_model (version, config, active) values (1, ?::jsonb, true)', [json(config)]);
}

it('activates the current default as a new version when the first default model is active unchanged', async () => {
  await activate(CLASSIC_SCORING_MODEL);
  const adopted = await adoptCurrentDefaultModel(db());
  expect(adopted?.version).toBe(2);
  expect((await getActiveModel(db())).config).toEqual(DEFAULT_SCORING_MODEL);
  expect(await adoptCurrentDefaultModel(db())).toBeNull();
});

it('leaves an edited model alone', async () => {
  await activate({ ...structuredClone(CLASSIC_SCORING_MODEL), hysteresis: 3 });
  expect(await adoptCurrentDefaultModel(db())).toBeNull();
  expect((await getActiveModel(db())).version).toBe(1);
});
