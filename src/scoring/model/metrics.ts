// The contract with the SQL layer: which aggregates a model needs, and the stable keys they travel
// under. The SQL side computes every `metricRequests(model)` entry per customer in one pass and
// returns `Record<metricKey, number | null>`; the scoring core maps those keys back to signals.
import type { MetricKind, MetricRequest, MetricValues, RawSignals, ScoringModelConfig } from './types';

/** Stable key of one aggregate, e.g. `active_days_30`. */
export function metricKey(metric: MetricKind, windowDays: number): string {
  return `${metric}_${windowDays}`;
}

/** The distinct (metric, window) pairs a model's signals and penalties need, sorted by key. */
export function metricRequests(model: ScoringModelConfig): MetricRequest[] {
  const byKey = new Map<string, MetricRequest>();
  const add = (metric: MetricKind, windowDays: number) => {
    const key = metricKey(metric, windowDays);
    if (!byKey.has(key)) byKey.set(key, { metric, windowDays, key });
  };
  for (const component of model.components) {
    for (const signal of component.signals) add(signal.metric, signal.windowDays);
  }
  for (const penalty of model.penalties) add(penalty.metric, penalty.windowDays);
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Reads a metric, treating absent keys and non-finite numbers (NaN from a 0/0 that slipped through)
 * as missing, so one bad aggregate degrades to "no data" instead of poisoning the whole score.
 */
export function readMetric(metrics: MetricValues, metric: MetricKind, windowDays: number): number | null {
  const value = metrics[metricKey(metric, windowDays)];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The raw value behind each signal and penalty, keyed by its name (for explanations and logs). */
export function rawSignalsFromMetrics(model: ScoringModelConfig, metrics: MetricValues): RawSignals {
  const raw: RawSignals = {};
  for (const component of model.components) {
    for (const signal of component.signals) raw[signal.name] = readMetric(metrics, signal.metric, signal.windowDays);
  }
  for (const penalty of model.penalties) raw[penalty.name] = readMetric(metrics, penalty.metric, penalty.windowDays);
  return raw;
}
