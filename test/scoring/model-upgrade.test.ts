// An installation on an earlier default (the first default model, or any default the product wrote
// itself) moves to the current default at start-up; a model someone chose or edited is left alone.
import { MikroORM } from '@mikro-orm/postgresql';
import { openDatabase, ormOptions } from '../../src/database';
import { Db, json, query } from '../../src/infra/sql';
import { CLASSIC_SCORING_MODEL, DEFAULT_SCORING_MODEL, ScoringModelConfig } from '../../src/scoring/model';
import { adoptCurrentDefaultModel, getActiveModel, updateScoringModel } from '../../src/scoring/scoring-model.service';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { startTestServer } from '../helpers/server';
// The default model as shipped from commit 31eb71e (team_shrinking at 45 points) until this migration.
import SHIPPED_31EB71E from './fixtures/shipped-default-31eb71e.json';

let database: TestDatabase;
let orm: MikroORM;
const db = () => orm.em.fork() as Db;
/** The versions adoptCurrentDefaultModel announced as activated (the scheduler's full run listens there). */
const heard: number[] = [];
const listening = { onModelActivated: [(version: number) => void heard.push(version)] };
beforeEach(() => {
  heard.length = 0;
});

beforeAll(async () => {
  database = await createTestDatabase('model_upgrade');
  orm = await openDatabase(database.url, 2);
});
afterAll(async () => {
  await orm?.close(true);
  await database?.drop();
});

async function activate(config: unknown, shippedDefault = false): Promise<void> {
  await query(db(), 'delete from scoring_model');
  await query(db(), 'insert into scoring_model (version, config, active, shipped_default) values (1, ?::jsonb, true, ?)', [
    json(config),
    shippedDefault,
  ]);
}

/** A default of an earlier release: today's with one weight changed. */
function earlierDefault(): unknown {
  const config = structuredClone(DEFAULT_SCORING_MODEL);
  config.components[0].signals[0].weight += 1;
  return config;
}

it('activates the current default as a new version when the first default model is active as first written, and announces it once', async () => {
  await activate(CLASSIC_SCORING_MODEL, true);
  const adopted = await adoptCurrentDefaultModel(listening, db());
  expect(adopted?.version).toBe(2);
  expect((await getActiveModel(db())).config).toEqual(DEFAULT_SCORING_MODEL);
  expect(await adoptCurrentDefaultModel(listening, db())).toBeNull();
  expect(heard).toEqual([2]);
});

it('rewords the messages of an earlier default in place, under its version, when only their templates differ', async () => {
  const config = structuredClone(DEFAULT_SCORING_MODEL);
  config.playbooks[0].actions[0].template = 'Old words about {{customerName}}.';
  await activate(config, true);
  const adopted = await adoptCurrentDefaultModel(listening, db());
  expect(adopted?.version).toBe(1);
  expect(await getActiveModel(db())).toMatchObject({ version: 1, config: DEFAULT_SCORING_MODEL });
  expect(await sql(database, 'select count(*)::int as n from scoring_model')).toEqual([{ n: 1 }]);
  expect(await adoptCurrentDefaultModel(listening, db())).toBeNull();
  // Scoring reads the same model: nothing to rescore.
  expect(heard).toEqual([]);
  // Anything scoring reads differing as well: a new version, as before.
  config.hysteresis = (config.hysteresis ?? 0) + 1;
  await activate(config, true);
  expect((await adoptCurrentDefaultModel(listening, db()))?.version).toBe(2);
});

it('leaves the first default model alone when someone activated it through the API', async () => {
  await activate(CLASSIC_SCORING_MODEL, false);
  expect(await adoptCurrentDefaultModel(listening, db())).toBeNull();
});

it('leaves an edited model alone', async () => {
  await activate({ ...structuredClone(CLASSIC_SCORING_MODEL), hysteresis: 3 });
  expect(await adoptCurrentDefaultModel(listening, db())).toBeNull();
  expect((await getActiveModel(db())).version).toBe(1);
});

