// Accounts used weekly, fortnightly or monthly that stop coming: the lifecycle writes them off as
// churned after lifecycle.churnWindowDays (60) of silence, and fourteen of their usual gaps
// (long_silence) are longer than that. The `lapsing` flag puts them at risk, and on the worklist,
// before they are written off: at 45 days of silence for two usual gaps or more, and whatever the
// gaps a week before the churn window (53 days), since two gaps of a rhythm of 30 days or more are
// the churn window or longer. A rare account's ordinary gap is no flag, nor is a monthly account's
// skipped visit: 45 days are one and a half of its gaps.
import { DEFAULT_SCORING_MODEL, tierByKey } from '../../../src/scoring/model';
import { activityCalendar, simulateDailyScoring } from './daily-simulation';

const model = DEFAULT_SCORING_MODEL;
const severity = (tierKey: string) => tierByKey(model.tiers, tierKey)!.severity;
const AT_RISK = severity('at_risk');

/** Whether an account used every `gapDays` days (a fraction spreads its gaps: 3.5 alternates 3 and 4) is in use on `day`. */
const usedEvery = (gapDays: number) => (day: number) => day === 0 || Math.floor(day / gapDays) !== Math.floor((day - 1) / gapDays);

/**
 * An account in use every `gapDays` days up to `lastDay` (its rhythm counted back from it, so its
 * last gap is a usual one), then silent, scored nightly until it is churned.
 */
function lapsingAccount(gapDays: number, lastDay = 196) {
  const activity = activityCalendar(lastDay + 1, (day) => usedEvery(gapDays)(lastDay - day));
  const days = simulateDailyScoring(model, activity, { days: lastDay + 62, scoringHour: 24 });
  return days.filter((d) => d.day >= lastDay).map((d) => ({ ...d, silentDays: d.day - lastDay }));
}

const lapsingApplied = (d: ReturnType<typeof lapsingAccount>[number]) => d.result.penalties.some((p) => p.applied && p.name === 'lapsing');

describe('an account with a rare rhythm that stops coming (default model)', () => {
  it.each([
    ['weekly', 7, 46],
    ['fortnightly', 14, 46],
    ['monthly', 30, 53],
    ['35-day', 35, 53],
  ])('puts a %s account at risk, with its tier playbook, a week before the lifecycle churns it', (_, gapDays, byDays) => {
    const days = lapsingAccount(gapDays);
    const flagged = days.find((d) => severity(d.tierKey) >= AT_RISK);
    expect(flagged).toBeDefined();
    expect(flagged!.silentDays).toBeLessThanOrEqual(byDays);
    expect(flagged!.lifecycleStage).toBe('AT_RISK');
    expect(flagged!.result.penalties.filter((p) => p.applied).map((p) => p.name)).toContain('lapsing');
    // The tier's playbook runs: the CSM hears of it, where before the account left without an alert.
    expect(flagged!.actions.some((a) => a.playbook === flagged!.tierKey && a.status === 'DECIDED')).toBe(true);
    // Still at risk up to the day the lifecycle writes it off.
    const lastBeforeChurn = days.filter((d) => d.lifecycleStage !== 'CHURNED').at(-1)!;
    expect(lastBeforeChurn.silentDays).toBeGreaterThanOrEqual(59);
    expect(days.filter((d) => d.silentDays >= flagged!.silentDays && d.lifecycleStage !== 'CHURNED').every(lapsingApplied)).toBe(true);
    expect(severity(lastBeforeChurn.tierKey)).toBeGreaterThanOrEqual(AT_RISK);
  });

  it.each([
    ['weekly', 7],
    ['fortnightly', 14],
    ['monthly', 30],
    ['35-day', 35],
  ])('does not flag a %s account for its usual gaps, nor for a silence under 45 days', (_, gapDays) => {
    const days = lapsingAccount(gapDays);
    expect(days.filter((d) => d.silentDays < 45).some(lapsingApplied)).toBe(false);
    const steady = simulateDailyScoring(model, activityCalendar(240, usedEvery(gapDays)), { days: 240, scoringHour: 24 });
    expect(steady.filter((d) => d.day >= 90).some((d) => d.result.penalties.some((p) => p.applied && p.name === 'lapsing'))).toBe(false);
  });

  it('flags a monthly account that stops coming a week before the churn window, not at 45 days (one and a half of its gaps, a skipped visit)', () => {
    const days = lapsingAccount(30);
    const lapsingDays = days.filter(lapsingApplied).map((d) => d.silentDays);
    expect(lapsingDays.length).toBeGreaterThan(0);
    expect(Math.min(...lapsingDays)).toBeGreaterThanOrEqual(53);
    expect(Math.min(...lapsingDays)).toBeLessThan(60);
  });

  // Between daily and weekly, long_silence's fourteen usual gaps fall within the same weeks as
  // lapsing's 45 days, and its reading of the gap steps back and forth as the window slides: the two
  // flags add up where both hold, so the score may step back a few points within the worst tier,
  // never out of it, and never by a score drop's worth.
  it.each([1, 3, 3.5, 4, 4.3, 5])(
    "lets no account used every %s days climb back a tier, or a score drop's worth, as its silence deepens past 45 days",
    (gapDays) => {
      const days = lapsingAccount(gapDays, 196).filter((d) => d.silentDays >= 45 && d.lifecycleStage !== 'CHURNED');
      expect(days.length).toBeGreaterThan(10);
      for (const [before, after] of days.slice(0, -1).map((d, i) => [d, days[i + 1]] as const)) {
        expect(severity(after.tierKey)).toBeGreaterThanOrEqual(severity(before.tierKey));
        expect(after.score - before.score).toBeLessThan(model.scoreDrop.points);
      }
      expect(days.every(lapsingApplied)).toBe(true);
    },
  );
});
