// A team that stops coming while its integration's syncs run stays silent as its silence deepens:
// its rhythm is counted up to its last day, not over the days ending now, which the silence empties.
// Counted over those, a daily team read as run by its integration again about two months into its
// silence, and a weekly one weeks into it, before the silence had cost it a tier: its silence flags
// were lifted and its score recovered while nobody came.
import { DEFAULT_SCORING_MODEL, metricKey, metricsFromActivity, tierByKey } from '../../../src/scoring/model';
import { simulateDailyScoring, syncedAccount } from './daily-simulation';

const model = DEFAULT_SCORING_MODEL;
const severity = (tierKey: string) => tierByKey(model.tiers, tierKey)!.severity;
const AT_RISK = severity('at_risk');
/** The team's last day; its last event, at 11:01 then. */
const LAST_TEAM_DAY = 120;
const SILENT_DAYS = [20, 40, 58, 70];
const DAYS_SINCE = { metric: 'days_since_last_activity', windowDays: 60, key: metricKey('days_since_last_activity', 60) } as const;

/** The nightly scorings (at 20:00) `SILENT_DAYS` days after the team's last day, with the days since its last use then. */
function teamStops(teamComesOn: (day: number) => boolean) {
  const activity = syncedAccount(LAST_TEAM_DAY + 80, (day) => (day <= LAST_TEAM_DAY && teamComesOn(day) ? ['u1', 'u2'] : []));
  const days = simulateDailyScoring(model, activity, { days: LAST_TEAM_DAY + SILENT_DAYS.at(-1)! + 1, scoringHour: 20 });
  return SILENT_DAYS.map((silent) => {
    const scoring = days[LAST_TEAM_DAY + silent];
    return { silent, scoring, daysSince: metricsFromActivity(activity, [DAYS_SINCE], scoring.asOf)[DAYS_SINCE.key]! };
  });
}

describe.each([
  ['daily', () => true],
  // Tuesdays, the team's last day among them.
  ['weekly', (day: number) => day % 7 === LAST_TEAM_DAY % 7],
])('a %s team that stops while its integration syncs every day', (_, teamComesOn) => {
  let checkpoints: ReturnType<typeof teamStops>;
  beforeAll(() => {
    checkpoints = teamStops(teamComesOn);
  });

  it.each(SILENT_DAYS)('is read on its team silent for %s days, not on the sync of this morning', (silent) => {
    const { daysSince } = checkpoints.find((c) => c.silent === silent)!;
    expect(daysSince).toBeGreaterThan(silent);
    expect(daysSince).toBeLessThan(silent + 1);
  });

  it('does not recover as its silence deepens: its tier never improves, and it is at risk, lapsing, from the seventh week on', () => {
    const severities = checkpoints.map((c) => severity(c.scoring.tierKey));
    expect(severities).toEqual([...severities].sort((a, b) => a - b));
    const scores = checkpoints.map((c) => c.scoring.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const { scoring } of checkpoints.filter((c) => c.silent >= 58)) {
      expect(severity(scoring.tierKey)).toBeGreaterThanOrEqual(AT_RISK);
      expect(scoring.result.penalties.filter((p) => p.applied).map((p) => p.name)).toEqual(
        expect.arrayContaining(['lapsing', 'long_silence']),
      );
    }
  });
});
