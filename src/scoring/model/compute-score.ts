// Turns one customer's metric values into a 0…100 score that explains itself: per-signal
// contributions, per-component scores, the penalties applied, and how much of it was observed.
import { readMetric } from './metrics';
import { clamp01, normalise } from './normalise';
import type {
  ComponentResult,
  MetricValues,
  PenaltyConfig,
  PenaltyResult,
  ScoreResult,
  ScoringModelConfig,
  SignalResult,
} from './types';

/** Rounds to `digits` decimals; used for the explanation fields so stored JSON stays readable. */
function roundTo(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Integer score; the inner rounding removes float noise so 69.4999999999 from 69.5 rounds up as intended. */
function roundScore(value: number): number {
  return Math.round(roundTo(value, 6));
}

function penaltyPoints(penalty: PenaltyConfig, rawValue: number | null): PenaltyResult {
  const applies =
    rawValue !== null && (penalty.direction === 'at_least' ? rawValue >= penalty.threshold : rawValue < penalty.threshold);
  if (!applies) return { name: penalty.name, rawValue, points: 0, applied: false };
  const points = penalty.perUnit
    ? Math.min(penalty.points * rawValue, penalty.maxPoints ?? Number.POSITIVE_INFINITY)
    : penalty.points;
  return { name: penalty.name, rawValue, points, applied: true };
}

interface EvaluatedSignal {
  name: string;
  component: string;
  rawValue: number | null;
  value: number | null;
  weight: number;
  missing: boolean;
  included: boolean;
}

/**
 * Score = round(100 · Σ wᵢvᵢ / Σ wᵢ) over the included signals, minus penalty points, clamped to
 * 0…100. Neutral-missing signals are included at their neutral value; excluded-missing ones drop
 * out and their weight is redistributed over the rest. When nothing at all is included the score
 * is 0 with coverage 0: there is no evidence of health, and coverage tells the reader why.
 */
export function computeScore(model: ScoringModelConfig, metrics: MetricValues): ScoreResult {
  const evaluated: EvaluatedSignal[] = [];
  for (const component of model.components) {
    for (const signal of component.signals) {
      const rawValue = readMetric(metrics, signal.metric, signal.windowDays);
      const base = { name: signal.name, component: component.name, rawValue, weight: signal.weight };
      if (rawValue !== null) {
        evaluated.push({ ...base, value: normalise(rawValue, signal.normaliser), missing: false, included: true });
      } else if (signal.missing.policy === 'neutral') {
        evaluated.push({ ...base, value: clamp01(signal.missing.value), missing: true, included: true });
      } else {
        evaluated.push({ ...base, value: null, missing: true, included: false });
      }
    }
  }

  const sum = (signals: EvaluatedSignal[], term: (s: EvaluatedSignal) => number) =>
    signals.reduce((total, s) => total + term(s), 0);
  const included = evaluated.filter((s) => s.included);
  const includedWeight = sum(included, (s) => s.weight);
  const totalWeight = sum(evaluated, (s) => s.weight);
  const observedWeight = sum(evaluated, (s) => (s.missing ? 0 : s.weight));

  const share = (weight: number) => (includedWeight > 0 ? weight / includedWeight : 0);
  const baseScore = 100 * sum(included, (s) => share(s.weight) * (s.value ?? 0));

  const signals: SignalResult[] = evaluated.map((s) => ({
    name: s.name,
    component: s.component,
    rawValue: s.rawValue,
    value: s.value === null ? null : roundTo(s.value, 4),
    weight: s.weight,
    effectiveWeight: s.included ? roundTo(share(s.weight), 4) : 0,
    contribution: s.included ? roundTo(100 * share(s.weight) * (s.value ?? 0), 2) : 0,
    missing: s.missing,
  }));

  const components: ComponentResult[] = model.components.map((component) => {
    const own = evaluated.filter((s) => s.component === component.name);
    const ownIncluded = own.filter((s) => s.included);
    const ownIncludedWeight = sum(ownIncluded, (s) => s.weight);
    const ownTotalWeight = sum(own, (s) => s.weight);
    return {
      name: component.name,
      score:
        ownIncluded.length === 0 || ownIncludedWeight === 0
          ? null
          : roundScore((100 * sum(ownIncluded, (s) => s.weight * (s.value ?? 0))) / ownIncludedWeight),
      weight: roundTo(share(ownIncludedWeight), 4),
      coverage: ownTotalWeight > 0 ? roundTo(sum(own, (s) => (s.missing ? 0 : s.weight)) / ownTotalWeight, 4) : 0,
    };
  });

  const penalties = model.penalties.map((penalty) =>
    penaltyPoints(penalty, readMetric(metrics, penalty.metric, penalty.windowDays)),
  );
  const penaltyTotal = penalties.reduce((total, p) => total + p.points, 0);

  return {
    score: Math.min(100, Math.max(0, roundScore(baseScore - penaltyTotal))),
    scoreBeforePenalties: roundScore(baseScore),
    components,
    signals,
    penalties,
    coverage: totalWeight > 0 ? roundTo(observedWeight / totalWeight, 4) : 0,
  };
}
