// A model that passes validation can be activated, previewed and scored through the API; one that
// could not be scored is refused whole (BAD_USER_INPUT naming what to change), nothing written. Found
// by an outside review sending hostile but valid configs: each of these once activated a model that
// every scoring, preview and backtest then answered with an internal error. Text of the model that
// people read (keys, labels, names) and would see as nothing or broken over lines is refused alike.
import { BASELINE_METRICS, DEFAULT_SCORING_MODEL, MetricKind, metricRequests, ScoringModelConfig } from '../../src/scoring/model';
import { MODEL_LIMITS } from '../../src/scoring/model/validate-model';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

beforeAll(async () => {
  server = await startTestServer({ label: 'model_abuse' });
  await server.gql(`mutation { upsertCustomer(input: { id: "cust_ab_1", name: "Abuse 1", signedUpAt: "${daysAgo(300)}" }) { id } }`);
  const events = Array.from({ length: 240 }, (_, d) => ({
    customerId: 'cust_ab_1',
    eventType: 'feature_used',
    feature: `f${d % 4}`,
    userId: `u${d % 3}`,
    occurredAt: daysAgo(d + 0.5),
  }));
  await server.gql('mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', { events });
  await server.request('{ scoringModel { version } }');
});
afterAll(() => server.stop());

const modelVersions = async () => (await sql<{ n: number }>(server.database, 'select count(*)::int as n from scoring_model'))[0].n;

const activate = (config: unknown) =>
  server.request<{ updateScoringModel: { version: number } }, Record<string, unknown>>(
    'mutation($config: JSON!) { updateScoringModel(input: { config: $config }) { version tiers { key severity } } }',
    { config },
  );
const refresh = () =>
  server.request<{ refreshHealthScore: { score: number } }, Record<string, unknown>>(
    'mutation { refreshHealthScore(customerId: "cust_ab_1") { score } }',
  );
const preview = (config: unknown) =>
  server.request<{ previewScoringModel: { changed: number } }, Record<string, unknown>>(
    'query($config: JSON!) { previewScoringModel(config: $config) { changed } }',
    { config },
  );

/**
 * A model of `count` signals and penalties, each reading its own aggregate of the most demanding
 * engagement metrics (distinct windows and baselines, so nothing is shared), up to the model's size limits.
 */
function modelOfDistinctAggregates(count: number): ScoringModelConfig {
  const metrics: MetricKind[] = ['events_per_active_day_vs_prior', 'active_users_vs_leanest', 'feature_breadth_vs_leanest'];
  const model = structuredClone(DEFAULT_SCORING_MODEL) as ScoringModelConfig;
  const source = (index: number) => {
    const metric = metrics[index % metrics.length];
    const windowDays = 2 + index;
    return { metric, windowDays, ...(BASELINE_METRICS.has(metric) ? { baselineDays: 2 * windowDays + 9 } : {}) };
  };
  const signals = Math.min(count, MODEL_LIMITS.signals);
  model.components = Array.from({ length: Math.ceil(signals / 4) }, (_, c) => ({
    name: `c${c}`,
    signals: Array.from({ length: Math.min(4, signals - 4 * c) }, (_, s) => ({
      name: `s${4 * c + s}`,
      ...source(4 * c + s),
      normaliser: { kind: 'ratio' as const },
      weight: 1,
      missing: { policy: 'neutral' as const, value: 0.75 },
    })),
  }));
  const penalties = Math.min(count - signals, MODEL_LIMITS.penalties);
  model.penalties = Array.from({ length: penalties }, (_, p) => ({
    name: `p${p}`,
    ...source(signals + p),
    direction: 'below' as const,
    threshold: 0.1,
    points: 5,
  }));
  // Any further aggregates are read by the penalties' conditions.
  for (let index = signals + penalties; index < count; index++) {
    const penalty = model.penalties[index % penalties];
    penalty.onlyWhen = [...(penalty.onlyWhen ?? []), { ...source(index), direction: 'at_least', threshold: 0 }];
  }
  return model;
}

/** `config` previews, activates and scores a customer without an error; the default model is active again afterwards. */
async function expectPreviewedActivatedAndScored(config: ScoringModelConfig): Promise<void> {
  expect((await preview(config)).errors).toBeUndefined();
  expect((await activate(config)).errors).toBeUndefined();
  const scored = await refresh();
  expect(scored.errors).toBeUndefined();
  expect(scored.data?.refreshHealthScore.score).toEqual(expect.any(Number));
  expect((await activate(DEFAULT_SCORING_MODEL)).errors).toBeUndefined();
}

