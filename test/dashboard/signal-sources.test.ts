// The dashboard's drill-down lists the raw records a signal is computed from. Every metric that is
// not read from engagement events must name its own records, or the drill-down would list events
// for a payment, ticket, NPS or plan signal.
import { signalWindows } from '../../dashboard/src/signal-sources';
import { ENGAGEMENT_METRICS } from '../../src/scoring/engagement-metrics.sql';
import { DEFAULT_SCORING_MODEL, METRIC_KINDS } from '../../src/scoring/model';

it('names the records of every metric not computed from engagement events', () => {
  const config = { penalties: METRIC_KINDS.map((metric) => ({ name: metric, metric, windowDays: 30 })) };
  const windows = signalWindows(config);
  const misread = METRIC_KINDS.filter((metric) => !ENGAGEMENT_METRICS.has(metric) && windows.get(metric)!.source === 'events');
  expect(misread).toEqual([]);
});

it("reads the default model's payment flags from the payments", () => {
  const windows = signalWindows(DEFAULT_SCORING_MODEL);
  expect(
    ['payment_failures', 'unpaid_past_due', 'payment_failure_penalty', 'unpaid_invoice_penalty'].map((n) => windows.get(n)!.source),
  ).toEqual(['payments', 'payments', 'payments', 'payments']);
});
