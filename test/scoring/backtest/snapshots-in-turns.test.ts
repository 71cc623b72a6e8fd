// The server scores a backtest's snapshots a slice per turn of the event loop: a year of daily
// snapshots is seconds of CPU, and other requests (and the health probes) must not wait for it.
import { DEFAULT_SCORING_MODEL, metricRequests } from '../../../src/scoring/model';
import { scoreSnapshots, scoreSnapshotsInTurns, SNAPSHOTS_PER_TURN, SnapshotSet } from '../../../src/scoring/backtest/snapshots';
import { accountsSignedUpAt } from './account-facts';

function population(accounts: number, instants: number): SnapshotSet {
  const requests = metricRequests(DEFAULT_SCORING_MODEL);
  const facts = accountsSignedUpAt(accounts, new Date(Date.UTC(2025, 0, 1)));
  const snapshots = facts.flatMap((account, a) =>
    Array.from({ length: instants }, (_, day) => ({
      account,
      asOf: new Date(Date.UTC(2026, 0, 1 + day)),
      // Metrics that differ between accounts, so scores and tiers do.
      values: Float64Array.from(
        requests.map((r) => {
          if (r.key.startsWith('payment_failure_streak')) return a % 4;
          if (r.key.startsWith('silence_vs_cadence')) return (a + day) % 9;
          if (r.key.includes('_trend_') || r.key.includes('_vs_prior_')) return 1 - (a % 5) / 6;
          return Number.NaN;
        }),
      ),
      lastActivityAt: new Date(Date.UTC(2026, 0, 1 + day) - (a % 7) * 86_400_000),
    })),
  );
  return { requests, accounts: facts, snapshots };
}

it('gives what scoring in one go gives, letting other work run between slices', async () => {
  const set = population(30, 100);
  expect(set.snapshots.length).toBeGreaterThan(2 * SNAPSHOTS_PER_TURN);
  let finished = false;
  let ranWhileScoring = false;
  const scoring = scoreSnapshotsInTurns(set, DEFAULT_SCORING_MODEL).then((scores) => {
    finished = true;
    return scores;
  });
  setImmediate(() => (ranWhileScoring = !finished));
  const scores = await scoring;
  expect(ranWhileScoring).toBe(true);
  expect(scores).toEqual(scoreSnapshots(set, DEFAULT_SCORING_MODEL));
  expect(new Set(scores.map((s) => s.tierKey)).size).toBeGreaterThan(1);
  expect(new Set(scores.map((s) => s.score)).size).toBeGreaterThan(5);
});
