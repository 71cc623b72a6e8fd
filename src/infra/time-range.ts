// Shared handling of `from`/`to` filters: validated once, and turned into the same half-open
// range `[from, to)` on whatever timestamp column a list filters by.
import { ensure } from './errors';
import { filterInstant } from './input';

/** Each bound an instant from 1970 on (filterInstant), `from` not after `to`. */
export function checkTimeRange(from: Date | null | undefined, to: Date | null | undefined): void {
  filterInstant(from, 'from');
  filterInstant(to, 'to');
  ensure(!from || !to || from.getTime() <= to.getTime(), 'from must not be after to', { argument: 'from' });
}

/** Validates the range and appends `column >= from` / `column < to` to a filter under construction. */
export function addTimeRange(
  where: string[],
  params: unknown[],
  column: string,
  from: Date | null | undefined,
  to: Date | null | undefined,
): void {
  checkTimeRange(from, to);
  if (from) {
    where.push(`${column} >= ?::timestamptz`);
    params.push(from.toISOString());
  }
  if (to) {
    where.push(`${column} < ?::timestamptz`);
    params.push(to.toISOString());
  }
}
