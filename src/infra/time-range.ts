// Shared validation of `from`/`to` filters.
import { ensure } from './errors';

export function checkTimeRange(from: Date | null | undefined, to: Date | null | undefined): void {
  ensure(!from || !to || from.getTime() <= to.getTime(), 'from must not be after to', { argument: 'from' });
}
