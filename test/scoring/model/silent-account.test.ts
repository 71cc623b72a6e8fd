// THE SILENT-ACCOUNT PROMISE, simulated without a database: metrics are derived day by day from a
// synthetic event calendar exactly as the SQL aggregates define them, then scored with the default
// model, tiered with hysteresis and run through the playbook decisions.
import { DEFAULT_SCORING_MODEL, tierByKey } from '../../../src/scoring/model';
import type { ActivityLog } from '../../../src/scoring/model';
import { activityCalendar, dayStart, isWeekday, simulateDailyScoring } from './daily-simulation';

const model = DEFAULT_SCORING_MODEL;
const LAST_ACTIVE_DAY = 59; // active on days 0…59 (60 days), silent from day 60
const severity = (tierKey: string) => tierByKey(model.tiers, tierKey)!.severity;

// 24 = a nightly run after the day ends; the others show the promise does not depend on the hour.
const SCORING_HOURS = [24, 3, 9, 16.9, 17.1, 21];

describe('the silent-account promise (default model, daily scoring)', () => {
  const silentAccount = (scoringHour: number) =>
    simulateDailyScoring(
      model,
      activityCalendar(LAST_ACTIVE_DAY + 1, () => true),
      { days: 125, scoringHour },
    );
  const weekdayAccount = (scoringHour: number) => simulateDailyScoring(model, activityCalendar(120, isWeekday), { days: 120, scoringHour });

  it('scores an engagement-only daily account healthy, with NPS left out rather than capping it', () => {
    const lastActive = silentAccount(24)[LAST_ACTIVE_DAY];
    expect(lastActive.tierKey).toBe('healthy');
    expect(lastActive.score).toBeGreaterThanOrEqual(75);
    expect(lastActive.result.components.filter((c) => c.score === null).map((c) => c.name)).toEqual(['nps']);
  });

  it.each(SCORING_HOURS)(
    'drops a daily account that goes silent by at least one tier within 7 days of its last activity (scoring at %sh)',
    (hour) => {
      const days = silentAccount(hour);
      const before = days[LAST_ACTIVE_DAY];
      expect(before.tierKey).toBe('healthy');
      const firstDrop = days.find((d) => d.day > LAST_ACTIVE_DAY && severity(d.tierKey) > severity(before.tierKey));
      expect(firstDrop).toBeDefined();
      expect(firstDrop!.daysSinceLastActivity!).toBeLessThan(7);
    },
  );

  // "Active daily" as real accounts are: one missed day in ten makes the usual gap about 1.1 days,
  // and seven quiet days read as six and a bit of them. The drop must not wait for an eighth day.
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('keeps the promise for an account active on about nine days in ten (calendar %i)', (calendar) => {
    let state = calendar * 7919;
    const missed = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32 < 0.1;
    const active = Array.from({ length: LAST_ACTIVE_DAY + 1 }, (_, day) => day === LAST_ACTIVE_DAY || !missed());
    const days = simulateDailyScoring(
      model,
      activityCalendar(LAST_ACTIVE_DAY + 1, (day) => active[day]),
      { days: LAST_ACTIVE_DAY + 10, scoringHour: 24 },
    );
    const before = days[LAST_ACTIVE_DAY];
    const firstDrop = days.find((d) => d.day > LAST_ACTIVE_DAY && severity(d.tierKey) > severity(before.tierKey));
    expect([calendar, firstDrop?.daysSinceLastActivity]).toEqual([calendar, expect.any(Number)]);
    expect(firstDrop!.daysSinceLastActivity!).toBeLessThan(7);
  });

  // A young account's rhythm is measured over the days it has been in use, not over the whole
  // 60-day window: counted from before it began, a daily account's usual gap read longer than a day.
  it.each([7, 14, 30, 45])('keeps the promise for a daily account in use for only %i days', (daysInUse) => {
    for (const hour of [24, 9]) {
      const days = simulateDailyScoring(
        model,
        activityCalendar(daysInUse, () => true),
        { days: daysInUse + 10, scoringHour: hour },
      );
      const before = days[daysInUse - 1];
      const firstDrop = days.find((d) => d.day >= daysInUse && severity(d.tierKey) > severity(before.tierKey));
      expect([hour, firstDrop?.daysSinceLastActivity]).toEqual([hour, expect.any(Number)]);
      expect(firstDrop!.daysSinceLastActivity!).toBeLessThan(7);
    }
  });

  it('raises a silence alert for the team on the 6th day after the last activity, not before', () => {
    const days = silentAccount(24);
    const silenceAlerts = days.filter((d) => d.actions.some((a) => a.playbook === 'silence'));
    expect(silenceAlerts[0].day).toBe(LAST_ACTIVE_DAY + 6);
    expect(silenceAlerts[0].actions.find((a) => a.playbook === 'silence')).toMatchObject({
      action: 'csm_alert',
      audience: 'TEAM',
      trigger: 'SILENCE',
      status: 'DECIDED',
    });
  });

  it.each(SCORING_HOURS)(
    'raises the silence alert at the first scoring after 6 full days of silence, so within 7 days (scoring at %sh)',
    (hour) => {
      const days = silentAccount(hour);
      const firstAlert = days.find((d) => d.actions.some((a) => a.playbook === 'silence' && a.status === 'DECIDED'));
      const firstScoringAfterSixDays = days.find((d) => d.daysSinceLastActivity! >= 6);
      expect(firstAlert?.day).toBe(firstScoringAfterSixDays?.day);
      expect(firstAlert!.daysSinceLastActivity!).toBeLessThan(7);
    },
  );

  it('keeps declining while silent, reaches the worst tier, and leaves the outreach loop once churned', () => {
    const days = silentAccount(24);
    expect(days[LAST_ACTIVE_DAY + 30].tierKey).toBe('critical');
    const churned = days.filter((d) => d.lifecycleStage === 'CHURNED');
    expect(churned[0].day).toBe(LAST_ACTIVE_DAY + 60);
    expect(churned.every((d) => d.actions.length === 0)).toBe(true);
  });

  it.each(SCORING_HOURS)('keeps a weekday-only account in its tier with no alert, weekends included (scoring at %sh)', (hour) => {
    // From the end of onboarding (day 30) to day 119: the 60 days after the silent account's
    // 60-day history, and the month before. A steady account is a candidate for the expansion play,
    // nothing else.
    const observed = weekdayAccount(hour).slice(30);
    expect(new Set(observed.map((d) => d.tierKey))).toEqual(new Set(['healthy']));
    expect(observed.flatMap((d) => d.actions).filter((a) => a.playbook !== 'expansion')).toEqual([]);
    // The weekend gap is visible, but small: it never gets near the 68 needed to leave healthy.
    expect(Math.min(...observed.map((d) => d.score))).toBeGreaterThanOrEqual(75);
  });

  it('separates the two accounts only by what happens after day 59', () => {
    const silent = silentAccount(24);
    const weekday = weekdayAccount(24);
    expect(silent[LAST_ACTIVE_DAY].tierKey).toBe(weekday[LAST_ACTIVE_DAY].tierKey);
    expect(silent[LAST_ACTIVE_DAY + 7].tierKey).not.toBe(weekday[LAST_ACTIVE_DAY + 7].tierKey);
  });
});

