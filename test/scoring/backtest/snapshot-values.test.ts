// A backtest holds every snapshot's metric values in memory until it is scored: its bound is on the
// values (account-instants × the aggregates the model reads), not on the account-instants alone, so
// a model reading many aggregates cannot hold several times the memory of the default on the same
// grid. Refused before any statement runs.
import type { Db } from '../../../src/infra/sql';
import { collectSnapshots, MAX_SNAPSHOT_VALUES, MAX_SNAPSHOTS } from '../../../src/scoring/backtest/snapshots';
import { DEFAULT_SCORING_MODEL, metricRequests, ScoringModelConfig } from '../../../src/scoring/model';
import { InvalidInputError } from '../../../src/infra/errors';
import { accountsSignedUpAt } from './account-facts';

const DAY = 86_400_000;
const signedUpAt = new Date(Date.UTC(2024, 0, 1));
const accounts = accountsSignedUpAt(3000, signedUpAt);
/** A year of daily instants: 3,000 accounts × 366 instants, within MAX_SNAPSHOTS. */
const grid = { from: new Date(Date.UTC(2025, 0, 1)), to: new Date(Date.UTC(2026, 0, 1)), stepDays: 1 };

/** The default model with 64 penalties more, each on active days over a window of its own. */
function modelReadingMany(): ScoringModelConfig {
  const model = structuredClone(DEFAULT_SCORING_MODEL) as ScoringModelConfig;
  model.penalties = Array.from({ length: 64 }, (_, i) => ({
    name: `few_days_${i}`,
    metric: 'active_days' as const,
    windowDays: 200 + i,
    direction: 'below' as const,
    threshold: 1,
    points: 5,
  }));
  return model;
}

/** A database no statement may reach: the refusal comes first. */
const noDatabase = new Proxy(
  {},
  {
    get: () => {
      throw new Error('no statement should run');
    },
  },
) as Db;

it('refuses a grid whose snapshots would hold more metric values than the bound, before any statement, naming stepDays', async () => {
  const model = modelReadingMany();
  const aggregates = metricRequests(model).length;
  const total = accounts.length * 366;
  expect(total).toBeLessThanOrEqual(MAX_SNAPSHOTS);
  expect(total * aggregates).toBeGreaterThan(MAX_SNAPSHOT_VALUES);
  const refusal = collectSnapshots(noDatabase, model, grid, { accounts });
  await expect(refusal).rejects.toThrow(InvalidInputError);
  await expect(refusal).rejects.toThrow(
    `the grid covers ${total} account-instants of ${aggregates} aggregates each (the model's metric, window and baseline pairs): ` +
      `${total * aggregates} values; at most ${MAX_SNAPSHOT_VALUES} (widen stepDays, narrow from…to, or use a model reading fewer aggregates)`,
  );
  await expect(refusal).rejects.toMatchObject({ details: { argument: 'stepDays' } });
});

it('leaves the default model its full MAX_SNAPSHOTS account-instants', () => {
  expect(MAX_SNAPSHOTS * metricRequests(DEFAULT_SCORING_MODEL).length).toBeLessThanOrEqual(MAX_SNAPSHOT_VALUES);
  expect(grid.to.getTime() - grid.from.getTime()).toBe(365 * DAY);
});
