// One reading of a label, stored or filtered on: trimmed, and none when it shows nothing. A label to
// store is checked first; a filter is not (it only matches nothing).
import { InvalidInputError } from '../../src/infra/errors';
import { labelFilter, optionalLabel } from '../../src/infra/input';

describe('labelFilter: a filter on a stored label, read as the label is stored', () => {
  it('trims, so " kate " finds what was stored as kate', () => {
    expect(labelFilter(' kate ')).toBe('kate');
  });

  it('is no filter when absent, empty or showing nothing', () => {
    for (const value of [undefined, null, '', '   ', '\u200b', ' \u200b\u2060 ']) expect(labelFilter(value)).toBeNull();
  });

  it('refuses nothing: a filter no label could be matches nothing', () => {
    expect(labelFilter('two\nlines')).toBe('two\nlines');
    expect(labelFilter('x'.repeat(600))).toHaveLength(600);
  });
});

describe('optionalLabel: a label to store, checked, then read as labelFilter reads it', () => {
  it('stores what a filter on it finds', () => {
    for (const value of [' kate ', 'Scale-up', '', ' \u200b ', null, undefined]) {
      expect(optionalLabel(value, 'plan', 500)).toBe(labelFilter(value));
    }
  });

  it('refuses what no label may be, naming the argument', () => {
    expect(() => optionalLabel('two\nlines', 'plan', 500)).toThrow(InvalidInputError);
    expect(() => optionalLabel('x'.repeat(501), 'plan', 500)).toThrow('plan is longer than 500 characters');
  });
});
