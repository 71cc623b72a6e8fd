// The score chart's time axis and model-change labels, as pure functions (the chart draws what they
// say; test/dashboard/chart-axis.test.ts holds them). Scores come at any time of day, several a day
// when accounts are rescored as their events arrive: the axis steps in minutes or hours over a short
// history and in days beyond, and model changes close together share one label instead of drawing
// their labels over each other.
import { formatAxisDay, formatAxisTime } from './format';

const MINUTE_SECONDS = 60;
const HOUR_SECONDS = 3_600;
export const DAY_SECONDS = 86_400;

/** The steps the time axis may take between ticks (seconds): minutes, hours, days, weeks, months (about), years. */
export const TIME_TICKS: readonly number[] = [
  ...[1, 5, 10, 15, 30].map((minutes) => minutes * MINUTE_SECONDS),
  ...[1, 2, 3, 6, 12].map((hours) => hours * HOUR_SECONDS),
  ...[1, 2, 7, 14, 30, 61, 91, 182, 365, 730].map((days) => days * DAY_SECONDS),
];

/** How far either side of a lone score the time axis reaches. */
const LONE_SCORE_SECONDS = 3 * DAY_SECONDS;
/** The shortest span the axis shows: scores seconds apart still get ticks a few minutes apart. */
const SHORTEST_SPAN_SECONDS = HOUR_SECONDS;

/**
 * The time axis's range for scores from `first` to `last` (seconds): their own, a few days either side
 * of a lone score (uPlot would widen a zero span to some 1,000 days: its "one day" on a time scale is
 * 86,400 divided by its unit), and at least an hour around scores closer together than that.
 */
export function timeAxisRange(first: number, last: number): [number, number] {
  if (first === last) return [first - LONE_SCORE_SECONDS, last + LONE_SCORE_SECONDS];
  if (last - first >= SHORTEST_SPAN_SECONDS) return [first, last];
  const middle = (first + last) / 2;
  return [middle - SHORTEST_SPAN_SECONDS / 2, middle + SHORTEST_SPAN_SECONDS / 2];
}

/**
 * The labels of the ticks at `ticks` (seconds), `step` apart: the day (6 Dec 2026) for steps of a
 * day or more; within a day the time (14:00), with the day under it at the first tick and wherever
 * the day changes, so that the axis always says which day it shows.
 */
export function timeAxisLabels(ticks: readonly number[], step: number): string[] {
  if (step >= DAY_SECONDS) return ticks.map(formatAxisDay);
  return ticks.map((tick, index) => {
    const day = formatAxisDay(tick);
    return index === 0 || formatAxisDay(ticks[index - 1]) !== day ? `${formatAxisTime(tick)}\n${day}` : formatAxisTime(tick);
  });
}

/** A model change where the chart draws it: `x` its position, `version` the version scored from there on. */
export interface ChangeMark {
  x: number;
  version: number;
}

/** One label over the chart: the versions of the changes it stands for, where it starts and its text. */
export interface ChangeLabel {
  versions: number[];
  left: number;
  text: string;
}

/** The text of a label for `versions`: each of one or two, else the first and the last. */
export function versionsText(versions: readonly number[]): string {
  if (versions.length <= 2) return versions.map((version) => `v${version}`).join(', ');
  return `v${versions[0]}–v${versions[versions.length - 1]}`;
}

/**
 * The labels of `marks` (oldest first), each `offset` right of the line of the last change it stands
 * for and kept inside `bounds`: a mark whose label would overlap the one before (`gap` apart at least,
 * widths by `measure`) joins that label instead, as changes on the same day do on a chart of months.
 */
export function changeLabels(
  marks: readonly ChangeMark[],
  measure: (text: string) => number,
  { bounds, offset, gap }: { bounds: { left: number; right: number }; offset: number; gap: number },
): ChangeLabel[] {
  const place = ({ versions, x }: { versions: number[]; x: number }): ChangeLabel & { right: number } => {
    const text = versionsText(versions);
    const width = measure(text);
    const left = Math.max(bounds.left, Math.min(x + offset, bounds.right - width));
    return { versions, left, text, right: left + width };
  };
  // Each label with the position of the last line it stands for.
  const labels: Array<{ x: number; versions: number[] }> = [];
  for (const mark of marks) {
    labels.push({ x: mark.x, versions: [mark.version] });
    // The newest label joins the one before for as long as they would overlap (a joined label is wider).
    while (labels.length > 1) {
      const [before, last] = labels.slice(-2);
      if (place(last).left >= place(before).right + gap) break;
      labels.pop();
      before.versions.push(...last.versions);
      before.x = last.x;
    }
  }
  return labels.map((label) => {
    const { versions, left, text } = place(label);
    return { versions, left, text };
  });
}
