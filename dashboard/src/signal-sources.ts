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
  unpaid_later_than_usual: 'payments',
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

/**
 * Metrics of a state as of the score's instant rather than of records dated in a window: a ticket
 * open then counts however long before it was opened. Each says which records it counts, up to an
 * instant written after it.
 */
const STATES: Readonly<Record<string, (days: number) => string>> = {
  open_tickets: () => 'open at',
  urgent_open_tickets: () => 'HIGH or URGENT and open at',
  urgent_tickets_open_throughout: (days) => `HIGH or URGENT and open throughout the ${days === 1 ? 'day' : `${days} days`} to`,
};

export interface SignalWindow {
  name: string;
  metric: string;
  source: SignalSource;
  /** The days the metric looks back over, its baseline included. */
  days: number;
  /** For a metric of a state as of the score's instant, which records it counts (see STATES). */
  state?: string;
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
        ...(STATES[entry.metric] ? { state: STATES[entry.metric](entry.windowDays ?? 30) } : {}),
      },
    ]),
  );
}

const DAY_MS = 86_400_000;

/**
 * The instants the drill-down lists for a signal of `window` read at `asOf`: its window is (asOf − days, asOf], the lists
 * take [from, to), and instants are kept to the millisecond, so `from` is a millisecond after the
 * window's start (`start`, which is not in it) and `to` a millisecond after `asOf` (which is).
 */
export function drillDownRange(window: Pick<SignalWindow, 'days'>, asOf: string): { start: string; from: string; to: string } {
  const end = Date.parse(asOf);
  const start = end - window.days * DAY_MS;
  return { start: new Date(start).toISOString(), from: new Date(start + 1).toISOString(), to: new Date(end + 1).toISOString() };
}

/**
 * What the drill-down says of a payment, ticket or plan signal, whose records are listed with the
 * customer's below it: those dated in the window, or for a state, those in that state at `asOf`.
 */
export function recordsBehind(window: SignalWindow, start: string, asOf: string, format: (iso: string) => string): string {
  if (window.source === 'plan') return `Computed from the plan history (ARR and seats) since ${format(start)}.`;
  if (window.state) return `Computed from the ${window.source} below that were ${window.state} ${format(asOf)}.`;
  return `Computed from the ${window.source} below dated after ${format(start)}.`;
}
