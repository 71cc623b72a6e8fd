// A backtest grid is checked before anything runs: its `to` like a scoring's `asOf` (a client whose clock runs a little
// ahead of the server's, asking up to "now", is answered as of now rather than refused), and it holds two instants at least.
import { checkedGrid } from '../../../src/scoring/backtest/backtest.service';
import { InvalidInputError } from '../../../src/infra/errors';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const from = new Date(NOW - 28 * 86_400_000);

it('reads a `to` up to a minute ahead of the server clock as now', () => {
  const grid = checkedGrid({ from, to: new Date(NOW + 30_000) }, NOW);
  expect(grid.to.getTime()).toBe(NOW);
});

it('still refuses a `to` further in the future, naming the argument', () => {
  expect(() => checkedGrid({ from, to: new Date(NOW + 120_000) }, NOW)).toThrow(InvalidInputError);
  expect(() => checkedGrid({ from, to: new Date(NOW + 120_000) }, NOW)).toThrow(/to must not be in the future/);
});

it('refuses a grid of a single instant, `from` = `to` or `to` less than a step after `from`, naming `to`', () => {
  expect(() => checkedGrid({ from, to: from }, NOW)).toThrow(/from must be before to/);
  const oneInstant = () => checkedGrid({ from, to: new Date(from.getTime() + 1_000) }, NOW);
  expect(oneInstant).toThrow(InvalidInputError);
  expect(oneInstant).toThrow(/single instant: it must span at least one step \(stepDays: 7\)/);
  expect(() => checkedGrid({ from, to: new Date(from.getTime() + 6 * 86_400_000), stepDays: 7 }, NOW)).toThrow(/single instant/);
  // One step apart: two instants.
  expect(checkedGrid({ from, to: new Date(from.getTime() + 7 * 86_400_000), stepDays: 7 }, NOW).stepDays).toBe(7);
});
