// The day grid of the demo data set: window days are indices (0 = the first day, days − 1 = today,
// cut off at `now`), all in UTC, so a customer's story is written in days and turned into instants
// only when a signal is emitted.

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;

/** The day grid: day `days − 1` is today (UTC), cut off at `now`. */
export interface DemoWindow {
  now: Date;
  days: number;
  firstDayStartMs: number;
}

/** Days [from, to) of the window. */
export interface DayRange {
  from: number;
  to: number;
}

export function demoWindow(now: Date, days: number): DemoWindow {
  const todayStartMs = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { now, days, firstDayStartMs: todayStartMs - (days - 1) * DAY_MS };
}

export function dayStartMs(window: DemoWindow, day: number): number {
  return window.firstDayStartMs + day * DAY_MS;
}

/** The window day an instant falls on (negative before the window). */
export function dayOf(window: DemoWindow, at: Date): number {
  return Math.floor((at.getTime() - window.firstDayStartMs) / DAY_MS);
}

/** 0 = Sunday … 6 = Saturday (1 January 1970 was a Thursday). */
export function weekdayOf(window: DemoWindow, day: number): number {
  return (((Math.floor(dayStartMs(window, day) / DAY_MS) + 4) % 7) + 7) % 7;
}

export function isWeekend(window: DemoWindow, day: number): boolean {
  const weekday = weekdayOf(window, day);
  return weekday === 0 || weekday === 6;
}

const dateKeys = new WeakMap<DemoWindow, Map<number, string>>();

/** `YYYY-MM-DD` of a window day: the stable part of idempotency keys and external ids (remembered per window: asked for every customer's every day). */
export function dateKey(window: DemoWindow, day: number): string {
  let keys = dateKeys.get(window);
  if (!keys) dateKeys.set(window, (keys = new Map()));
  let key = keys.get(day);
  if (key === undefined) keys.set(day, (key = new Date(dayStartMs(window, day)).toISOString().slice(0, 10)));
  return key;
}

export function inRange(range: DayRange | null, day: number): boolean {
  return range !== null && day >= range.from && day < range.to;
}
