import { DEFAULT_SCORING_MODEL, computeScore, describeHeldBack, metricRequests } from '../../../src/scoring/model';
import type { MetricValues } from '../../../src/scoring/model';
import { clamp01, normalise } from '../../../src/scoring/model/normalise';
import { readMetric } from '../../../src/scoring/model/metrics';
import type {
  ComponentResult,
  HeldBackBy,
  PenaltyConfig,
  PenaltyResult,
  ScoreResult,
  ScoringModelConfig,
  SignalConfig,
  SignalResult,
} from '../../../src/scoring/model/types';
import { modelWith, signal } from './model-factory';

function roundTo(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
function roundScore(value: number): number {
  return Math.round(roundTo(value, 6));
}
function penaltyPoints(penalty: PenaltyConfig, rawValue: number | null): PenaltyResult {
  const applies = rawValue !== null && (penalty.direction === 'at_least' ? rawValue >= penalty.threshold : rawValue < penalty.threshold);
  if (!applies) return { name: penalty.name, rawValue, points: 0, applied: false, heldBack: false };
  const points = penalty.perUnit ? Math.min(penalty.points * rawValue, penalty.maxPoints ?? Number.POSITIVE_INFINITY) : penalty.points;
  return { name: penalty.name, rawValue, points, applied: true, heldBack: false };
}

// The definition, written the obvious way (filter, reduce, spread): computeScore is the same
// arithmetic in plain loops for speed, and must give the same explanation to the last digit.
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
/** The conditions of an `onlyWhen` (a penalty's or a signal's) that do not hold, by position, with their values; a missing metric holds nothing back. */
function failedConditions(source: PenaltyConfig | SignalConfig, metrics: MetricValues): HeldBackBy[] {
  return (source.onlyWhen ?? []).flatMap((condition, position) => {
    const value = readMetric(metrics, condition);
    const holds = value === null || (condition.direction === 'at_least' ? value >= condition.threshold : value < condition.threshold);
    return holds ? [] : [{ condition: position, value: roundTo(value, 4) }];
  });
}

function referenceScore(model: ScoringModelConfig, metrics: MetricValues): ScoreResult {
  const evaluated: EvaluatedSignal[] = [];
  for (const component of model.components) {
    for (const signal of component.signals) {
      // A signal whose `onlyWhen` does not hold is not measured: it takes its missing policy's value,
      // but counts as observed when its own metric has a value.
      const measured = failedConditions(signal, metrics).length === 0;
      const ownValue = readMetric(metrics, signal);
      const rawValue = measured ? ownValue : null;
      const base = { name: signal.name, component: component.name, rawValue, weight: signal.weight };
      if (rawValue !== null) {
        evaluated.push({ ...base, value: normalise(rawValue, signal.normaliser), missing: false, included: true });
      } else if (signal.missing.policy === 'neutral') {
        evaluated.push({ ...base, value: clamp01(signal.missing.value), missing: ownValue === null, included: true });
      } else {
        evaluated.push({ ...base, value: null, missing: ownValue === null, included: false });
      }
    }
  }

  const sum = (signals: EvaluatedSignal[], term: (s: EvaluatedSignal) => number) => signals.reduce((total, s) => total + term(s), 0);
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

  const penalties = model.penalties.map((penalty) => {
    const alone = penaltyPoints(penalty, readMetric(metrics, penalty));
    // Held back: it would have applied without its conditions, and its metric is not past the
    // threshold from which they are not asked (`unconditionalThreshold`).
    const unconditional = penalty.unconditionalThreshold;
    const value = readMetric(metrics, penalty);
    const pastConditions =
      unconditional !== undefined && value !== null && (penalty.direction === 'at_least' ? value >= unconditional : value < unconditional);
    const failed = pastConditions ? [] : failedConditions(penalty, metrics);
    if (failed.length === 0 || !alone.applied) return alone;
    return { ...alone, points: 0, applied: false, heldBack: true, heldBackBy: failed };
  });
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

// Two components, three signals: hand-checkable arithmetic.
const model = modelWith([
  {
    name: 'engagement',
    signals: [
      signal({
        name: 'logins',
        metric: 'active_days',
        normaliser: { kind: 'target', target: 20 },
        weight: 3,
        missing: { policy: 'neutral', value: 0 },
      }),
      signal({
        name: 'recency',
        metric: 'days_since_last_activity',
        windowDays: 90,
        normaliser: { kind: 'recency', fullDays: 3, zeroDays: 7 },
        weight: 1,
        missing: { policy: 'neutral', value: 0.5 },
      }),
    ],
  },
  {
    name: 'payments',
    signals: [
      signal({ name: 'payment_health', metric: 'payment_success_rate', windowDays: 90, weight: 4, missing: { policy: 'exclude' } }),
    ],
  },
]);

describe('computeScore', () => {
  it('weights normalised signals into a 0–100 score', () => {
    // logins 15/20 = 0.75 (w3), recency 5 days = 0.5 (w1), payments 1.0 (w4): (2.25 + 0.5 + 4) / 8 = 84.375
    const result = computeScore(model, { active_days_30: 15, days_since_last_activity_90: 5, payment_success_rate_90: 1 });
    expect(result.score).toBe(84);
    expect(result.coverage).toBe(1);
    expect(result.signals.map((s) => [s.name, s.value, s.missing])).toEqual([
      ['logins', 0.75, false],
      ['recency', 0.5, false],
      ['payment_health', 1, false],
    ]);
  });

  it('reports each signal’s contribution so that they add up to the score before penalties', () => {
    const result = computeScore(model, { active_days_30: 15, days_since_last_activity_90: 5, payment_success_rate_90: 1 });
    expect(result.signals.map((s) => s.contribution)).toEqual([28.13, 6.25, 50]);
    expect(result.signals.reduce((sum, s) => sum + s.contribution, 0)).toBeCloseTo(84.375, 1);
    expect(result.scoreBeforePenalties).toBe(84);
  });

  it('keeps contributions and component weights consistent with the score for the default model', () => {
    const metrics: MetricValues = {
      active_days_30: 13,
      distinct_features_30: 6,
      days_since_last_activity_90: 4.2,
      usage_trend_30: 0.9,
      users_added_30: 1,
      payment_success_rate_90: 0.75,
      csat_mean_90: 3.6,
      open_tickets_90: 2,
      nps_180: 20,
    };
    const result = computeScore(DEFAULT_SCORING_MODEL, metrics);
    const contributions = result.signals.reduce((sum, s) => sum + s.contribution, 0);
    expect(Math.abs(contributions - result.scoreBeforePenalties)).toBeLessThanOrEqual(0.5);
    expect(result.components.reduce((sum, c) => sum + c.weight, 0)).toBeCloseTo(1, 3);
    const fromComponents = result.components.reduce((sum, c) => sum + (c.score ?? 0) * c.weight, 0);
    expect(Math.abs(fromComponents - result.scoreBeforePenalties)).toBeLessThanOrEqual(1);
  });

  describe('missing data', () => {
    it('counts a neutral-missing signal at its neutral value but not as observed', () => {
      // recency missing → 0.5 neutral: (2.25 + 0.5 + 4) / 8, same as observed 0.5, but coverage drops by 1/8
      const result = computeScore(model, { active_days_30: 15, days_since_last_activity_90: null, payment_success_rate_90: 1 });
      expect(result.score).toBe(84);
      expect(result.coverage).toBe(0.875);
      const recency = result.signals.find((s) => s.name === 'recency');
      expect(recency).toMatchObject({ rawValue: null, value: 0.5, missing: true, contribution: 6.25 });
    });

    it('drops an excluded-missing signal and redistributes its weight over the rest', () => {
      // payments excluded: (2.25 + 0.5) / 4 = 68.75
      const result = computeScore(model, { active_days_30: 15, days_since_last_activity_90: 5, payment_success_rate_90: null });
      expect(result.score).toBe(69);
      expect(result.coverage).toBe(0.5);
      const payments = result.signals.find((s) => s.name === 'payment_health');
      expect(payments).toMatchObject({ value: null, missing: true, contribution: 0, effectiveWeight: 0 });
      expect(result.signals.find((s) => s.name === 'logins')?.effectiveWeight).toBe(0.75);
    });

    it('gives a component whose signals were all excluded a null score and no weight', () => {
      const result = computeScore(model, { active_days_30: 15, days_since_last_activity_90: 5, payment_success_rate_90: null });
      expect(result.components.find((c) => c.name === 'payments')).toEqual({ name: 'payments', score: null, weight: 0, coverage: 0 });
      expect(result.components.find((c) => c.name === 'engagement')).toEqual({ name: 'engagement', score: 69, weight: 1, coverage: 1 });
    });

    it('gives a component made only of neutral-missing signals its neutral score with zero coverage', () => {
      const neutralOnly = modelWith([
        model.components[0],
        { name: 'nps', signals: [signal({ name: 'nps', metric: 'nps', windowDays: 180, missing: { policy: 'neutral', value: 0.5 } })] },
      ]);
      const result = computeScore(neutralOnly, { active_days_30: 20, days_since_last_activity_90: 1, nps_180: null });
      expect(result.components.find((c) => c.name === 'nps')).toMatchObject({ score: 50, coverage: 0 });
    });

    it('reads a signal as missing while a condition of its onlyWhen does not hold, and measures it while the condition metric is missing', () => {
      const conditional = modelWith([
        {
          name: 'engagement',
          signals: [
            signal({ name: 'logins', metric: 'active_days', windowDays: 30, weight: 3 }),
            signal({
              name: 'trend',
              metric: 'active_days_trend',
              windowDays: 21,
              baselineDays: 60,
              normaliser: { kind: 'ratio' },
              weight: 1,
              missing: { policy: 'neutral', value: 0.75 },
              onlyWhen: [{ metric: 'active_days_trend', windowDays: 7, baselineDays: 60, direction: 'at_least', threshold: 0.1 }],
            }),
          ],
        },
      ]);
      const trend = (weekTrend: number | null) =>
        computeScore(conditional, { active_days_30: 20, active_days_trend_21_60: 0.2, active_days_trend_7_60: weekTrend }).signals[1];
      expect(trend(0.5)).toMatchObject({ rawValue: 0.2, value: 0.2, missing: false });
      // Held back: its neutral value, yet observed (the account's silence was measured).
      expect(trend(0)).toMatchObject({ rawValue: null, value: 0.75, missing: false });
      expect(computeScore(conditional, { active_days_30: 20, active_days_trend_21_60: 0.2, active_days_trend_7_60: 0 }).coverage).toBe(1);
      expect(trend(null)).toMatchObject({ rawValue: 0.2, value: 0.2, missing: false });
      expect(metricRequests(conditional).map((r) => r.key)).toContain('active_days_trend_7_60');
      // Without a baseline it is missing, held back or not: a silent week adds no coverage to an
      // account with nothing before its last few logins.
      const noBaseline = computeScore(conditional, { active_days_30: 2, active_days_trend_21_60: null, active_days_trend_7_60: 0 });
      expect(noBaseline.signals[1]).toMatchObject({ rawValue: null, value: 0.75, missing: true });
      expect(noBaseline.coverage).toBe(0.75);
    });

    it('treats absent metric keys and non-finite numbers as missing', () => {
      const absent = computeScore(model, { active_days_30: 15, days_since_last_activity_90: 5 });
      const notANumber = computeScore(model, { active_days_30: 15, days_since_last_activity_90: 5, payment_success_rate_90: Number.NaN });
      expect(absent.score).toBe(69);
      expect(notANumber.score).toBe(69);
      expect(notANumber.signals.find((s) => s.name === 'payment_health')?.rawValue).toBeNull();
    });

    it('scores 0 with coverage 0 when nothing at all could be included', () => {
      const excludedOnly = modelWith([model.components[1]]);
      const result = computeScore(excludedOnly, { payment_success_rate_90: null });
      expect(result).toMatchObject({ score: 0, scoreBeforePenalties: 0, coverage: 0 });
    });

    it('does not cap an engagement-only account under the default model', () => {
      const result = computeScore(DEFAULT_SCORING_MODEL, {
        silence_vs_cadence_60: 0.5,
        active_days_trend_21_60: 1.1,
        events_trend_21_60: 1.2,
        active_users_vs_usual_14_60: 1,
        feature_breadth_trend_14_60: 0.9,
        seat_utilisation_30: null,
        failed_invoice_streak_90: 0,
        unpaid_later_than_usual_365: 0,
        contraction_90: null,
        ticket_volume_trend_14_90: 0,
        urgent_open_tickets_90: 0,
        csat_mean_90: null,
        nps_weighted_180: null,
      });
      expect(result.score).toBe(100);
      // Seats, contraction, CSAT and NPS were not observed: 18 of the 120 points of weight.
      expect(result.coverage).toBeCloseTo(102 / 120, 4);
    });
  });

  describe('penalties', () => {
    const withPenalties = modelWith(model.components, [
      {
        name: 'late_payments',
        metric: 'late_payments',
        windowDays: 30,
        direction: 'at_least',
        threshold: 1,
        points: 5,
        perUnit: true,
        maxPoints: 12,
      },
      { name: 'usage_decline', metric: 'usage_trend', windowDays: 30, direction: 'below', threshold: 0.8, points: 7 },
    ]);
    const healthy = { active_days_30: 20, days_since_last_activity_90: 1, payment_success_rate_90: 1 };

    it('subtracts points per unit once the threshold is reached, up to the cap', () => {
      const one = computeScore(withPenalties, { ...healthy, late_payments_30: 1, usage_trend_30: 1 });
      expect(one.score).toBe(95);
      expect(one.penalties[0]).toEqual({ name: 'late_payments', rawValue: 1, points: 5, applied: true, heldBack: false });
      const many = computeScore(withPenalties, { ...healthy, late_payments_30: 4, usage_trend_30: 1 });
      expect(many.penalties[0].points).toBe(12);
      expect(many.score).toBe(88);
    });

    it('applies a "below" penalty only strictly under its threshold', () => {
      const atThreshold = computeScore(withPenalties, { ...healthy, late_payments_30: 0, usage_trend_30: 0.8 });
      const under = computeScore(withPenalties, { ...healthy, late_payments_30: 0, usage_trend_30: 0.79 });
      expect(atThreshold.penalties[1].applied).toBe(false);
      expect(atThreshold.score).toBe(100);
      expect(under.penalties[1]).toMatchObject({ applied: true, points: 7 });
      expect(under.score).toBe(93);
    });

    it('applies a penalty with conditions only while every condition holds too', () => {
      const conditional = modelWith(model.components, [
        {
          name: 'usage_halved',
          metric: 'events_trend',
          windowDays: 21,
          baselineDays: 60,
          direction: 'below',
          threshold: 0.5,
          points: 15,
          onlyWhen: [{ metric: 'events_trend', windowDays: 7, baselineDays: 60, direction: 'below', threshold: 0.5 }],
        },
        {
          name: 'team_shrinking',
          metric: 'active_users_trend',
          windowDays: 14,
          baselineDays: 60,
          direction: 'below',
          threshold: 0.5,
          points: 45,
          onlyWhen: [{ metric: 'active_days_trend', windowDays: 14, baselineDays: 60, direction: 'at_least', threshold: 0.6 }],
        },
      ]);
      const score = (metrics: MetricValues) => computeScore(conditional, { ...healthy, ...metrics });
      // Three weeks at 40 % of the usual level, the last week too: a decline going on.
      const declining = score({ events_trend_21_60: 0.4, events_trend_7_60: 0.3 });
      expect(declining.penalties[0]).toEqual({ name: 'usage_halved', rawValue: 0.4, points: 15, applied: true, heldBack: false });
      expect(declining.score).toBe(85);
      // Back from a two-week holiday: the three weeks still read 0.4, the last week is at the usual level.
      const back = score({ events_trend_21_60: 0.4, events_trend_7_60: 1 });
      // It says what held it back: the three weeks alone would have cost 15 points.
      expect(back.penalties[0]).toEqual({
        name: 'usage_halved',
        rawValue: 0.4,
        points: 0,
        applied: false,
        heldBack: true,
        // And which condition held it back, with its value: the last week at its usual level.
        heldBackBy: [{ condition: 0, value: 1 }],
      });
      expect(describeHeldBack(conditional, back.penalties[0], 0)).toEqual([
        { metric: 'events_trend', windowDays: 7, baselineDays: 60, direction: 'below', threshold: 0.5, value: 1 },
      ]);
      expect(back.score).toBe(100);
      // Without a reading for the last week, the three weeks decide alone.
      expect(score({ events_trend_21_60: 0.4 }).penalties[0].applied).toBe(true);
      // A third of the team left while the account is in use as often as before; then nobody came at all.
      expect(score({ active_users_trend_14_60: 0.3, active_days_trend_14_60: 1 }).penalties[1]).toMatchObject({
        applied: true,
        points: 45,
      });
      expect(score({ active_users_trend_14_60: 0.3, active_days_trend_14_60: 0.6 }).penalties[1].applied).toBe(true);
      expect(score({ active_users_trend_14_60: 0.3, active_days_trend_14_60: 0.2 }).penalties[1]).toMatchObject({
        applied: false,
        heldBack: true,
      });
      // Not past its own threshold: nothing to hold back, whatever the conditions say.
      expect(score({ active_users_trend_14_60: 0.9, active_days_trend_14_60: 0.2 }).penalties[1]).toMatchObject({
        applied: false,
        heldBack: false,
      });
    });

    it('applies a penalty whose metric is past its unconditionalThreshold whatever its conditions', () => {
      const lapsing: PenaltyConfig = {
        name: 'lapsing',
        metric: 'days_since_last_activity',
        windowDays: 60,
        direction: 'at_least',
        threshold: 45,
        points: 45,
        onlyWhen: [{ metric: 'silence_vs_cadence', windowDays: 60, direction: 'at_least', threshold: 2 }],
        unconditionalThreshold: 53,
      };
      const below = {
        ...lapsing,
        name: 'low',
        metric: 'nps',
        windowDays: 180,
        direction: 'below',
        threshold: 0,
        unconditionalThreshold: -50,
      } as const;
      const conditional = modelWith(model.components, [lapsing, below]);
      const score = (metrics: MetricValues) => computeScore(conditional, { ...healthy, nps_180: 10, ...metrics });
      // Two usual gaps of a weekly account at 45 days: its condition holds.
      expect(score({ days_since_last_activity_60: 45, silence_vs_cadence_60: 6.4 }).penalties[0]).toMatchObject({ applied: true });
      // A monthly account at 50 days, under two of its gaps: held back by its condition.
      expect(score({ days_since_last_activity_60: 50, silence_vs_cadence_60: 1.67 }).penalties[0]).toEqual({
        name: 'lapsing',
        rawValue: 50,
        points: 0,
        applied: false,
        heldBack: true,
        heldBackBy: [{ condition: 0, value: 1.67 }],
      });
      // At 53 days its condition is not asked.
      expect(score({ days_since_last_activity_60: 53, silence_vs_cadence_60: 1.77 }).penalties[0]).toEqual({
        name: 'lapsing',
        rawValue: 53,
        points: 45,
        applied: true,
        heldBack: false,
      });
      // As a "below" penalty: under −50 whatever its condition, between −50 and 0 only with it.
      expect(score({ nps_180: -60, silence_vs_cadence_60: 0 }).penalties[1]).toMatchObject({ applied: true, heldBack: false });
      expect(score({ nps_180: -40, silence_vs_cadence_60: 0 }).penalties[1]).toMatchObject({ applied: false, heldBack: true });
      // Widened by penaltyHysteresis for a flag that applied before: 53 − 5.3 days, no condition asked.
      const hysteresis = { ...conditional, penaltyHysteresis: 0.1 };
      const kept = computeScore(
        hysteresis,
        { ...healthy, days_since_last_activity_60: 48, silence_vs_cadence_60: 1 },
        new Set(['lapsing']),
      );
      expect(kept.penalties[0]).toMatchObject({ applied: true, kept: true });
    });

    it('never applies a penalty whose metric is missing', () => {
      const result = computeScore(withPenalties, { ...healthy, late_payments_30: null, usage_trend_30: null });
      expect(result.penalties.every((p) => !p.applied && p.points === 0)).toBe(true);
    });

    it('keeps the score before penalties and clamps the final score at 0', () => {
      const weak = { active_days_30: 2, days_since_last_activity_90: 20, payment_success_rate_90: 0 };
      const result = computeScore(withPenalties, { ...weak, late_payments_30: 3, usage_trend_30: 0.2 });
      expect(result.scoreBeforePenalties).toBe(4);
      expect(result.score).toBe(0);
    });
  });

  it('maps metric keys back to signal and penalty names', () => {
    const metrics = {
      active_days_trend_21_60: 0.6,
      silence_vs_cadence_60: null,
      failed_invoice_streak_90: 2,
      ticket_volume_trend_14_90: 3.5,
    };
    const result = computeScore(DEFAULT_SCORING_MODEL, metrics);
    const rawByName = Object.fromEntries([...result.signals, ...result.penalties].map((item) => [item.name, item.rawValue]));
    expect(rawByName).toMatchObject({
      active_days_trend: 0.6,
      silence: null,
      payment_failures: 2,
      payment_failure_penalty: 2,
      ticket_surge: 3.5,
      ticket_surge_penalty: 3.5,
      nps: null,
    });
  });

  it('asks the SQL layer for exactly the metrics it reads', () => {
    const keys = metricRequests(DEFAULT_SCORING_MODEL).map((r) => r.key);
    const metrics = Object.fromEntries(keys.map((key) => [key, 1]));
    const result = computeScore(DEFAULT_SCORING_MODEL, metrics);
    expect(result.signals.every((s) => !s.missing)).toBe(true);
    expect(result.coverage).toBe(1);
  });
});

describe('computeScore against its definition', () => {
  it('gives the reference explanation for 2,000 random customers of the default model', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let n = 0; n < 2000; n++) {
      const metrics: MetricValues = {};
      for (const request of metricRequests(DEFAULT_SCORING_MODEL)) {
        const roll = random();
        // Some missing, some NaN, some zero, the rest spread over a realistic range.
        if (roll < 0.15) continue;
        metrics[request.key] =
          roll < 0.18 ? Number.NaN : roll < 0.25 ? 0 : Math.round(random() * 400) / 4 - (request.metric === 'nps' ? 50 : 0);
      }
      expect(computeScore(DEFAULT_SCORING_MODEL, metrics)).toEqual(referenceScore(DEFAULT_SCORING_MODEL, metrics));
    }
  });
});
