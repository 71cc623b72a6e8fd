// A team whose people leave over a week while one or two keep coming: team_shrinking reads a
// fortnight, which still sees the leavers until their last day is two weeks old; the week's flag sees
// them gone at once. Simulated without a database, scored daily by the default model.
import { mulberry32 } from '../../../src/demo/seeded-random';
import { DEFAULT_SCORING_MODEL, tierByKey } from '../../../src/scoring/model';
import type { ActivityLog, ScoringModelConfig } from '../../../src/scoring/model';
import { dayStart, peopleActivity, simulateDailyScoring } from './daily-simulation';

const model = DEFAULT_SCORING_MODEL;
const CHANGE_DAY = 100;
const DAYS = 140;
const severity = (tierKey: string) => tierByKey(model.tiers, tierKey)!.severity;
const applied = (day: ReturnType<typeof simulateDailyScoring>[number], name: string) =>
  day.result.penalties.some((p) => p.name === name && p.applied);

/** `users` people, each with three events on the days `comes(day, user)` says yes, on one of five features. */
function team(users: number, comes: (day: number, user: number) => boolean): ActivityLog {
  return peopleActivity(DAYS, users, 5, (day, user) => (comes(day, user) ? 3 : 0));
}

/** Eight daily users; from CHANGE_DAY six of them leave, one a day, and two keep coming every day. */
const champions = team(8, (day, user) => user < 2 || day < CHANGE_DAY + user - 2);

const withoutWeeklyFlag: ScoringModelConfig = {
  ...model,
  penalties: model.penalties!.filter((p) => p.name !== 'team_shrinking_this_week'),
};

describe("the team's people leaving over a week (default model, daily scoring)", () => {
  it('takes the account out of "healthy" within a week of the last one leaving, days before the fortnight does', () => {
    const scored = (config: ScoringModelConfig) => simulateDailyScoring(config, champions, { days: DAYS, scoringHour: 24 });
    const first = (days: ReturnType<typeof scored>, worstFrom: string) =>
      days.find((d) => d.day >= CHANGE_DAY && severity(d.tierKey) >= severity(worstFrom))!.day;
    const [withFlag, without] = [scored(model), scored(withoutWeeklyFlag)];
    const lastLeft = CHANGE_DAY + 5;
    const flaggedOn = withFlag.find((d) => applied(d, 'team_shrinking_this_week'))!.day;
    expect(flaggedOn - lastLeft).toBeLessThanOrEqual(7);
    expect(first(withFlag, 'monitor')).toBe(flaggedOn);
    // Without it the account stays healthy until the fortnight's flag, five days or more later.
    expect(first(without, 'monitor') - flaggedOn).toBeGreaterThanOrEqual(5);
    expect(first(withFlag, 'at_risk')).toBeLessThan(first(without, 'at_risk'));
  });

  it('counts the pattern once: the week flag lifts as the fortnight flag takes over, never both at once', () => {
    const days = simulateDailyScoring(model, champions, { days: DAYS, scoringHour: 24 }).filter((d) => d.day >= CHANGE_DAY);
    expect(days.filter((d) => applied(d, 'team_shrinking_this_week') && applied(d, 'team_shrinking'))).toEqual([]);
    // The account stays flagged by one or the other until the end.
    const from = days.findIndex((d) => applied(d, 'team_shrinking_this_week'));
    expect(from).toBeGreaterThanOrEqual(0);
    expect(days.slice(from).filter((d) => !applied(d, 'team_shrinking_this_week') && !applied(d, 'team_shrinking'))).toEqual([]);
  });

  it('leaves alone a team of occasional users, a few of whom come in any week', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const random = mulberry32(seed);
      const present = Array.from({ length: DAYS * 20 }, () => random() < 0.12);
      const days = simulateDailyScoring(
        model,
        team(20, (day, user) => present[day * 20 + user]),
        { days: DAYS, scoringHour: 24 },
      );
      expect(days.filter((d) => applied(d, 'team_shrinking_this_week')).map((d) => d.day)).toEqual([]);
    }
  });

  it('reads one thin week as a warning: a busy account with a mild sign goes to "monitor" on it, not "at risk"', () => {
    // Four of a team of five take the same week off; a lukewarm NPS answer (a 6) three weeks earlier is
    // the mild sign, which costs the NPS signal alone.
    const log = {
      ...team(5, (day, user) => user === 0 || day < 100 || day >= 107),
      npsResponses: [{ respondedAt: dayStart(80), score: 6 }],
    };
    const around = (config: ScoringModelConfig) =>
      simulateDailyScoring(config, log, { days: DAYS, scoringHour: 24 }).filter((d) => d.day >= 98 && d.day < 116);
    const thinDays = (config: ScoringModelConfig) => around(config).filter((d) => applied(d, 'team_shrinking_this_week'));
    const thin = thinDays(model);
    expect(thin.length).toBeGreaterThan(0);
    expect(thin.map((d) => d.tierKey)).toEqual(thin.map(() => 'monitor'));
    expect(around(model).filter((d) => severity(d.tierKey) >= severity('at_risk'))).toEqual([]);
    // The same week at the flag's earlier 45 points: the two together put the account at risk.
    const at45: ScoringModelConfig = {
      ...model,
      penalties: model.penalties!.map((p) => (p.name === 'team_shrinking_this_week' ? { ...p, points: 45 } : p)),
    };
    expect(thinDays(at45).map((d) => d.tierKey)).toContain('at_risk');
  });

  it('leaves alone a team of four whose members take a fortnight off one after another', () => {
    const away = (day: number, user: number) => day >= 60 + 14 * user && day < 74 + 14 * user;
    const days = simulateDailyScoring(
      model,
      team(4, (day, user) => !away(day, user)),
      { days: DAYS, scoringHour: 24 },
    );
    expect(days.filter((d) => severity(d.tierKey) >= severity('at_risk')).map((d) => d.day)).toEqual([]);
  });
});
