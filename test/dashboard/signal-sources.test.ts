// The dashboard's drill-down lists the raw records a signal is computed from. Every metric that is
// not read from engagement events must name its own records, or the drill-down would list events
// for a payment, ticket, NPS or plan signal.
import { drillDownRange, recordsBehind, signalWindows } from '../../dashboard/src/signal-sources';
import { DEFAULT_SCORING_MODEL, METRIC_KINDS, USAGE_METRICS } from '../../src/scoring/model';

it('names the records of every metric not computed from engagement events', () => {
  const config = { penalties: METRIC_KINDS.map((metric) => ({ name: metric, metric, windowDays: 30 })) };
  const windows = signalWindows(config);
  const misread = METRIC_KINDS.filter((metric) => !USAGE_METRICS.has(metric) && windows.get(metric)!.source === 'events');
  expect(misread).toEqual([]);
});

it("reads the default model's payment flags from the payments", () => {
  const windows = signalWindows(DEFAULT_SCORING_MODEL);
  expect(
    ['payment_failures', 'unpaid_past_due', 'payment_failure_penalty', 'unpaid_invoice_penalty'].map((n) => windows.get(n)!.source),
  ).toEqual(['payments', 'payments', 'payments', 'payments']);
});

it('says which tickets a state counts: those open at the score, not those dated in its window', () => {
  const windows = signalWindows({
    penalties: [
      { name: 'urgent', metric: 'urgent_tickets_open_throughout', windowDays: 1 },
      { name: 'open', metric: 'open_tickets', windowDays: 90 },
      { name: 'csat', metric: 'csat_mean', windowDays: 90 },
      { name: 'cut', metric: 'contraction', windowDays: 90 },
    ],
  });
  const asOf = '2026-12-04T12:00:00.000Z';
  const from = '2026-09-05T12:00:00.000Z';
  const say = (name: string) => recordsBehind(windows.get(name)!, from, asOf, (iso) => iso.slice(0, 10));
  expect(say('urgent')).toBe('Computed from the tickets below that were HIGH or URGENT and open throughout the day to 2026-12-04.');
  expect(say('open')).toBe('Computed from the tickets below that were open at 2026-12-04.');
  expect(say('csat')).toBe('Computed from the tickets below dated after 2026-09-05.');
  expect(say('cut')).toBe('Computed from the plan history (ARR and seats) since 2026-09-05.');
});

it("lists the records of the score's window, (asOf − days, asOf], as the lists take them, [from, to)", () => {
  const asOf = '2026-12-04T12:00:00.000Z';
  const { start, from, to } = drillDownRange({ days: 30 }, asOf);
  expect(start).toBe('2026-11-04T12:00:00.000Z');
  const listed = (instant: string) => instant >= from && instant < to;
  // The window's start is not in it; asOf is, and nothing after it, to the millisecond.
  expect(
    ['2026-11-04T12:00:00.000Z', '2026-11-04T12:00:00.001Z', '2026-12-04T12:00:00.000Z', '2026-12-04T12:00:00.001Z'].map(listed),
  ).toEqual([false, true, true, false]);
});
