// A team away for three weeks while one of its people looks in once: the fortnight of that one day
// shows one person and one feature of the team's many, which is no team that shrank or narrowed. The
// team and feature signals are measured only in a week the team used the product on 30 % or more of
// its usual days (a fifteenth outside population: such an account was at risk on them alone, with no
// red flag, bench/README.md, session 66). Its silence is the silence signal's, as a week nobody came;
// the usage trends still read the week's few days as the decline they would be if the team stayed.
import { DEFAULT_SCORING_MODEL } from '../../../src/scoring/model';
import type { ActivityLog } from '../../../src/scoring/model';
import { dayStart, simulateDailyScoring } from './daily-simulation';

const model = DEFAULT_SCORING_MODEL;
const DAYS = 150;
const AWAY = { from: 110, to: 131 };
const PEOPLE = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const FEATURES = ['reports', 'alerts', 'exports', 'dashboards'];
const at = (day: number, hour: number) => new Date(dayStart(day).getTime() + hour * 3_600_000);

function team(glanceOn: number | null, leaveFrom: number | null = null): ActivityLog {
  const engagementEvents: ActivityLog['engagementEvents'] = [];
  for (let day = 0; day < DAYS; day++) {
    const away = day >= AWAY.from && day < AWAY.to;
    const people = day === glanceOn ? ['u0'] : away ? [] : leaveFrom !== null && day >= leaveFrom ? ['u0'] : PEOPLE;
    people.forEach((userId, n) =>
      FEATURES.slice(0, day === glanceOn ? 1 : FEATURES.length).forEach((feature, k) =>
        engagementEvents.push({ occurredAt: at(day, 8 + n + k / 10), eventType: 'feature_used', feature, userId }),
      ),
    );
  }
  return { engagementEvents };
}

describe('a team away three weeks (default model)', () => {
  it('has its team and features measured on no day after one person looked in once', () => {
    const glance = AWAY.from + 10;
    const days = simulateDailyScoring(model, team(glance), { days: AWAY.to, scoringHour: 23 }).filter((d) => d.day >= glance);
    const measured = days.flatMap((d) =>
      d.result.signals
        .filter((s) => (s.name === 'active_users_trend' || s.name === 'feature_breadth_trend') && (s.rawValue !== null || s.value !== 0.75))
        .map((s) => [d.day, s.name, s.rawValue]),
    );
    expect(measured).toEqual([]);
  });

  it('still sees a team that left with one person coming every day', () => {
    const days = simulateDailyScoring(model, team(null, 110), { days: 135, scoringHour: 23 }).filter((d) => d.day >= 110);
    const users = days.map((d) => d.result.signals.find((s) => s.name === 'active_users_trend')!);
    expect(users.some((s) => s.rawValue !== null && s.value! < 0.2)).toBe(true);
  });
});
