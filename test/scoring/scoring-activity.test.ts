// Work that yields to scoring (delivery sends) waits for the scorings running in this process, and
// no longer than it said it would.
import { scoringSettled, whileScoring } from '../../src/scoring/scoring-activity';

const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Orders of events, not wall-clock times: the machine running the tests may be slow.
it('resolves at once when nothing is scoring', async () => {
  const first = await Promise.race([scoringSettled(5000).then(() => 'settled'), later(1000).then(() => 'waited')]);
  expect(first).toBe('settled');
});

it('resolves when the last scoring running settles, failed ones included', async () => {
  let settled = false;
  const first = whileScoring(() => later(100));
  // The second fails when the test says so, not at a time a loaded machine may overshoot.
  let failSecond!: (error: Error) => void;
  const second = whileScoring(() => new Promise<void>((_resolve, reject) => (failSecond = reject)));
  const waiting = scoringSettled(5000).then(() => (settled = true));
  await first;
  await later(20);
  expect(settled).toBe(false);
  failSecond(new Error('scoring failed'));
  await expect(second).rejects.toThrow('scoring failed');
  await waiting;
  expect(settled).toBe(true);
});

it('waits no longer than asked', async () => {
  let scoringDone = false;
  const scoring = whileScoring(() => later(2000)).then(() => (scoringDone = true));
  await scoringSettled(100);
  expect(scoringDone).toBe(false);
  await scoring;
});