describe('an account back from a holiday (default model, daily scoring)', () => {
  // Used from day 0; away for `weeks` from day 90; scored daily until three weeks after its return.
  const backFromHoliday = (isUsual: (day: number) => boolean, weeks: number) => {
    const away = (day: number) => day >= 90 && day < 90 + 7 * weeks;
    const days = 90 + 7 * weeks + 21;
    return {
      returnDay: 90 + 7 * weeks,
      scored: simulateDailyScoring(
        model,
        activityCalendar(days, (d) => isUsual(d) && !away(d)),
        { days, scoringHour: 24 },
      ),
    };
  };

  it.each([
    ['daily', 2],
    ['daily', 3],
    ['weekday', 2],
    ['weekday', 3],
  ] as const)('is not flagged for halved use once a %s account is back from %i weeks away', (kind, weeks) => {
    const { returnDay, scored } = backFromHoliday(kind === 'daily' ? () => true : isWeekday, weeks);
    const afterReturn = scored.filter((d) => d.day >= returnDay);
    const halvedFlags = afterReturn.flatMap((d) =>
      d.result.penalties
        .filter((p) => p.applied && ['usage_halved', 'activity_halved'].includes(p.name))
        .map((p) => `${p.name} on day ${d.day}`),
    );
    expect(halvedFlags).toEqual([]);
  });
});

