// A config whose shape is wrong (null, a list or a number where the model has an object, an object
// where it has a list, a part left out), at any depth, is refused wherever a config is accepted
// (updateScoringModel, with or without a tier preset, previewScoringModel, backtest's model) with
// BAD_USER_INPUT naming the field, not a JavaScript error's words, and nothing is written.
// suggestScoringModel takes no config: it fits the active model's weights.
import { DEFAULT_SCORING_MODEL, ScoringModelConfig } from '../../src/scoring/model';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'malformed_model' });
  await server.request('{ scoringModel { version } }');
});
afterAll(() => server?.stop());

/** Leaves a part out, as a client that forgot it would. */
const without = (object: object, key: string) => delete (object as Record<string, unknown>)[key];

/** One part of the default model broken, and the problem that names it. */
const MALFORMED: Array<[string, (model: ScoringModelConfig) => void, string]> = [
  ['trend null', (m) => (m.trend = null as never), 'trend is required'],
  ['scoreDrop left out', (m) => without(m, 'scoreDrop'), 'scoreDrop is required'],
  ['lifecycle a list', (m) => (m.lifecycle = [] as never), 'lifecycle must be an object'],
  ['tiers a string', (m) => (m.tiers = 'four_tier' as never), 'tiers must be a list'],
  ['a component a number', (m) => (m.components[0] = 5 as never), 'components[0] must be an object'],
  ['signals an object', (m) => (m.components[1].signals = {} as never), 'components[1].signals must be a list'],
  [
    'a normaliser a list',
    (m) => (m.components[0].signals[0].normaliser = [1] as never),
    'components[0].signals[0].normaliser must be an object',
  ],
  ['a missing policy left out', (m) => without(m.components[0].signals[1], 'missing'), 'components[0].signals[1].missing is required'],
  ['onlyWhen null', (m) => (m.penalties[0].onlyWhen = null as never), 'penalties[0].onlyWhen must be a list'],
  ['a condition a string', (m) => (m.penalties[2].onlyWhen = ['x' as never]), 'penalties[2].onlyWhen[0] must be an object'],
  ['an action null', (m) => (m.playbooks[0].actions[0] = null as never), 'playbooks[0].actions[0] must be an object'],
];

function malformed(breakIt: (model: ScoringModelConfig) => void): ScoringModelConfig {
  const model = structuredClone(DEFAULT_SCORING_MODEL) as ScoringModelConfig;
  breakIt(model);
  return model;
}

/** What activating a config writes: a model version, made the active one. */
async function written(): Promise<unknown> {
  const [row] = await sql(
    server.database,
    'select count(*)::int as versions, max(version) filter (where active) as active from scoring_model',
  );
  return row;
}

const from = new Date(Date.now() - 60 * DAY).toISOString();
const to = new Date(Date.now() - DAY).toISOString();
const SENDS: Array<
  [string, (config: unknown) => Promise<{ errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> }>]
> = [
  [
    'updateScoringModel',
    (config) => server.request('mutation($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', { config }),
  ],
  [
    'updateScoringModel with a tier preset',
    (config) =>
      server.request('mutation($config: JSON!) { updateScoringModel(input: { config: $config, tierPreset: "three_tier" }) { version } }', {
        config,
      }),
  ],
  [
    'previewScoringModel',
    (config) => server.request('query($config: JSON!) { previewScoringModel(config: $config) { changed } }', { config }),
  ],
  [
    'backtest',
    (config) =>
      server.request('query($input: BacktestInput!) { backtest(input: $input) { customers } }', { input: { from, to, model: { config } } }),
  ],
];

describe.each(SENDS)('%s', (_name, send) => {
  it.each(MALFORMED)('refuses a model with %s, naming the field, writing nothing', async (_case, breakIt, problem) => {
    const before = await written();
    const answer = await send(malformed(breakIt));
    const error = answer.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', problems: [problem] });
    expect(error?.message).toContain(problem);
    expect(error?.message).not.toMatch(/Cannot read|undefined|is not a function|is not iterable/);
    expect(await written()).toEqual(before);
  });
});
