// An angry NPS answer is a warning while it is recent. One answer of 0–4 costs a busy daily account
// the detractor flag, 30 points with the NPS signal, and leaves it out of the two worst tiers (healthy
// accounts give one now and then); two put it at risk for the following weeks, and no longer two
// months on, while the answers still count in the NPS signal. Simulated without a database, scored
// daily by the default model.
import { DEFAULT_SCORING_MODEL } from '../../../src/scoring/model';
import { activityCalendar, dayStart, simulateDailyScoring } from './daily-simulation';

const ANSWER_DAY = 60;
const DETRACTOR_FLAGS = ['detractor_penalty', 'angry_detractor'];

/** An answer given at 10:00 UTC on `day`, by `respondent`. */
const answerOn = (day: number, score: number, respondent: string) => ({
  score,
  respondent,
  respondedAt: new Date(dayStart(day).getTime() + 10 * 3_600_000),
});

/** A busy daily account's daily scores over 260 days, with these answers. */
function scoredDaily(npsResponses: Array<ReturnType<typeof answerOn>>) {
  const activity = { ...activityCalendar(260, () => true), npsResponses };
  const days = simulateDailyScoring(DEFAULT_SCORING_MODEL, activity, { days: 260, scoringHour: 23 });
  const flagged = (day: number) =>
    days[day].result.penalties.filter((penalty) => penalty.applied && DETRACTOR_FLAGS.includes(penalty.name)).map((p) => p.name);
  return { days, flagged };
}

it('costs a busy account that gave one angry answer the detractor flag, not the angry one: no bad tier', () => {
  const { days, flagged } = scoredDaily([answerOn(ANSWER_DAY, 2, 'u1')]);
  for (const day of [ANSWER_DAY + 1, ANSWER_DAY + 30, ANSWER_DAY + 58]) {
    // 30 points down from 97 (the flag and the NPS signal): a drop the score-drop playbook reports,
    // in neither of the two worst tiers (monitor: 70 − 2 of hysteresis no longer holds it healthy).
    expect([day, flagged(day), days[day].result.score, days[day].tierKey]).toEqual([day, ['detractor_penalty'], 67, 'monitor']);
    // Held back by its condition of two angry answers, which the score explains.
    const angry = days[day].result.penalties.find((penalty) => penalty.name === 'angry_detractor');
    expect([day, angry?.heldBack, angry?.heldBackBy]).toEqual([day, true, [{ condition: 0, value: 1 }]]);
  }
  expect(days[ANSWER_DAY - 1].result.score).toBe(97);
});

it('flags a busy account for two angry answers for two months, not three or six', () => {
  const { days, flagged } = scoredDaily([answerOn(ANSWER_DAY - 6, 3, 'u2'), answerOn(ANSWER_DAY, 2, 'u1')]);
  // The weeks after the second answer: both flags, and the account is at risk.
  for (const day of [ANSWER_DAY + 1, ANSWER_DAY + 30, ANSWER_DAY + 50]) {
    expect([day, flagged(day), days[day].tierKey]).toEqual([day, DETRACTOR_FLAGS, 'at_risk']);
  }
  // Two months on: neither flag, healthy again, though the NPS signal still reads the answers.
  for (const day of [ANSWER_DAY + 65, ANSWER_DAY + 85, ANSWER_DAY + 150]) {
    expect([day, flagged(day), days[day].tierKey]).toEqual([day, [], 'healthy']);
    const nps = days[day].result.signals.find((signal) => signal.name === 'nps');
    expect([day, nps?.rawValue]).toEqual([day, -100]);
  }
});

it('reads a recent angry answer undiluted by a kind one from months before', () => {
  // A 10 given 65 days before the day scored, then a 3 given 35 days before it: over 90 days, weighted
  // by recency, the two read as a mean of about 5 and an NPS of about −35, not a detractor. The flags
  // read 60 days: the 3 alone, a detractor (its one angry answer holds the angry flag back).
  const scoredDay = 150;
  const { days } = scoredDaily([answerOn(scoredDay - 65, 10, 'u1'), answerOn(scoredDay - 35, 3, 'u2')]);
  const penalty = (name: string) => days[scoredDay].result.penalties.find((p) => p.name === name);
  expect([penalty('detractor_penalty')?.applied, penalty('detractor_penalty')?.rawValue]).toEqual([true, -100]);
  expect([penalty('angry_detractor')?.rawValue, penalty('angry_detractor')?.heldBack]).toEqual([3, true]);
  expect(days[scoredDay].result.score).toBeLessThan(70);
});
