// A model that validates can always be scored: every preset and a few hundred random valid configs
// (windows and baselines up to ten years, extreme weights, normalisers and penalties) run through
// the real scoring batch (SQL aggregates, history, writes) on a small data set without an error.
import type { MikroORM } from '@mikro-orm/core';
import { upsertCustomer } from '../../src/customers/customer.service';
import { trackEngagementBatch } from '../../src/engagement/engagement.service';
import { openDatabase } from '../../src/database';
import { Db } from '../../src/infra/sql';
import { mulberry32 } from '../../src/demo/seeded-random';
import { scoreCustomerBatch } from '../../src/scoring/score-customers';
import {
  BASELINE_METRICS,
  LEANEST_METRICS,
  CLASSIC_SCORING_MODEL,
  DAY_MS,
  DEFAULT_SCORING_MODEL,
  defaultModelWithTiers,
  METRIC_KINDS,
  MetricKind,
  Normaliser,
  ScoringModelConfig,
  TIER_PRESETS,
  TierPresetName,
  validateModel,
} from '../../src/scoring/model';
import { createTestDatabase, TestDatabase } from '../helpers/database';

let database: TestDatabase;
let orm: MikroORM;
const IDS = ['cust_f1', 'cust_f2', 'cust_f3'];
const asOf = new Date(Date.now() - 2 * DAY_MS);

beforeAll(async () => {
  database = await createTestDatabase('model_fuzz');
  orm = await openDatabase(database.url, 3);
  const db = orm.em.fork() as Db;
  for (const id of IDS)
    await upsertCustomer(
      db,
      null,
      { id, name: id, seats: 5, arrCents: 100_000, signedUpAt: new Date(Date.now() - 400 * DAY_MS) },
      { mayReadStored: true },
    );
  const events = IDS.flatMap((customerId, c) =>
    Array.from({ length: 120 }, (_, d) => ({
      customerId,
      eventType: 'feature_used',
      feature: `f${d % (c + 2)}`,
      userId: `u${d % 3}`,
      occurredAt: new Date(Date.now() - (d * (c + 1) + 3) * DAY_MS),
    })),
  );
  await trackEngagementBatch(db, null, events);
});
afterAll(async () => {
  await orm?.close(true);
  await database?.drop();
});

function randomConfig(random: () => number): ScoringModelConfig {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const days = () => pick([1, 2, 7, 30, 90, 365, 3650, 1 + Math.floor(random() * 3650)]);
  const normaliser = (): Normaliser =>
    pick<Normaliser>([
      { kind: 'target', target: pick([1e-6, 0.5, 20, 1e6]) },
      { kind: 'inverse_target', max: pick([1e-6, 3, 1e6]) },
      { kind: 'recency', fullDays: 0, zeroDays: pick([1e-6, 4, 1e6]) },
      { kind: 'linear', min: -1e6, max: pick([-999_999, 0, 1e6]) },
      { kind: 'ratio' },
    ]);
  const window = (metric: MetricKind) => {
    const windowDays = days();
    if (!BASELINE_METRICS.has(metric)) return { windowDays };
    // A baseline longer than the window; at least twice as long for the `_vs_leanest` metrics.
    const leanest = LEANEST_METRICS.has(metric);
    const recent = Math.min(windowDays, leanest ? 1825 : 3649);
    const least = leanest ? 2 * recent : recent + 1;
    return { windowDays: recent, baselineDays: least + Math.floor(random() * (3651 - least)) };
  };
  const config = structuredClone(random() < 0.5 ? DEFAULT_SCORING_MODEL : CLASSIC_SCORING_MODEL) as ScoringModelConfig;
  config.components = [0, 1, 2].map((c) => ({
    name: `c${c}`,
    signals: Array.from({ length: 1 + Math.floor(random() * 4) }, (_, s) => {
      const metric = pick(METRIC_KINDS);
      return {
        name: `s${c}_${s}`,
        metric,
        ...window(metric),
        normaliser: normaliser(),
        weight: pick([0, 1e-9, 1, 1e6]),
        missing: random() < 0.5 ? { policy: 'exclude' } : { policy: 'neutral', value: random() },
      };
    }),
  }));
  config.components[0].signals[0].weight = 1;
  config.penalties = Array.from({ length: Math.floor(random() * 4) }, (_, p) => {
    const metric = pick(METRIC_KINDS);
    const perUnit = random() < 0.5;
    const threshold = pick(perUnit ? [0, 1, 1e6] : [-1e6, 0, 1, 1e6]);
    const points = pick([0, 5, 100]);
    // Only a perUnit penalty's points × the metric has a cap (validateModel).
    const maxPoints = pick([0, 100]);
    return {
      name: `p${p}`,
      metric,
      ...window(metric),
      direction: 'at_least' as const,
      // A perUnit penalty's threshold is at least 0 (validateModel): below, its points could be negative.
      threshold,
      points,
      perUnit,
      ...(perUnit ? { maxPoints } : {}),
    };
  });
  config.lifecycle = { ...config.lifecycle, churnWindowDays: days(), onboardingDays: days(), minCoverage: random() };
  config.trend = { windowDays: days(), threshold: pick([0, 5, 100]) };
  config.scoreDrop = { points: pick([1, 100]), withinDays: days() };
  // Below 20, the width of the narrowest band of both models' tiers (validateModel).
  config.hysteresis = pick([0, 2, 19.5]);
  return config;
}

it.each(Object.keys(TIER_PRESETS) as TierPresetName[])('scores the default model with the %s preset', async (preset) => {
  const config = defaultModelWithTiers(preset);
  expect(validateModel(config)).toEqual([]);
  const result = await scoreCustomerBatch(
    orm.em.fork() as Db,
    IDS,
    asOf,
    { version: 1, config },
    { backfill: true, customerMessagesPerWeek: 2 },
  );
  expect(result.scores).toHaveLength(IDS.length);
});

it('scores every random config that validates, each score within 0…100', async () => {
  const random = mulberry32(2026);
  let scored = 0;
  for (let i = 0; i < 60; i++) {
    const config = randomConfig(random);
    expect([i, validateModel(config)]).toEqual([i, []]);
    const result = await scoreCustomerBatch(
      orm.em.fork() as Db,
      IDS,
      new Date(asOf.getTime() - i * 3_600_000),
      { version: 1, config },
      { backfill: true, customerMessagesPerWeek: 2 },
    );
    for (const score of result.scores) expect(score.score >= 0 && score.score <= 100).toBe(true);
    scored += result.scores.length;
  }
  expect(scored).toBe(60 * IDS.length);
}, 120_000);