describe('an account away on holiday (default model, daily scoring)', () => {
  // Day 90 is a Sunday: a weekday account away for 22 days leaves on Friday 88 and is back on Monday
  // 112, three weeks away with the weekends either side (23 days and a few hours without use).
  it.each([
    ['daily', 10],
    ['daily', 13],
    ['daily', 16],
    ['daily', 21],
    ['weekday', 16],
    ['weekday', 22],
  ] as const)('drops a %s account away for %i days to monitor, and no further', (kind, awayDays) => {
    const days = 90 + awayDays + 21;
    const isUsual = kind === 'daily' ? () => true : isWeekday;
    const scored = simulateDailyScoring(
      model,
      activityCalendar(days, (d) => isUsual(d) && (d < 90 || d >= 90 + awayDays)),
      { days, scoringHour: 24 },
    );
    const away = scored.filter((d) => d.day >= 90 && d.day < 90 + awayDays);
    expect(away.some((d) => d.tierKey === 'monitor')).toBe(true);
    // A silence of a holiday's length is the silence signal's alone: the usage trends are not
    // measured in a week with no use, and long_silence waits for fourteen usual gaps and 24 days.
    expect(away.filter((d) => severity(d.tierKey) > severity('monitor')).map((d) => `${d.tierKey} on day ${d.day}`)).toEqual([]);
  });

  // Twelve people who each come on two weekdays a week, each to their own two of eight features: any
  // one day shows a few of them. Away from Friday 88 to Monday 105.
  it('drops a team whose people come on different days to monitor for a fortnight away, and no further', () => {
    const team = (config: typeof model) => {
      const engagementEvents: ActivityLog['engagementEvents'] = [];
      for (let day = 0; day < 126; day++)
        for (let user = 0; user < 12; user++)
          if (isWeekday(day) && (day < 89 || day >= 105) && [user % 5, (user + 2) % 5].includes(day % 7))
            engagementEvents.push({
              occurredAt: new Date(dayStart(day).getTime() + (9 + (user % 8)) * 3_600_000),
              eventType: 'feature_used',
              feature: `f${(user + (day % 2)) % 8}`,
              userId: `u${user}`,
            });
      return simulateDailyScoring(config, { engagementEvents }, { days: 126, scoringHour: 24 }).filter((d) => d.day >= 89 && d.day < 105);
    };
    const away = team(model);
    expect(away.some((d) => d.tierKey === 'monitor')).toBe(true);
    expect(away.filter((d) => severity(d.tierKey) > severity('monitor')).map((d) => `${d.tierKey} on day ${d.day}`)).toEqual([]);
    // Measured on the fortnight that holds only the Friday before the silence, its team and features
    // read as a team gone.
    const unconditioned = {
      ...structuredClone(model),
      components: model.components.map((c) => ({
        ...c,
        signals: c.signals.map((g) =>
          ['active_users_trend', 'feature_breadth_trend'].includes(g.name) ? { ...g, onlyWhen: undefined } : g,
        ),
      })),
    };
    expect(team(unconditioned).some((d) => severity(d.tierKey) > severity('monitor'))).toBe(true);
  });

  // A daily team away from day 90 to day 105, one of them looking in on a day of each week away.
  it('raises no usage flag on a daily account away for 16 days with someone looking in once a week, and keeps it no worse than monitor once back', () => {
    const lookedIn = (config: typeof model) => {
      const activity = activityCalendar(134, (d) => d < 90 || d >= 106);
      for (const day of [93, 100])
        activity.engagementEvents.push({
          occurredAt: new Date(dayStart(day).getTime() + 10 * 3_600_000),
          eventType: 'login',
          userId: 'u1',
        });
      return simulateDailyScoring(config, activity, { days: 134, scoringHour: 24 }).filter((d) => d.day >= 90);
    };
    const usageFlagged = (days: ReturnType<typeof lookedIn>) =>
      days
        .filter((d) => d.result.penalties.some((p) => ['usage_halved', 'activity_halved'].includes(p.name) && p.applied))
        .map((d) => d.day);
    const worseThanMonitorOnceBack = (days: ReturnType<typeof lookedIn>) =>
      days.filter((d) => d.day >= 106 && severity(d.tierKey) > severity('monitor')).map((d) => `${d.tierKey} on day ${d.day}`);
    const days = lookedIn(model);
    expect(usageFlagged(days)).toEqual([]);
    expect(worseThanMonitorOnceBack(days)).toEqual([]);
    // Any day of the team counted as use: both flags raised in the second week away, and kept for weeks after the return.
    const anyDay = {
      ...structuredClone(model),
      penalties: model.penalties.map((p) =>
        ['usage_halved', 'activity_halved'].includes(p.name)
          ? {
              ...p,
              onlyWhen: p.onlyWhen!.map((c) =>
                c.metric === 'team_active_days_trend' && c.windowDays === 7 ? { ...c, threshold: 0.1, startOnly: undefined } : c,
              ),
            }
          : p,
      ),
    };
    expect(usageFlagged(lookedIn(anyDay)).filter((day) => day >= 106).length).toBeGreaterThan(7);
    expect(worseThanMonitorOnceBack(lookedIn(anyDay)).length).toBeGreaterThan(0);
  });

  // A silence longer than any holiday is a red flag, for a daily account as for a weekday-only one.
  const longSilence = (config: typeof model, isUsual: (day: number) => boolean) =>
    simulateDailyScoring(config, activityCalendar(90, isUsual), { days: 130, scoringHour: 24 }).filter((d) => d.day >= 90);
  const firstFlag = (days: ReturnType<typeof longSilence>) =>
    days.find((d) => d.result.penalties.some((p) => p.name === 'long_silence' && p.applied));

  it.each([
    ['daily', () => true],
    ['weekday', isWeekday],
  ] as const)('puts a %s account at risk with long_silence once it has been silent for 24 days', (_kind, isUsual) => {
    const days = longSilence(model, isUsual);
    const flag = firstFlag(days);
    expect(flag).toBeDefined();
    expect(flag!.daysSinceLastActivity!).toBeGreaterThanOrEqual(24);
    expect(flag!.daysSinceLastActivity!).toBeLessThan(25);
    expect(severity(flag!.tierKey)).toBeGreaterThan(severity('monitor'));
    // It stays flagged while the silence lasts.
    expect(
      days.filter((d) => d.day >= flag!.day && d.lifecycleStage !== 'CHURNED').every((d) => severity(d.tierKey) > severity('monitor')),
    ).toBe(true);
    // Fourteen usual gaps alone, without the 24 days, flag the daily account's second week of silence.
    const gapsOnly = {
      ...structuredClone(model),
      penalties: model.penalties.map((p) => (p.name === 'long_silence' ? { ...p, onlyWhen: undefined } : p)),
    };
    expect(firstFlag(longSilence(gapsOnly, isUsual))!.daysSinceLastActivity!).toBeLessThan(21);
  });
});

