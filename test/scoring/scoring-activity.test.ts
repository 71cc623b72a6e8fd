// Work that yields to scoring (delivery sends) waits for the scorings running in this process, and
// no longer than it said it would.
import { scoringSettled, whileScoring } from '../../src/scoring/scoring-activity';

const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

it('resolves at once when nothing is scoring', async () => {
  const started = Date.now();
  await scoringSettled(5000);
  expect(Date.now() - started).toBeLessThan(50);
});

it('resolves when the last scoring running settles, failed ones included', async () => {
  let settled = false;
  const first = whileScoring(() => later(100));
  const second = whileScoring(async () => {
    await later(200);
    throw new Error('scoring failed');
  });
  const waiting = scoringSettled(5000).then(() => (settled = true));
  await first;
  await later(20);
  expect(settled).toBe(false);
  await expect(second).rejects.toThrow('scoring failed');
  await waiting;
  expect(settled).toBe(true);
});

it('waits no longer than asked', async () => {
  const scoring = whileScoring(() => later(400));
  const started = Date.now();
  await scoringSettled(100);
  expect(Date.now() - started).toBeLessThan(300);
  await scoring;
});
