// Which scores the score chart draws: all of a short history, else the last of each minute, hour or
// day, the finest that stays within the most it draws.
import { drawnPoints } from '../../dashboard/src/chart-points';

const MINUTE_MS = 60_000;
const start = new Date(2026, 11, 1, 9, 0, 0).getTime();
/** `count` scores `everyMs` apart, oldest first, scored 0, 1, 2… */
const scores = (count: number, everyMs: number) =>
  Array.from({ length: count }, (_, index) => ({ asOf: new Date(start + index * everyMs).toISOString(), score: index }));

it('draws every score of a history within the most it draws', () => {
  const points = scores(10, MINUTE_MS);
  expect(drawnPoints(points, 10)).toEqual({ points, per: 'score' });
});

it('draws the last score of each minute for many scores within minutes, the latest among them', () => {
  // 40 scores 15 seconds apart: ten minutes.
  const { points, per } = drawnPoints(scores(40, MINUTE_MS / 4), 20);
  expect(per).toBe('minute');
  expect(points.map((point) => point.score)).toEqual([3, 7, 11, 15, 19, 23, 27, 31, 35, 39]);
});

it('draws the last score of each hour, or of each day, when minutes would still be too many', () => {
  const hourly = drawnPoints(scores(300, 5 * MINUTE_MS), 30);
  expect(hourly.per).toBe('hour');
  expect(hourly.points).toHaveLength(25);
  expect(hourly.points.at(-1)?.score).toBe(299);
  const daily = drawnPoints(scores(24 * 40, 60 * MINUTE_MS), 30);
  expect(daily.per).toBe('day');
  // From 09:00 on the first day to 08:00 forty days later: 41 days.
  expect(daily.points).toHaveLength(41);
  expect(daily.points.map((point) => new Date(point.asOf).getHours())).toEqual([...Array(40).fill(23), 8]);
});
