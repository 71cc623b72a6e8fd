// An account run by its integration (daily syncs that name no user, on the one feature they sync)
// whose admin looks in once a week: a fortnight in which the admin only glanced at one feature is
// no narrowing of the account's use. A team that narrows its use while it keeps coming still is.
import { DEFAULT_SCORING_MODEL } from '../../../src/scoring/model';
import type { ActivityLog } from '../../../src/scoring/model';
import { dayStart, isWeekday, simulateDailyScoring } from './daily-simulation';

const model = DEFAULT_SCORING_MODEL;
const DAYS = 120;
/** From this day on, the people of each account use one feature only. */
const NARROWED_FROM = 100;
const FEATURES = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];

const at = (day: number, hour: number) => new Date(dayStart(day).getTime() + hour * 3_600_000);

/** A sync on every day, naming no user, and `people` on the days `comes` says, on six features until NARROWED_FROM, on one after. */
function accountActivity(people: string[], comes: (day: number) => boolean): ActivityLog {
  const engagementEvents: ActivityLog['engagementEvents'] = [];
  for (let day = 0; day < DAYS; day++) {
    engagementEvents.push({ occurredAt: at(day, 3), eventType: 'feature_used', feature: 'sync', userId: null });
    if (!comes(day)) continue;
    const features = day >= NARROWED_FROM ? ['f0'] : FEATURES;
    people.forEach((userId, n) =>
      features.forEach((feature, k) =>
        engagementEvents.push({ occurredAt: at(day, 9 + n + k / 10), eventType: 'feature_used', feature, userId }),
      ),
    );
  }
  return { engagementEvents };
}

const featureContractionDays = (activity: ActivityLog) =>
  simulateDailyScoring(model, activity, { days: DAYS, scoringHour: 23 })
    .filter((d) => d.day >= NARROWED_FROM && d.result.penalties.some((p) => p.applied && p.name === 'feature_contraction'))
    .map((d) => d.day);

describe('feature_contraction beside an integration (default model)', () => {
  it("does not flag an account run by its integration for a fortnight of its admin's glances at one feature", () => {
    expect(featureContractionDays(accountActivity(['admin'], (day) => day % 7 === 2))).toEqual([]);
  });

  it('still flags a team that narrows its use to one feature while it keeps coming every weekday', () => {
    expect(featureContractionDays(accountActivity(['u0', 'u1', 'u2'], isWeekday)).length).toBeGreaterThan(0);
  });
});
