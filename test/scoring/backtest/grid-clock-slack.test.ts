// A backtest's `to` is checked like a scoring's `asOf`: a client whose clock runs a little ahead of
// the server's, asking up to "now", is answered as of now rather than refused.
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
