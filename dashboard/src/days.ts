// Days as the dashboard counts them: in the browser's time zone, the zone every date and time on
// the page is written in (the footer names it). A day is written yyyy-mm-dd, as a date field's value
// is, and starts at its local midnight: the Changes' Since day, the outreach log's From and To, the
// backtest's dates, and the Overview's NPS period alike. Today, as a page left open follows it, is
// use-today.ts.
import { formatDate } from './format';

/** The browser's time zone (IANA name, such as Europe/Berlin). */
export const TIME_ZONE = new Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The days a date field takes: the server takes instants from 1970 on; a link, four-digit years. */
export const DAY_RANGE = { min: '1970-01-01', max: '9999-12-31' } as const;

/** The latest instant the server's DateTime is written for (a four-digit year). */
const LAST_INSTANT_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** The local day of `instant`, yyyy-mm-dd. */
export function dayOf(instant: Date): string {
  const month = String(instant.getMonth() + 1).padStart(2, '0');
  return `${String(instant.getFullYear()).padStart(4, '0')}-${month}-${String(instant.getDate()).padStart(2, '0')}`;
}

export function today(): string {
  return dayOf(new Date());
}

/**
 * Local midnight of `day` (yyyy-mm-dd), from its parts: a five-digit year (the day after the last) is
 * no ISO date to parse, and `new Date(y, …)` reads a year below 100 as 19yy. The day is set at noon,
 * an hour no clock change skips, and only then its midnight, in its own year: a day whose midnight a
 * clock change skipped (clocks on from 00:00 to 01:00) starts at its first instant, 01:00.
 */
function midnightOf(day: string): Date {
  const [year, month, date] = day.split('-').map(Number);
  const midnight = new Date(2000, 0, 1, 12);
  midnight.setFullYear(year, month - 1, date);
  midnight.setHours(0, 0, 0, 0);
  return midnight;
}

/** The day `days` days after `day` (before, when negative); a day that does not exist (2026-02-30) runs on into the next month. */
export function addDays(day: string, days: number): string {
  const midnight = midnightOf(day);
  midnight.setDate(midnight.getDate() + days);
  return dayOf(midnight);
}

/**
 * The local midnight `day` starts at, as the server takes an instant: within 1970 to 9999 in UTC
 * (local midnight of 1 Jan 1970 east of Greenwich is still 1969 there).
 */
export function dayStart(day: string): string {
  return new Date(Math.min(LAST_INSTANT_MS, Math.max(0, midnightOf(day).getTime()))).toISOString();
}

/** A day as the page writes dates: 6 Dec 2026. */
export function formatDay(day: string): string {
  return formatDate(`${day}T00:00:00`);
}

/** Whether `text` is a day written yyyy-mm-dd, as a date field gives it, that exists (not 2026-02-30). */
export function isDay(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && addDays(text, 0) === text;
}

/** Whether `day` is a day within DAY_RANGE. */
export function dayInRange(day: string): boolean {
  // yyyy-mm-dd compares as text once its form is checked.
  return isDay(day) && day >= DAY_RANGE.min && day <= DAY_RANGE.max;
}
