// A team that stops coming while its integration's syncs run is flagged about a month after it
// left, and stays flagged while it does not come back; an account run by its integration, whose
// admin looks in now and then, never is.
import { DEFAULT_SCORING_MODEL } from '../../../src/scoring/model';
import type { ActivityLog } from '../../../src/scoring/model';
import { simulateDailyScoring, syncedAccount } from './daily-simulation';

const flaggedDays = (activity: ActivityLog, days: number) =>
  simulateDailyScoring(DEFAULT_SCORING_MODEL, activity, { days, scoringHour: 20 })
    .filter((scoring) => scoring.result.penalties.some((p) => p.name === 'team_gone' && p.applied))
    .map((scoring) => scoring.day);

it('flags a team of two days a week gone behind the syncs from about a month after it left, on every day until its baseline forgets it', () => {
  const LEFT = 100;
  // Tuesdays and Fridays until day 100.
  const days = flaggedDays(
    syncedAccount(170, (day) => (day < LEFT && [1, 4].includes(day % 7) ? ['u1', 'u2'] : [])),
    170,
  );
  expect(days.length).toBeGreaterThan(0);
  const [first, last] = [days[0], days[days.length - 1]];
  expect(first - LEFT).toBeGreaterThanOrEqual(28);
  expect(first - LEFT).toBeLessThanOrEqual(36);
  // Every day from the first on, for three weeks or more: the flag does not wait for a rhythm it can no longer see.
  expect(last - first).toBeGreaterThanOrEqual(21);
  expect(days).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
});

// Its admin looks in on two days a week apart, then not for five or six weeks: gaps as long as a team gone.
const adminDays = new Set([5, 12, 50, 57, 95, 102, 140, 147, 185, 192]);

it('does not flag an account run by its integration whose admin looks in on a few days every six weeks', () => {
  const account = syncedAccount(200, (day) => (adminDays.has(day) ? ['admin'] : []));
  expect(flaggedDays(account, 200)).toEqual([]);
  // Without the team's rhythm asked for, its quiet weeks read as a team gone.
  const withoutRhythm = structuredClone(DEFAULT_SCORING_MODEL);
  const teamGone = withoutRhythm.penalties.find((p) => p.name === 'team_gone')!;
  teamGone.onlyWhen = teamGone.onlyWhen!.filter((c) => c.metric !== 'team_active_days');
  const flagged = simulateDailyScoring(withoutRhythm, account, { days: 200, scoringHour: 20 }).filter((scoring) =>
    scoring.result.penalties.some((p) => p.name === 'team_gone' && p.applied),
  );
  expect(flagged.length).toBeGreaterThan(0);
});
