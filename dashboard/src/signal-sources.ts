// Which raw records a signal (or penalty) is computed from, and over which time window, read from
// the model's config: the drill-down shows exactly those records.
export type SignalSource = 'events' | 'payments' | 'tickets' | 'nps' | 'plan';

const SOURCES: Readonly<Record<string, SignalSource>> = {
  payment_success_rate: 'payments',
  late_payments: 'payments',
  payment_failure_streak: 'payments',
  unpaid_past_due: 'payments',
  failed_invoice_streak: 'payments',
  unpaid_past_grace: 'payments',
  contraction: 'plan',
  csat_mean: 'tickets',
  open_tickets: 'tickets',
  ticket_count: 'tickets',
  ticket_volume_trend: 'tickets',
  urgent_open_tickets: 'tickets',
  urgent_tickets_open_throughout: 'tickets',
  rated_tickets: 'tickets',
  nps: 'nps',
  nps_weighted: 'nps',
  nps_mean_score: 'nps',
  nps_angry_answers: 'nps',
};

export interface SignalWindow {
  name: string;
  metric: string;
  source: SignalSource;
  /** The days the metric looks back over, its baseline included. */
  days: number;
}

interface ConfiguredMetric {
  name: string;
  metric: string;
  windowDays?: number;
  baselineDays?: number;
}

/** Every signal and penalty of a model config, by name. */
export function signalWindows(config: unknown): Map<string, SignalWindow> {
  const model = (config ?? {}) as { components?: Array<{ signals?: ConfiguredMetric[] }>; penalties?: ConfiguredMetric[] };
  const configured = [...(model.components ?? []).flatMap((component) => component.signals ?? []), ...(model.penalties ?? [])];
  return new Map(
    configured.map((entry) => [
      entry.name,
      {
        name: entry.name,
        metric: entry.metric,
        source: SOURCES[entry.metric] ?? 'events',
        days: Math.max(entry.windowDays ?? 30, entry.baselineDays ?? 0),
      },
    ]),
  );
}