describe('an account whose use drops (default model, daily scoring)', () => {
  // Used daily from day 0; from day 90 on `keeps(day)` only; scored daily for seven weeks after.
  const dropsTo = (keeps: (day: number) => boolean) =>
    simulateDailyScoring(
      model,
      activityCalendar(140, (d) => d < 90 || keeps(d)),
      { days: 140, scoringHour: 24 },
    ).filter((d) => d.day >= 90);
  // Tier changes undone within three days: a tier that comes and goes.
  const flaps = (days: ReturnType<typeof dropsTo>) =>
    days.filter(
      (d, i) =>
        i > 0 && d.tierKey !== days[i - 1].tierKey && days.slice(i + 1, i + 4).some((later) => later.tierKey === days[i - 1].tierKey),
    ).length;
  const flagged = (days: ReturnType<typeof dropsTo>, name: string) =>
    days.filter((d) => d.result.penalties.some((p) => p.name === name && p.applied));

  it('flags an account now used every other day, whose three weeks read 0.6 at most against a baseline that holds them', () => {
    const days = dropsTo((d) => d % 2 === 0);
    const activity = flagged(days, 'activity_halved');
    expect(activity.length).toBeGreaterThan(0);
    // Three weeks of the new rhythm, less the week or so it takes the last week to read low enough.
    expect(activity[0].day - 90).toBeGreaterThanOrEqual(14);
    expect(activity[0].day - 90).toBeLessThanOrEqual(24);
    expect(severity(activity[0].tierKey)).toBeGreaterThan(severity('healthy'));
    // Its weeks of three and four days of use do not lift and raise the flags in turn.
    expect(flaps(days)).toBe(0);
  });

  it('settles in its tier once its use falls to one day in four, instead of changing tier with its weeks of one and two days', () => {
    const days = dropsTo((d) => d % 4 === 0);
    expect(flagged(days, 'activity_halved').length).toBeGreaterThan(20);
    expect(flaps(days)).toBe(0);
    // Without `startOnly`, the week up on the week before (two days of use against one) lifted both flags every few days.
    const asked = {
      ...structuredClone(model),
      penalties: model.penalties.map((p) => ({ ...p, onlyWhen: p.onlyWhen?.map((c) => ({ ...c, startOnly: false })) })),
    };
    const flapping = simulateDailyScoring(
      asked,
      activityCalendar(140, (d) => d < 90 || d % 4 === 0),
      { days: 140, scoringHour: 24 },
    );
    expect(flaps(flapping.filter((d) => d.day >= 90))).toBeGreaterThan(5);
  });
});
