// The contract with the SQL layer: which aggregates a model needs, and the stable keys they travel
// under. The SQL side computes every `metricRequests(model)` entry per customer in one pass and
// returns `Record<metricKey, number | null>`; the scoring core maps those keys back to signals.
import { BASELINE_METRICS } from './types';
import type { MetricKind, MetricRequest, MetricValues, ScoringModelConfig } from './types';

/** Stable key of one aggregate, e.g. `active_days_30`, or `active_days_trend_14_60` with a baseline. */
export function metricKey(metric: MetricKind, windowDays: number, baselineDays?: number): string {
  return baselineDays === undefined ? `${metric}_${windowDays}` : `${metric}_${windowDays}_${baselineDays}`;
}

/** The most earlier windows a `_vs_leanest` metric reads: each is a count per customer in its SQL. */
export const MAX_EARLIER_WINDOWS = 8;

/**
 * How many days before asOf each earlier window of a `_vs_leanest` metric ends: W, W + ⌈W/2⌉, …, the
 * nearest MAX_EARLIER_WINDOWS of those that start within the baseline. Windows overlap by half, so a
 * rhythm of a few weeks (a team that comes one week a month) leaves at least one of them without its peak.
 */
export function earlierWindowOffsets(windowDays: number, baselineDays: number): number[] {
  const step = Math.ceil(windowDays / 2);
  const offsets: number[] = [];
  for (let offset = windowDays; offset + windowDays <= baselineDays && offsets.length < MAX_EARLIER_WINDOWS; offset += step)
    offsets.push(offset);
  return offsets;
}

/** The metric key of a signal or penalty (the baseline only counts for metrics that have one). */
export function metricKeyOf(source: { metric: MetricKind; windowDays: number; baselineDays?: number }): string {
  return metricKey(source.metric, source.windowDays, BASELINE_METRICS.has(source.metric) ? source.baselineDays : undefined);
}

/**
 * The distinct (metric, window) pairs the signals and penalties of `models` need, each once whichever
 * models read it, sorted by key.
 */
export function metricRequests(...models: readonly ScoringModelConfig[]): MetricRequest[] {
  const byKey = new Map<string, MetricRequest>();
  const add = (source: { metric: MetricKind; windowDays: number; baselineDays?: number }) => {
    const key = metricKeyOf(source);
    if (byKey.has(key)) return;
    const request: MetricRequest = { metric: source.metric, windowDays: source.windowDays, key };
    if (BASELINE_METRICS.has(source.metric)) request.baselineDays = source.baselineDays;
    byKey.set(key, request);
  };
  for (const model of models) {
    for (const component of model.components) {
      for (const signal of component.signals) {
        add(signal);
        for (const condition of signal.onlyWhen ?? []) add(condition);
      }
    }
    for (const penalty of model.penalties) {
      add(penalty);
      for (const condition of penalty.onlyWhen ?? []) add(condition);
    }
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Reads a metric, treating absent keys and non-finite numbers (NaN from a 0/0 that slipped through)
 * as missing, so one bad aggregate degrades to "no data" instead of poisoning the whole score.
 */
export function readMetric(
  metrics: MetricValues,
  source: { metric: MetricKind; windowDays: number; baselineDays?: number },
): number | null {
  const value = metrics[metricKeyOf(source)];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
