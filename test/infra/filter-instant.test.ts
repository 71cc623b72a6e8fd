// A time filter's bound (from, to, since) takes any instant from 1970 on, a later one than
// 9999-12-31T23:59:59.999Z as that bound: a refusal names only the limit there is.
import { InvalidInputError } from '../../src/infra/errors';
import { filterInstant, LATEST_FILTER_BOUND } from '../../src/infra/input';

describe('filterInstant', () => {
  it('refuses an instant before 1970 naming 1970 as the earliest, and no latest instant', () => {
    const refusal = (() => {
      try {
        filterInstant(new Date('1969-12-31T23:59:59.999Z'), 'from');
      } catch (error) {
        return error as InvalidInputError;
      }
      throw new Error('taken');
    })();
    expect(refusal).toBeInstanceOf(InvalidInputError);
    expect(refusal.message).toBe('from must be 1970-01-01T00:00:00.000Z or later');
    expect(refusal.message).not.toContain('275760');
  });

  it('takes the latest instant a Date holds as the latest bound', () => {
    expect(filterInstant(new Date(8_640_000_000_000_000), 'to')).toEqual(LATEST_FILTER_BOUND);
    expect(filterInstant(new Date('1970-01-01T00:00:00.000Z'), 'from')).toEqual(new Date(0));
  });
});
