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
  const refusal = (grid: Parameters<typeof checkedGrid>[0]) => {
    try {
      checkedGrid(grid, NOW);
    } catch (error) {
      return { message: (error as InvalidInputError).message, argument: (error as InvalidInputError).details.argument };
    }
    throw new Error('not refused');
  };
  expect(refusal({ from, to: from })).toEqual({ message: 'to must be after from', argument: 'to' });
  expect(refusal({ from, to: new Date(from.getTime() - 86_400_000) })).toEqual({ message: 'to must be after from', argument: 'to' });
  const oneInstant = () => checkedGrid({ from, to: new Date(from.getTime() + 1_000) }, NOW);
  expect(oneInstant).toThrow(InvalidInputError);
  expect(oneInstant).toThrow(/single instant: it must span at least one step \(stepDays: 7\)/);
  expect(() => checkedGrid({ from, to: new Date(from.getTime() + 6 * 86_400_000), stepDays: 7 }, NOW)).toThrow(/single instant/);
  // One step apart: two instants.
  expect(checkedGrid({ from, to: new Date(from.getTime() + 7 * 86_400_000), stepDays: 7 }, NOW).stepDays).toBe(7);
});

it('refuses a `from` in the future naming `from`, whatever `to` says', () => {
  const refused = () => checkedGrid({ from: new Date(NOW + 86_400_000), to: new Date(NOW) }, NOW);
  expect(refused).toThrow(/from must not be in the future/);
  expect(refused).toThrow(expect.objectContaining({ details: expect.objectContaining({ argument: 'from' }) }));
  // `to` in the future as well: the start is refused first.
  const bothAhead = () => checkedGrid({ from: new Date(NOW + 180 * 86_400_000), to: new Date(NOW + 210 * 86_400_000) }, NOW);
  expect(bothAhead).toThrow(/from must not be in the future/);
  expect(bothAhead).toThrow(expect.objectContaining({ details: expect.objectContaining({ argument: 'from' }) }));
});

it('names the step by the field the client sent it in: step, as issue 12 names it, or stepDays', () => {
  const argumentOf = (grid: Parameters<typeof checkedGrid>[0]) => {
    try {
      checkedGrid(grid, NOW);
    } catch (error) {
      return [(error as InvalidInputError).message, (error as InvalidInputError).details.argument];
    }
    return null;
  };
  expect(argumentOf({ from, to: new Date(NOW), step: 0 })).toEqual(['step must be a whole number of days within 1…90', 'step']);
  expect(argumentOf({ from, to: new Date(NOW), stepDays: 0 })).toEqual(['stepDays must be a whole number of days within 1…90', 'stepDays']);
  expect(argumentOf({ from, to: new Date(from.getTime() + 1_000), step: 7 })?.[0]).toContain('(step: 7)');
  const longAgo = new Date(NOW - 400 * 86_400_000);
  expect(argumentOf({ from: longAgo, to: new Date(NOW), step: 1 })).toEqual([
    'the grid has 401 instants; at most 366 (widen step or narrow from…to)',
    'step',
  ]);
  // The grid the checks pass carries the name on, for the snapshot limits' refusals.
  expect(checkedGrid({ from, to: new Date(NOW), step: 7 }, NOW).stepArgument).toBe('step');
  expect(checkedGrid({ from, to: new Date(NOW) }, NOW).stepArgument).toBe('stepDays');
});
