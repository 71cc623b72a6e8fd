// The dashboard's days: a day starts at its local midnight (the browser's; here this process's time
// zone: dashboard-text.test.ts opens a browser in Berlin), within the instants the server takes.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
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

/**
 * Each day's start, the instant before it and the day before it, as a process in `timeZone` counts
 * them: a child process, as jest's sandbox hands a test a copy of process.env, whose TZ moves no clock.
 */
async function daysIn(timeZone: string, days: string[]): Promise<Array<[start: string, dayBeforeStart: string, dayBefore: string]>> {
  const script = `const { addDays, dayOf, dayStart } = require('./dashboard/src/days');
    const days = ${JSON.stringify(days)};
    console.log(JSON.stringify(days.map((day) => [dayStart(day), dayOf(new Date(Date.parse(dayStart(day)) - 1)), addDays(day, -1)])));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: path.join(__dirname, '../..'),
    env: { ...process.env, TZ: timeZone },
  });
  return JSON.parse(stdout);
}

it('starts a day at its own first instant where a clock change fell at midnight, in its year or in 2000', async () => {
  // Days whose midnight was skipped in 2000 (clocks on at 00:00) but not in 2026, and one with no
  // midnight in its own year (Chile's clocks went on at 00:00 on 2026-09-06): it starts at 01:00.
  const cases: Array<[string, string, string]> = [
    ['America/Sao_Paulo', '2026-10-08', '2026-10-08T03:00:00.000Z'],
    ['America/Sao_Paulo', '2000-10-08', '2000-10-08T03:00:00.000Z'],
    ['Asia/Tehran', '2026-03-21', '2026-03-20T20:30:00.000Z'],
    ['America/Santiago', '2026-10-15', '2026-10-15T03:00:00.000Z'],
    ['America/Santiago', '2026-09-06', '2026-09-06T04:00:00.000Z'],
  ];
  const zones = [...new Set(cases.map(([timeZone]) => timeZone))];
  const counted = new Map(
    await Promise.all(
      zones.map(async (timeZone) => {
        const days = cases.filter(([zone]) => zone === timeZone).map(([, day]) => day);
        const answers = await daysIn(timeZone, days);
        return [timeZone, new Map(days.map((day, i) => [day, answers[i]]))] as const;
      }),
    ),
  );
  for (const [timeZone, day, start] of cases) {
    const [startCounted, dayBeforeStart, dayBefore] = counted.get(timeZone)!.get(day)!;
    // Its start, and the instant before it is the day before: nothing of the day is left out.
    expect({ timeZone, day, start: startCounted, before: dayBeforeStart }).toEqual({ timeZone, day, start, before: dayBefore });
  }
});
