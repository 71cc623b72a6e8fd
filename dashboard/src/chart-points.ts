// Which scores the chart draws. An account rescored as its events arrive has dozens of scores a day:
// drawn all, they are a blur, and uPlot gains nothing from them. Past MOST_DRAWN_POINTS the chart
// draws the last score of each minute, hour or day, the finest of those that stays within it; every
// score is still in the table under the chart.
import { dayOf } from './days';

/** The most scores the chart draws as they are. */
export const MOST_DRAWN_POINTS = 120;

/** What a drawn score stands for: itself, or the last score of its minute, hour or day. */
export type DrawnPer = 'score' | 'minute' | 'hour' | 'day';

/** The local minute, hour or day a score's instant falls in. */
const BUCKETS: ReadonlyArray<{ per: Exclude<DrawnPer, 'score'>; of(instant: Date): string }> = [
  { per: 'minute', of: (instant) => `${dayOf(instant)} ${instant.getHours()}:${instant.getMinutes()}` },
  { per: 'hour', of: (instant) => `${dayOf(instant)} ${instant.getHours()}` },
  { per: 'day', of: dayOf },
];

/** The last point of each run of points (oldest first) that `bucketOf` puts together. */
function lastOfEach<Point extends { asOf: string }>(points: readonly Point[], bucketOf: (instant: Date) => string): Point[] {
  const drawn: Point[] = [];
  let previous: string | undefined;
  for (const point of points) {
    const bucket = bucketOf(new Date(point.asOf));
    if (bucket === previous) drawn[drawn.length - 1] = point;
    else drawn.push(point);
    previous = bucket;
  }
  return drawn;
}

/** The points (oldest first) the chart draws, and what each stands for; the latest score is always drawn. */
export function drawnPoints<Point extends { asOf: string }>(
  points: readonly Point[],
  most = MOST_DRAWN_POINTS,
): { points: Point[]; per: DrawnPer } {
  if (points.length <= most) return { points: [...points], per: 'score' };
  for (const { per, of } of BUCKETS) {
    const drawn = lastOfEach(points, of);
    if (drawn.length <= most || per === 'day') return { points: drawn, per };
  }
  throw new Error('unreachable: the last bucket is taken whatever its count');
}
