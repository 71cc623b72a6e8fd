// Angry NPS answers are a warning while they are recent: a busy daily account two of whose users gave
// one is flagged for the following weeks, and no longer three months on, while the answers still count
// in the NPS signal (one angry answer costs the detractor flag alone: see default-model.test.ts). Simulated without a database, scored daily by the default model.
import { DEFAULT_SCORING_MODEL } from '../../../src/scoring/model';
import { activityCalendar, dayStart, simulateDailyScoring } from './daily-simulation';

const ANSWER_DAY = 60;
const DETRACTOR_FLAGS = ['detractor_penalty', 'angry_detractor'];

it('flags a busy account for two angry answers for three months, not six', () => {
  const activity = {
    ...activityCalendar(260, () => true),
    npsResponses: [2, 3].map((score, i) => ({ score, respondedAt: new Date(dayStart(ANSWER_DAY).getTime() + (10 + i) * 3_600_000) })),
  };
  const days = simulateDailyScoring(DEFAULT_SCORING_MODEL, activity, { days: 260, scoringHour: 23 });
  const flagged = (day: number) =>
    days[day].result.penalties.filter((penalty) => penalty.applied && DETRACTOR_FLAGS.includes(penalty.name)).map((p) => p.name);
  // The weeks after the answers: both flags, and the account is no longer healthy.
  for (const day of [ANSWER_DAY + 1, ANSWER_DAY + 30, ANSWER_DAY + 85]) {
    expect([day, flagged(day)]).toEqual([day, DETRACTOR_FLAGS]);
    expect([day, days[day].tierKey]).not.toEqual([day, 'healthy']);
  }
  // Three months on: neither flag, healthy again, though the NPS signal still reads the answers.
  for (const day of [ANSWER_DAY + 95, ANSWER_DAY + 150]) {
    expect([day, flagged(day), days[day].tierKey]).toEqual([day, [], 'healthy']);
    const nps = days[day].result.signals.find((signal) => signal.name === 'nps');
    expect([day, nps?.rawValue]).toEqual([day, -100]);
  }
});