it('refuses a churn window that is not a whole number of days, writing no model version', async () => {
  const before = await modelVersions();
  const config = structuredClone(DEFAULT_SCORING_MODEL) as ScoringModelConfig;
  config.lifecycle.churnWindowDays = 200.5;
  for (const answer of [await activate(config), await preview(config)]) {
    expect(answer.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      problems: ['lifecycle.churnWindowDays must be a whole number of days within 1…3650'],
    });
  }
  expect(await modelVersions()).toBe(before);
});

it('refuses a tier severity the API cannot answer with, writing no model version', async () => {
  const before = await modelVersions();
  const config = structuredClone(DEFAULT_SCORING_MODEL) as ScoringModelConfig;
  config.tiers[3].severity = 2 ** 31;
  const answer = await activate(config);
  expect(answer.errors?.[0].extensions).toMatchObject({
    code: 'BAD_USER_INPUT',
    problems: ['tiers[3].severity must be a whole number within 0…1000'],
  });
  expect(await modelVersions()).toBe(before);
  expect((await server.request('{ scoringModel { tiers { key severity } } }')).errors).toBeUndefined();
});

it('refuses a model reading more distinct aggregates than one scoring statement holds, writing nothing', async () => {
  const before = await modelVersions();
  const config = modelOfDistinctAggregates(MODEL_LIMITS.aggregates + 1);
  expect(metricRequests(config)).toHaveLength(MODEL_LIMITS.aggregates + 1);
  const problems = [
    `the model is too large: distinct aggregates (metric, window and baseline) read by its signals, penalties and conditions: ${MODEL_LIMITS.aggregates + 1}, at most ${MODEL_LIMITS.aggregates}`,
  ];
  for (const answer of [await activate(config), await preview(config)]) {
    expect(answer.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', problems });
  }
  expect(await modelVersions()).toBe(before);
});

it('activates, previews and scores a model of as many distinct aggregates as allowed, of the most demanding metrics', async () => {
  const config = modelOfDistinctAggregates(MODEL_LIMITS.aggregates);
  expect(metricRequests(config)).toHaveLength(MODEL_LIMITS.aggregates);
  await expectPreviewedActivatedAndScored(config);
}, 120_000);

const activeVersion = async () =>
  (await server.request<{ scoringModel: { version: number } }, Record<string, unknown>>('{ scoringModel { version } }')).data?.scoringModel
    .version;

/** The default model with one change. */
const defaultWith = (change: (config: ScoringModelConfig) => void): ScoringModelConfig => {
  const config = structuredClone(DEFAULT_SCORING_MODEL) as ScoringModelConfig;
  change(config);
  return config;
};

it.each<[string, ScoringModelConfig, string]>([
  [
    'a tier playbook without its tierKey',
    defaultWith((config) => (config.playbooks[3].kind = 'tier')),
    'playbooks[3].tierKey is required for a tier playbook',
  ],
  [
    'a tier key that is only a zero-width space',
    defaultWith((config) => (config.tiers[0].key = '\u200b')),
    'tiers[0].key shows nothing: it holds only characters displayed as nothing (U+200B)',
  ],
  [
    'a tier label of white space and a word joiner',
    defaultWith((config) => (config.tiers[1].label = ' \u2060 ')),
    'tiers[1].label shows nothing: it holds only characters displayed as nothing (U+0020, U+2060)',
  ],
  [
    'a tier label broken over two lines',
    defaultWith((config) => (config.tiers[0].label = 'Hea\nlthy')),
    'tiers[0].label "Hea\\nlthy" holds a control character or a direction override',
  ],
  [
    'a signal name holding an escape sequence',
    defaultWith((config) => (config.components[0].signals[0].name = 'active\u001b[2Jdays')),
    'components[0].signals[0].name "active\\u001b[2Jdays" holds a control character or a direction override',
  ],
])('refuses %s through updateScoringModel and previewScoringModel, the active version unmoved', async (_case, config, problem) => {
  const [version, versions] = [await activeVersion(), await modelVersions()];
  for (const answer of [await activate(config), await preview(config)]) {
    expect(answer.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', problems: [problem] });
  }
  expect(await activeVersion()).toBe(version);
  expect(await modelVersions()).toBe(versions);
});
