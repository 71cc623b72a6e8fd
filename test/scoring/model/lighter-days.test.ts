// A busy account whose team still comes every day but does half as much on each: the pattern the
// usage flags miss (its days do not halve, and its events against a baseline that holds the recent
// weeks read 0.6 at most). Simulated without a database, scored daily by the default model.
import { mulberry32 } from '../../../src/demo/seeded-random';
import { DEFAULT_SCORING_MODEL, tierByKey } from '../../../src/scoring/model';
import type { ActivityLog } from '../../../src/scoring/model';
import { dayStart, peopleActivity, simulateDailyScoring } from './daily-simulation';

const model = DEFAULT_SCORING_MODEL;
const CHANGE_DAY = 100;
const DAYS = 160;
const severity = (tierKey: string) => tierByKey(model.tiers, tierKey)!.severity;

/**
 * Five users on each day `isActive` says yes, each with `eventsOn(day)` events on one of six
 * features; with `comes`, only the users it says come that day.
 */
function busyAccount(
  isActive: (day: number) => boolean,
  eventsOn: (day: number) => number,
  comes: (day: number, user: number) => boolean = () => true,
): ActivityLog {
  return peopleActivity(DAYS, 5, 6, (day, user) => (isActive(day) && comes(day, user) ? eventsOn(day) : 0));
}

const lighterDays = (day: ReturnType<typeof simulateDailyScoring>[number]) => day.result.penalties.find((p) => p.name === 'lighter_days')!;

describe('lighter days of use (default model, daily scoring)', () => {
  it('drops an account whose days of use hold half their events within three weeks, out of "healthy" on that flag, and no further than "monitor"', () => {
    const days = simulateDailyScoring(
      model,
      busyAccount(
        () => true,
        (day) => (day < CHANGE_DAY ? 4 : 2),
      ),
      { days: DAYS, scoringHour: 24 },
    );
    const before = days[CHANGE_DAY - 1];
    expect(before.tierKey).toBe('healthy');
    // The flag's first day: a drop the score-drop playbook reports.
    const first = days.find((d) => d.day >= CHANGE_DAY && lighterDays(d).applied)!;
    expect(first.day - CHANGE_DAY).toBeLessThanOrEqual(21);
    expect(lighterDays(first)).toMatchObject({ applied: true, points: 25 });
    expect(before.score - first.score).toBeGreaterThanOrEqual(model.scoreDrop.points);
    // Out of "healthy" within three weeks, for two weeks or more: without the flag's points, not on its first day out.
    const lowered = days.filter((d) => d.day >= CHANGE_DAY && d.tierKey !== 'healthy');
    expect(lowered.length).toBeGreaterThanOrEqual(14);
    expect(lowered[0].day - CHANGE_DAY).toBeLessThanOrEqual(21);
    expect(lighterDays(lowered[0]).applied).toBe(true);
    expect(lowered[0].score + 25).toBeGreaterThanOrEqual(70);
    // A team doing less on each day, not enough on its own for the worklist.
    expect(days.filter((d) => d.day >= CHANGE_DAY && severity(d.tierKey) >= severity('at_risk'))).toEqual([]);
  });

  it('leaves it alone when it comes on half its days, each as busy as before', () => {
    const days = simulateDailyScoring(
      model,
      busyAccount(
        (day) => day < CHANGE_DAY || day % 2 === 0,
        () => 4,
      ),
      { days: DAYS, scoringHour: 24 },
    );
    expect(days.filter((d) => lighterDays(d).applied)).toEqual([]);
  });

  it('leaves alone a quiet month whose people come a third as often, most of them still in any fortnight', () => {
    // A seasonal business: for 30 days each user comes one day in three, then as before. Its days of
    // use hold fewer events (fewer people on each), which is not a team doing less on each day.
    for (let seed = 1; seed <= 3; seed++) {
      const random = mulberry32(seed);
      const present = Array.from({ length: DAYS * 5 }, () => random() < 1 / 3);
      const days = simulateDailyScoring(
        model,
        busyAccount(
          () => true,
          () => 4,
          (day, user) => day < CHANGE_DAY || day >= CHANGE_DAY + 30 || present[day * 5 + user],
        ),
        { days: DAYS, scoringHour: 24 },
      );
      const quiet = days.filter((d) => d.day >= CHANGE_DAY && d.day < CHANGE_DAY + 30);
      // Its days read lighter: the flag's own metric is below its threshold on days of the month.
      expect(quiet.filter((d) => lighterDays(d).rawValue !== null && lighterDays(d).rawValue! < 0.6).length).toBeGreaterThan(5);
      expect(days.filter((d) => lighterDays(d).applied).map((d) => d.day)).toEqual([]);
    }
  });

  it('never raises it on an account that comes on random days with a random number of events', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const random = mulberry32(seed);
      const active = Array.from({ length: DAYS }, () => random() < 0.6);
      const events = Array.from({ length: DAYS }, () => 1 + Math.floor(random() * 6));
      const days = simulateDailyScoring(
        model,
        busyAccount(
          (day) => active[day],
          (day) => events[day],
        ),
        { days: DAYS, scoringHour: 24 },
      );
      expect(days.filter((d) => lighterDays(d).applied).map((d) => d.day)).toEqual([]);
    }
  });
});

describe('lighter days of use and one exceptional day', () => {
  it('leaves a steady daily account alone after one day of thousands of events (an import, a scripted sync)', () => {
    const days = simulateDailyScoring(
      model,
      busyAccount(
        () => true,
        (day) => (day === CHANGE_DAY - 30 ? 1000 : 4),
      ),
      { days: DAYS, scoringHour: 24 },
    );
    expect(days.filter((d) => lighterDays(d).applied).map((d) => d.day)).toEqual([]);
    expect(days.filter((d) => d.day >= CHANGE_DAY - 60 && d.tierKey !== 'healthy').map((d) => d.day)).toEqual([]);
  });
});

describe('lighter days of use and the days that are not the usual ones', () => {
  it('leaves alone an account with a day of thousands of events every month (a monthly sync)', () => {
    const days = simulateDailyScoring(
      model,
      busyAccount(
        () => true,
        (day) => (day % 30 === 10 ? 1000 : 4),
      ),
      { days: DAYS, scoringHour: 24 },
    );
    expect(days.filter((d) => lighterDays(d).applied).map((d) => d.day)).toEqual([]);
  });

  it('leaves alone a weekday account whose team starts taking a quick look at weekends (more use, not lighter days)', () => {
    const weekend = (day: number) => [0, 6].includes(dayStart(day).getUTCDay());
    const account = busyAccount(
      (day) => !weekend(day),
      () => 4,
    );
    for (let day = CHANGE_DAY; day < DAYS; day++)
      if (weekend(day))
        account.engagementEvents.push({ occurredAt: new Date(dayStart(day).getTime() + 10 * 3_600_000), eventType: 'login', userId: 'u0' });
    const days = simulateDailyScoring(model, account, { days: DAYS, scoringHour: 24 });
    expect(days.filter((d) => lighterDays(d).applied).map((d) => d.day)).toEqual([]);
    expect(days.filter((d) => d.day >= CHANGE_DAY - 30 && d.tierKey !== 'healthy').map((d) => d.day)).toEqual([]);
  });
});
