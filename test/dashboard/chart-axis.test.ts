// The score chart's time axis and model-change labels: ticks in hours for scores within a day (as
// continuous rescoring makes them), the day always said, and changes close together under one label.
import { changeLabels, DAY_SECONDS, TIME_TICKS, timeAxisLabels, timeAxisRange, versionsText } from '../../dashboard/src/chart-axis';

/** A local time as uPlot gives a tick: seconds since the epoch. */
const local = (day: number, hours: number, minutes = 0) => new Date(2026, 11, day, hours, minutes).getTime() / 1000;
const HOUR = 3_600;

describe('the time axis', () => {
  it('steps in minutes and hours as well as days, so that scores within one day get ticks', () => {
    expect(TIME_TICKS.filter((step) => step < DAY_SECONDS)).toEqual([
      60,
      300,
      600,
      900,
      1800,
      HOUR,
      2 * HOUR,
      3 * HOUR,
      6 * HOUR,
      12 * HOUR,
    ]);
    expect(TIME_TICKS).toContain(DAY_SECONDS);
    expect([...TIME_TICKS].sort((a, b) => a - b)).toEqual(TIME_TICKS);
  });

  it('writes times within a day, with the day at the first tick and where the day changes', () => {
    expect(timeAxisLabels([local(6, 20), local(6, 22), local(7, 0), local(7, 2)], 2 * HOUR)).toEqual([
      '20:00\n6 Dec 2026',
      '22:00',
      '00:00\n7 Dec 2026',
      '02:00',
    ]);
    expect(timeAxisLabels([local(6, 9, 15), local(6, 9, 30)], 15 * 60)).toEqual(['09:15\n6 Dec 2026', '09:30']);
  });

  it('writes days for steps of a day or more, as the rest of the dashboard does (6 Dec 2026)', () => {
    expect(timeAxisLabels([local(6, 0), local(7, 0)], DAY_SECONDS)).toEqual(['6 Dec 2026', '7 Dec 2026']);
    expect(timeAxisLabels([local(6, 0), local(13, 0)], 7 * DAY_SECONDS)).toEqual(['6 Dec 2026', '13 Dec 2026']);
  });

  it('spans the scores, a few days either side of a lone one, and at least an hour around scores moments apart', () => {
    expect(timeAxisRange(local(6, 9), local(6, 17))).toEqual([local(6, 9), local(6, 17)]);
    expect(timeAxisRange(local(6, 9), local(6, 9))).toEqual([local(3, 9), local(9, 9)]);
    expect(timeAxisRange(local(6, 9), local(6, 9, 10))).toEqual([local(6, 8, 35), local(6, 9, 35)]);
  });
});

describe('the labels of model changes', () => {
  // Every character 6 px wide; a label starts 4 px right of its line and keeps 8 px from the next.
  const measure = (text: string) => text.length * 6;
  const layout = { bounds: { left: 50, right: 850 }, offset: 4, gap: 8 };

  it('names one or two versions each, more by the first and the last', () => {
    expect(versionsText([3])).toBe('v3');
    expect(versionsText([3, 4])).toBe('v3, v4');
    expect(versionsText([3, 4, 7])).toBe('v3–v7');
  });

  it('labels changes far apart each at its own line', () => {
    expect(
      changeLabels(
        [
          { x: 100, version: 2 },
          { x: 400, version: 3 },
        ],
        measure,
        layout,
      ),
    ).toEqual([
      { versions: [2], left: 104, text: 'v2' },
      { versions: [3], left: 404, text: 'v3' },
    ]);
  });

  it('joins the labels of changes that would overlap, as changes on one day do on a chart of months', () => {
    // v2 at 100 takes 104–116: v3 at 110 would start at 114, inside it. The joined label follows the last line.
    expect(
      changeLabels(
        [
          { x: 100, version: 2 },
          { x: 110, version: 3 },
          { x: 400, version: 4 },
        ],
        measure,
        layout,
      ),
    ).toEqual([
      { versions: [2, 3], left: 114, text: 'v2, v3' },
      { versions: [4], left: 404, text: 'v4' },
    ]);
    // Three on one spot, and a fourth that the wider joined label now reaches.
    const crowded = changeLabels(
      [
        { x: 100, version: 2 },
        { x: 101, version: 3 },
        { x: 102, version: 4 },
        { x: 130, version: 5 },
      ],
      measure,
      layout,
    );
    expect(crowded).toEqual([{ versions: [2, 3, 4, 5], left: 134, text: 'v2–v5' }]);
  });

  it('keeps a label inside the chart at its right edge, joining the one before if it then overlaps', () => {
    expect(changeLabels([{ x: 845, version: 9 }], measure, layout)).toEqual([{ versions: [9], left: 838, text: 'v9' }]);
    expect(
      changeLabels(
        [
          { x: 830, version: 8 },
          { x: 848, version: 9 },
        ],
        measure,
        layout,
      ),
    ).toEqual([{ versions: [8, 9], left: 814, text: 'v8, v9' }]);
  });

  it('leaves no two labels overlapping, however the changes fall', () => {
    const marks = Array.from({ length: 40 }, (_, index) => ({ x: 60 + ((index * 37) % 97) * 8, version: index + 2 })).sort(
      (a, b) => a.x - b.x,
    );
    const labels = changeLabels(marks, measure, layout);
    for (let index = 1; index < labels.length; index++)
      expect(labels[index].left).toBeGreaterThanOrEqual(labels[index - 1].left + measure(labels[index - 1].text) + layout.gap);
    expect(labels.flatMap((label) => label.versions)).toEqual(marks.map((mark) => mark.version));
  });
});
