// Shared handling of `from`/`to` filters: validated once, and turned into the same half-open
// range `[from, to)` on whatever timestamp column a list filters by.
import { ensure } from './errors';
import { filterInstant } from './input';

/**
 * Each bound an instant from 1970 on (filterInstant), `from` not after `to`: the bounds as SQL is to
 * be given them (a bound past year 9999 is filterInstant's latest).
 */
export function checkTimeRange(from: Date | null | undefined, to: Date | null | undefined): { from: Date | null; to: Date | null } {
  const range = { from: filterInstant(from, 'from'), to: filterInstant(to, 'to') };
  ensure(!from || !to || from.getTime() <= to.getTime(), 'from must not be after to', { argument: 'from' });
  return range;
}

/** Validates the range and appends `column >= from` / `column < to` to a filter under construction. */
export function addTimeRange(
  where: string[],
  params: unknown[],
  column: string,
  from: Date | null | undefined,
  to: Date | null | undefined,
): void {
  const range = checkTimeRange(from, to);
  if (range.from) {
    where.push(`${column} >= ?::timestamptz`);
    params.push(range.from.toISOString());
  }
  if (range.to) {
    where.push(`${column} < ?::timestamptz`);
    params.push(range.to.toISOString());
  }
}
