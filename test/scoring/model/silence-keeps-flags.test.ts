// A red flag is lifted by what the account does, never by its doing nothing: an account flagged for
// a pattern (a narrowing, a champion leaving, halved use) that then goes silent stays at least as
// badly placed through the silence. The flags' conditions on the account being in use are asked only
// to raise them. Simulated without a database, scored daily by the default model.
import { DEFAULT_SCORING_MODEL, tierByKey } from '../../../src/scoring/model';
import type { ActivityLog } from '../../../src/scoring/model';
import { dayStart, peopleActivity, simulateDailyScoring } from './daily-simulation';

const model = DEFAULT_SCORING_MODEL;
const CHANGE_DAY = 100;
const LAST_ACTIVE_DAY = 120;
const DAYS = LAST_ACTIVE_DAY + 24; // to the day before long_silence may apply (24 days)
const severity = (tierKey: string) => tierByKey(model.tiers, tierKey)!.severity;
const applied = (day: ReturnType<typeof simulateDailyScoring>[number], name: string) =>
  day.result.penalties.some((p) => p.name === name && p.applied);

/** `users` daily people on `features` features, each `eventsOf(day, user)` events a day, silent after LAST_ACTIVE_DAY. */
function account(users: number, features: number, eventsOf: (day: number, user: number) => number): ActivityLog {
  return peopleActivity(DAYS, users, features, (day, user) => (day > LAST_ACTIVE_DAY ? 0 : eventsOf(day, user)));
}

/** Five daily users on eight features; from CHANGE_DAY every event is on the first feature. */
function narrowing(): ActivityLog {
  const log = account(5, 8, () => 3);
  for (const event of log.engagementEvents) if (event.occurredAt.getTime() >= dayStart(CHANGE_DAY).getTime()) event.feature = 'f0';
  return log;
}

/** Eight daily users; from CHANGE_DAY only three keep coming. */
const championsLeft = () => account(8, 5, (day, user) => (day < CHANGE_DAY || user < 3 ? 3 : 0));

describe('a flagged account that goes silent (default model, daily scoring)', () => {
  it.each([
    ['a narrowing to one feature', narrowing, 'feature_contraction'],
    ['five of a team of eight gone', championsLeft, 'team_shrinking'],
  ])('%s: keeps its flag and a tier at least as bad through the silence, until long_silence', (_, log, flag) => {
    const days = simulateDailyScoring(model, log(), { days: DAYS, scoringHour: 24 });
    const lastActive = days[LAST_ACTIVE_DAY];
    expect(applied(lastActive, flag)).toBe(true);
    expect(severity(lastActive.tierKey)).toBeGreaterThanOrEqual(severity('at_risk'));
    const silent = days.slice(LAST_ACTIVE_DAY + 1);
    expect(silent.filter((d) => !applied(d, flag)).map((d) => d.day)).toEqual([]);
    expect(silent.filter((d) => severity(d.tierKey) < severity(lastActive.tierKey)).map((d) => [d.day, d.tierKey])).toEqual([]);
    // Within days its conditions on the account in use no longer hold: it is kept, and says so.
    expect(silent.slice(7).filter((d) => !d.result.penalties.find((p) => p.name === flag)!.kept)).toEqual([]);
  });
});