it('moves an installation from an earlier default the product wrote to the current one, once', async () => {
  await activate(earlierDefault(), true);
  const adopted = await adoptCurrentDefaultModel(listening, db());
  expect(adopted?.version).toBe(2);
  expect((await getActiveModel(db())).config).toEqual(DEFAULT_SCORING_MODEL);
  // The default it moved to is the product's own too: the next release's default replaces it in turn.
  const [row] = await query<{ shippedDefault: boolean }>(
    db(),
    'select shipped_default as "shippedDefault" from scoring_model where active',
  );
  expect(row.shippedDefault).toBe(true);
  expect(await adoptCurrentDefaultModel(listening, db())).toBeNull();
});

it("moves an installation on the default with tier hysteresis 3 to the specification's 2, as a new version that keeps every tier's bounds", async () => {
  await activate({ ...structuredClone(DEFAULT_SCORING_MODEL), hysteresis: 3 }, true);
  const adopted = await adoptCurrentDefaultModel(listening, db());
  expect([adopted?.version, adopted?.config.hysteresis, adopted?.config.penaltyHysteresis]).toEqual([2, 2, 0.1]);
  // Only the hysteresis changed: the tiers its points were placed in keep theirs across the move.
  expect(adopted?.config.tiers).toEqual(DEFAULT_SCORING_MODEL.tiers);
  expect(await adoptCurrentDefaultModel(listening, db())).toBeNull();
});

it('moves an installation on the default that read unpaid invoices over 60 days to the current one, which reads them over a year', async () => {
  const earlier = structuredClone(DEFAULT_SCORING_MODEL);
  const unpaidSignal = earlier.components.flatMap((component) => component.signals).find((signal) => signal.name === 'unpaid_past_due')!;
  const unpaidFlag = earlier.penalties.find((penalty) => penalty.name === 'unpaid_invoice_penalty')!;
  unpaidSignal.windowDays = 60;
  unpaidFlag.windowDays = 60;
  await activate(earlier, true);
  const adopted = await adoptCurrentDefaultModel(listening, db());
  expect(adopted?.version).toBe(2);
  const windows = (config: ScoringModelConfig) => [
    config.components.flatMap((component) => component.signals).find((signal) => signal.name === 'unpaid_past_due')?.windowDays,
    config.penalties.find((penalty) => penalty.name === 'unpaid_invoice_penalty')?.windowDays,
  ];
  expect(windows((await getActiveModel(db())).config)).toEqual([365, 365]);
  expect(heard).toEqual([2]);
});

it('writes the default of first use as shipped, and a model activated through the API as chosen, whatever its config', async () => {
  await query(db(), 'delete from scoring_model');
  await getActiveModel(db());
  await updateScoringModel(db(), earlierDefault() as ScoringModelConfig);
  const rows = await query<{ version: number; shippedDefault: boolean }>(
    db(),
    'select version, shipped_default as "shippedDefault" from scoring_model order by version',
  );
  expect(rows).toEqual([
    { version: 1, shippedDefault: true },
    { version: 2, shippedDefault: false },
  ]);
  expect(await adoptCurrentDefaultModel(listening, db())).toBeNull();
  expect((await getActiveModel(db())).version).toBe(2);
});

it('keeps an earlier default someone sends through the API as chosen, under its version, without storing a copy', async () => {
  await activate(earlierDefault(), true);
  const kept = await updateScoringModel(db(), earlierDefault() as ScoringModelConfig);
  expect(kept).toMatchObject({ version: 1, activated: false });
  expect(await sql(database, 'select version, shipped_default as "shippedDefault" from scoring_model')).toEqual([
    { version: 1, shippedDefault: false },
  ]);
  expect(await adoptCurrentDefaultModel(listening, db())).toBeNull();
});

