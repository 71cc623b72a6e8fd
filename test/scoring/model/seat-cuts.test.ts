// A cut of seats is a team being let go when it takes seats from people who use them; a customer
// that cuts down to the people it has (or a few seats above them, or below one who just left) pays
// for what it uses. On an outside
// population, right-sized accounts with 90 % or more of their seats in use after the cut were at risk
// for the three months the cut stays in the window (bench/README.md, session 66). Scored daily.
import { DEFAULT_SCORING_MODEL } from '../../../src/scoring/model';
import type { ActivityLog } from '../../../src/scoring/model';
import { dayStart, simulateDailyScoring } from './daily-simulation';

const model = DEFAULT_SCORING_MODEL;
const DAYS = 215;
const CUT_ON = 120;
const at = (day: number, hour: number) => new Date(dayStart(day).getTime() + hour * 3_600_000);

/** `people` every day, then `after` of them from the cut on; 40 seats at $40,000, cut to `seats` on CUT_ON. */
function account(people: number, after: number, seats: number): ActivityLog {
  const engagementEvents: ActivityLog['engagementEvents'] = [];
  for (let day = 0; day < DAYS; day++)
    for (let n = 0; n < (day < CUT_ON ? people : after); n++) {
      engagementEvents.push({ occurredAt: at(day, 8 + n), eventType: 'feature_used', feature: 'reports', userId: `u${n}` });
    }
  return {
    engagementEvents,
    signedUpAt: dayStart(0),
    seats,
    planChanges: [
      { changedAt: dayStart(0), arrCents: 4_000_000, seats: 40 },
      { changedAt: at(CUT_ON, 12), arrCents: Math.round((4_000_000 * seats) / 40), seats },
    ],
  };
}

const contractionDays = (log: ActivityLog) =>
  simulateDailyScoring(model, log, { days: DAYS, scoringHour: 23 })
    .filter((d) => d.result.penalties.some((p) => p.applied && p.name === 'contraction_penalty'))
    .map((d) => d.day);

describe('contraction_penalty (default model)', () => {
  it('does not flag a cut down to the people who use the product, or to a few seats above them', () => {
    expect(contractionDays(account(6, 6, 6))).toEqual([]);
    expect(contractionDays(account(6, 6, 7))).toEqual([]);
    // One of twenty gone shortly before the cut, still in the last 30 days' users: no team let go.
    expect(contractionDays(account(20, 19, 19))).toEqual([]);
  });

  it('flags a cut that takes seats from people who use them, for as long as the cut is in its 90 days', () => {
    // A tenth more people than the seats left is a cut into them.
    expect(contractionDays(account(11, 10, 10))[0]).toBe(CUT_ON);
    const days = contractionDays(account(10, 5, 5));
    expect(days[0]).toBe(CUT_ON);
    // The people who lost their seats leave the last 30 days' users a month on: the flag stays.
    expect(days).toEqual(Array.from({ length: days.length }, (_, i) => CUT_ON + i));
    expect(days[days.length - 1]).toBeGreaterThanOrEqual(CUT_ON + 75);
  });
});
