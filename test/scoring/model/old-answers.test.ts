// An angry NPS answer is a warning while it is recent: a busy daily account that gave one is flagged
// for the following weeks, and no longer two months on, while the answer still counts in the NPS
// signal. Simulated without a database, scored daily by the default model.
import { DEFAULT_SCORING_MODEL } from '../../../src/scoring/model';
import { activityCalendar, dayStart, simulateDailyScoring } from './daily-simulation';

const ANSWER_DAY = 60;
const DETRACTOR_FLAGS = ['detractor_penalty', 'angry_detractor'];

it('flags a busy account for an angry answer for two months, not three or six', () => {
  const activity = {
    ...activityCalendar(260, () => true),
    npsResponses: [{ score: 2, respondedAt: new Date(dayStart(ANSWER_DAY).getTime() + 10 * 3_600_000) }],
  };
  const days = simulateDailyScoring(DEFAULT_SCORING_MODEL, activity, { days: 260, scoringHour: 23 });
  const flagged = (day: number) =>
    days[day].result.penalties.filter((penalty) => penalty.applied && DETRACTOR_FLAGS.includes(penalty.name)).map((p) => p.name);
  // The weeks after the answer: both flags, and the account is no longer healthy.
  for (const day of [ANSWER_DAY + 1, ANSWER_DAY + 30, ANSWER_DAY + 58]) {
    expect([day, flagged(day)]).toEqual([day, DETRACTOR_FLAGS]);
    expect([day, days[day].tierKey]).not.toEqual([day, 'healthy']);
  }
  // Two months on: neither flag, healthy again, though the NPS signal still reads the answer.
  for (const day of [ANSWER_DAY + 65, ANSWER_DAY + 85, ANSWER_DAY + 150]) {
    expect([day, flagged(day), days[day].tierKey]).toEqual([day, [], 'healthy']);
    const nps = days[day].result.signals.find((signal) => signal.name === 'nps');
    expect([day, nps?.rawValue]).toEqual([day, -100]);
  }
});

it('reads a recent angry answer undiluted by a kind one from months before', () => {
  // A 10 given 65 days before the day scored, then a 3 given 35 days before it: over 90 days, weighted
  // by recency, the two read as a mean of about 5 and an NPS of about −35, neither angry nor a detractor.
  const scoredDay = 150;
  const answer = (daysBefore: number, score: number) => ({
    score,
    respondedAt: new Date(dayStart(scoredDay - daysBefore).getTime() + 10 * 3_600_000),
  });
  const activity = { ...activityCalendar(scoredDay + 1, () => true), npsResponses: [answer(65, 10), answer(35, 3)] };
  const days = simulateDailyScoring(DEFAULT_SCORING_MODEL, activity, { days: scoredDay + 1, scoringHour: 23 });
  const applied = days[scoredDay].result.penalties.filter((penalty) => penalty.applied).map((penalty) => penalty.name);
  expect(applied).toEqual(DETRACTOR_FLAGS);
  expect(days[scoredDay].tierKey).not.toBe('healthy');
});
