// The dashboard's days: a day starts at its local midnight (the browser's; here this process's time
// zone: dashboard-text.test.ts opens a browser in Berlin), within the instants the server takes.
import { addDays, dayInRange, dayOf, dayStart } from '../../dashboard/src/days';

it('starts a day at its local midnight', () => {
  expect(dayStart('2026-12-07')).toBe(new Date(2026, 11, 7).toISOString());
  expect(dayStart('2026-07-01')).toBe(new Date(2026, 6, 1).toISOString());
  expect(dayOf(new Date(2026, 11, 7, 23, 30))).toBe('2026-12-07');
});

it('keeps the first and the last day within the instants the server takes', () => {
  expect(Date.parse(dayStart('1970-01-01'))).toBeGreaterThanOrEqual(0);
  // The day after the last (where a list ending with it stops) has a five-digit year.
  expect(addDays('9999-12-31', 1)).toBe('10000-01-01');
  expect(dayStart(addDays('9999-12-31', 1))).toBe('9999-12-31T23:59:59.999Z');
});

it('counts whole days across months and years', () => {
  expect(addDays('2026-03-28', 2)).toBe('2026-03-30');
  expect(addDays('2027-01-01', -1)).toBe('2026-12-31');
  expect(addDays('2026-12-07', -90)).toBe('2026-09-08');
  expect(addDays('0002-12-01', 0)).toBe('0002-12-01');
});

it('takes days from 1 Jan 1970 to 31 Dec 9999 that exist, written yyyy-mm-dd', () => {
  expect(['1970-01-01', '2028-02-29', '9999-12-31'].map(dayInRange)).toEqual([true, true, true]);
  expect(['1969-12-31', '0002-12-01', '2026-02-30', '2026-02-29', '2026-2-1', ''].map(dayInRange)).toEqual([
    false,
    false,
    false,
    false,
    false,
    false,
  ]);
});