describe('the migration that adds shipped_default', () => {
  let scratch: TestDatabase;
  afterAll(async () => scratch?.drop());

  it('marks version 1 and rows equal to a default an earlier release shipped, not the models someone edited', async () => {
    scratch = await createTestDatabase('shipped_default_migration');
    const migrating = await MikroORM.init(ormOptions(scratch.url));
    try {
      const migrator = migrating.getMigrator();
      await migrator.up({ to: 'Migration20261201054353_delivery' });
      // What an earlier release wrote: the first default on first use, the default of the day when it
      // moved the installation off it, then an edit someone made, and the shipped default again.
      const edited = { ...structuredClone(SHIPPED_31EB71E), hysteresis: 3 };
      await sql(
        scratch,
        `insert into scoring_model (version, config, active) values
           (1, $1::jsonb, false), (2, $2::jsonb, false), (3, $3::jsonb, false), (4, $2::jsonb, true)`,
        [JSON.stringify(CLASSIC_SCORING_MODEL), JSON.stringify(SHIPPED_31EB71E), JSON.stringify(edited)],
      );
      await migrator.up();
    } finally {
      await migrating.close(true);
    }
    expect(await sql(scratch, 'select version, shipped_default as "shippedDefault" from scoring_model order by version')).toEqual([
      { version: 1, shippedDefault: true },
      { version: 2, shippedDefault: true },
      { version: 3, shippedDefault: false },
      { version: 4, shippedDefault: true },
    ]);
  });
});

describe('an upgrade whose default model differs from the one active', () => {
  let upgraded: TestDatabase;
  afterAll(async () => upgraded?.drop());

  it('rescores everyone under the new default in one full run, also when several instances start at once', async () => {
    upgraded = await createTestDatabase('model_upgrade_run');
    // The earlier release: its default active, and every customer scored under it.
    const earlier = await startTestServer({ database: upgraded });
    try {
      await sql(
        upgraded,
        `insert into customer (id, name, created_at, updated_at) select 'up_' || n, 'Up ' || n, now(), now() from generate_series(1, 30) n`,
      );
      await sql(upgraded, 'delete from scoring_model');
      await sql(upgraded, 'insert into scoring_model (version, config, active, shipped_default) values (1, $1::jsonb, true, true)', [
        JSON.stringify(earlierDefault()),
      ]);
      await earlier.gql('mutation { refreshAllHealthScores { status } }');
    } finally {
      await earlier.stop();
    }
    const scoredUnder = () =>
      sql<{ version: number; n: number }>(
        upgraded,
        `select h.model_version as version, count(*)::int as n from customer c
         join lateral (select model_version from health_score where customer_id = c.id order by as_of desc, id desc limit 1) h on true
         group by h.model_version`,
      );
    expect(await scoredUnder()).toEqual([{ version: 1, n: 30 }]);

    // The new release, two instances started together with periodic scoring on (its first run an hour away).
    const instances = await Promise.all(
      [1, 2].map(() => startTestServer({ database: upgraded, env: { SCORING_INTERVAL_MS: '3600000', RESCORE_DEBOUNCE_MS: '0' } })),
    );
    try {
      for (const instance of instances) await instance.app.scheduler.recovered();
      for (const instance of instances) await instance.app.scheduler.idle();
      expect(await sql(upgraded, 'select version, shipped_default as "shippedDefault" from scoring_model where active')).toEqual([
        { version: 2, shippedDefault: true },
      ]);
      expect(await scoredUnder()).toEqual([{ version: 2, n: 30 }]);
      // The earlier release's run, then one run for the new version: not one per instance.
      expect(await sql(upgraded, 'select status, customers_scored as scored from scoring_run order by id')).toEqual([
        { status: 'SUCCEEDED', scored: 30 },
        { status: 'SUCCEEDED', scored: 30 },
      ]);
    } finally {
      await Promise.all(instances.map((instance) => instance.stop()));
    }
  });
});
