// Turns one customer's metric values into a 0…100 score that explains itself: per-signal
// contributions, per-component scores, the penalties applied, and how much of it was observed.
import { metricKeyOf } from './metrics';
import { clamp01, normalise } from './normalise';
import type {
  ComponentResult,
  HeldBackCondition,
  MetricValues,
  PenaltyCondition,
  PenaltyConfig,
  PenaltyResult,
  ScoreResult,
  ScoringModelConfig,
  SignalConfig,
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

function crosses(value: number, condition: Pick<PenaltyCondition, 'direction' | 'threshold'>): boolean {
  return condition.direction === 'at_least' ? value >= condition.threshold : value < condition.threshold;
}

/**
 * A threshold moved by `margin` (a share of its size) to the side that keeps a crossing crossed:
 * `below 0.5` with 0.1 becomes `below 0.55`, `at_least 0.6` becomes `at_least 0.54`.
 */
function widened<T extends Pick<PenaltyCondition, 'direction' | 'threshold'>>(condition: T, margin: number): T {
  if (margin === 0) return condition;
  const by = margin * Math.abs(condition.threshold);
  return { ...condition, threshold: condition.direction === 'at_least' ? condition.threshold - by : condition.threshold + by };
}

/** How a penalty stood at the previous scoring: whether it applied, and by what share its thresholds widen for that. */
interface PenaltyHistory {
  appliedBefore: boolean;
  margin: number;
}

const NOT_APPLIED_BEFORE: PenaltyHistory = { appliedBefore: false, margin: 0 };

/**
 * Whether a condition holds: its metric is missing, it only starts a flag and the flag applied
 * already, or its metric is past its threshold (widened by the margin of a flag that applied).
 */
function holds(condition: PenaltyCondition, value: number | null, history: PenaltyHistory): boolean {
  return value === null || (history.appliedBefore && condition.startOnly === true) || crosses(value, widened(condition, history.margin));
}

/** Whether a penalty's metric is past its `unconditionalThreshold` (widened as its threshold), where its conditions are not asked. */
function pastConditions(penalty: PenaltyConfig, rawValue: number, history: PenaltyHistory): boolean {
  return (
    penalty.unconditionalThreshold !== undefined &&
    crosses(rawValue, widened({ direction: penalty.direction, threshold: penalty.unconditionalThreshold }, history.margin))
  );
}

/** Whether a penalty's metric is past its threshold and every one of its conditions holds (or the metric is past them), as `history` reads them. */
function applies(
  penalty: PenaltyConfig,
  rawValue: number,
  conditionValues: ReadonlyArray<number | null>,
  history: PenaltyHistory,
): boolean {
  return (
    crosses(rawValue, widened(penalty, history.margin)) &&
    (pastConditions(penalty, rawValue, history) || conditionValues.every((value, i) => holds(penalty.onlyWhen![i], value, history)))
  );
}

/**
 * A penalty's result from its metric and, per `onlyWhen` condition, the condition's metric (null:
 * missing, holds back nothing; none is asked once the metric is past `unconditionalThreshold`). A
 * penalty that applied at the previous scoring has its thresholds and conditions widened by the
 * history's margin, so it lifts only once they are cleared by it, and its `startOnly` conditions are
 * not asked again (`kept` when it applies only thanks to either).
 */
function penaltyPoints(
  penalty: PenaltyConfig,
  rawValue: number | null,
  conditionValues: ReadonlyArray<number | null>,
  history: PenaltyHistory,
): PenaltyResult {
  const crossed = rawValue !== null && crosses(rawValue, widened(penalty, history.margin));
  if (!crossed) return { name: penalty.name, rawValue, points: 0, applied: false, heldBack: false };
  const heldBackBy = pastConditions(penalty, rawValue, history)
    ? []
    : conditionValues.flatMap((value, i) =>
        holds(penalty.onlyWhen![i], value, history) ? [] : [{ condition: i, value: roundTo(value as number, 4) }],
      );
  if (heldBackBy.length > 0) return { name: penalty.name, rawValue, points: 0, applied: false, heldBack: true, heldBackBy };
  const points = penalty.perUnit ? Math.min(penalty.points * rawValue, penalty.maxPoints ?? Number.POSITIVE_INFINITY) : penalty.points;
  const result: PenaltyResult = { name: penalty.name, rawValue, points, applied: true, heldBack: false };
  if (history.appliedBefore && !applies(penalty, rawValue, conditionValues, NOT_APPLIED_BEFORE)) result.kept = true;
  return result;
}

const NO_CONDITIONS: ReadonlyArray<number | null> = [];

/**
 * The conditions that held a penalty back, as its model states them, with their values: the
 * penalty's `heldBackBy` read against the model that scored it, whose penalties a score lists in
 * the same order (`position`). Empty when the penalty was not held back, when its score predates
 * the record, or when the model is unknown.
 */
export function describeHeldBack(model: ScoringModelConfig | null, penalty: PenaltyResult, position: number): HeldBackCondition[] {
  const config = model?.penalties[position];
  if (!penalty.heldBackBy?.length || config?.name !== penalty.name) return [];
  return penalty.heldBackBy.flatMap(({ condition, value }) => {
    const stated = config.onlyWhen?.[condition];
    return stated ? [{ ...stated, value }] : [];
  });
}

/** A model's signals and penalties with their metric keys worked out once, not per customer. */
interface CompiledModel {
  components: Array<{ name: string; signals: Array<{ config: SignalConfig; key: string; conditionKeys: string[] }> }>;
  penalties: Array<{ config: PenaltyConfig; key: string; conditionKeys: string[] }>;
}

const compiledModels = new WeakMap<ScoringModelConfig, CompiledModel>();

function compile(model: ScoringModelConfig): CompiledModel {
  let compiled = compiledModels.get(model);
  if (!compiled) {
    compiled = {
      components: model.components.map((component) => ({
        name: component.name,
        signals: component.signals.map((signal) => ({
          config: signal,
          key: metricKeyOf(signal),
          conditionKeys: (signal.onlyWhen ?? []).map(metricKeyOf),
        })),
      })),
      penalties: model.penalties.map((penalty) => ({
        config: penalty,
        key: metricKeyOf(penalty),
        conditionKeys: (penalty.onlyWhen ?? []).map(metricKeyOf),
      })),
    };
    compiledModels.set(model, compiled);
  }
  return compiled;
}

/** A metric value, with absent keys and non-finite numbers read as missing (see readMetric). */
function metricValue(metrics: MetricValues, key: string): number | null {
  const value = metrics[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Whether a signal is measured: each of its `onlyWhen` conditions holds (a missing metric holds). */
function measured(signal: SignalConfig, conditionKeys: string[], metrics: MetricValues): boolean {
  for (let i = 0; i < conditionKeys.length; i++) {
    const value = metricValue(metrics, conditionKeys[i]);
    if (value !== null && !crosses(value, signal.onlyWhen![i])) return false;
  }
  return true;
}

/** Pass 1 of a scoring: every signal normalised, with per-component and overall weight sums. */
interface NormalisedSignals {
  rawValues: Array<number | null>;
  values: Array<number | null>;
  missing: boolean[];
  /** Per component, by index. */
  ownIncludedWeight: number[];
  ownWeightedValue: number[];
  ownIncludedCount: number[];
  ownTotalWeight: number[];
  ownObservedWeight: number[];
  includedWeight: number;
  totalWeight: number;
  observedWeight: number;
}

/**
 * Normalises every signal of the compiled model. Weight sums are summed in signal order, as the
 * explanation's figures always were, so they stay identical to the last bit.
 */
function normaliseSignals(compiled: ReturnType<typeof compile>, metrics: MetricValues): NormalisedSignals {
  const count = compiled.components.reduce((n, c) => n + c.signals.length, 0);
  const components = compiled.components.length;
  const pass: NormalisedSignals = {
    rawValues: new Array<number | null>(count),
    values: new Array<number | null>(count),
    missing: new Array<boolean>(count),
    ownIncludedWeight: new Array<number>(components),
    ownWeightedValue: new Array<number>(components),
    ownIncludedCount: new Array<number>(components),
    ownTotalWeight: new Array<number>(components),
    ownObservedWeight: new Array<number>(components),
    includedWeight: 0,
    totalWeight: 0,
    observedWeight: 0,
  };
  let i = 0;
  for (let c = 0; c < components; c++) {
    let cIncludedWeight = 0;
    let cWeightedValue = 0;
    let cIncluded = 0;
    let cTotalWeight = 0;
    let cObservedWeight = 0;
    for (const { config: signal, key, conditionKeys } of compiled.components[c].signals) {
      // Held back by its conditions, a signal takes its missing policy's value, yet was observed when
      // its own metric has a value: a silent account is not a data-poor one. One without a baseline
      // is, silent or not: its coverage must not rise as its silence holds the signal back.
      const heldBack = !measured(signal, conditionKeys, metrics);
      const ownValue = metricValue(metrics, key);
      const rawValue = heldBack ? null : ownValue;
      let value: number | null;
      pass.rawValues[i] = rawValue;
      if (rawValue !== null) value = normalise(rawValue, signal.normaliser);
      else value = signal.missing.policy === 'neutral' ? clamp01(signal.missing.value) : null;
      pass.missing[i] = ownValue === null;
      if (!pass.missing[i]) {
        cObservedWeight += signal.weight;
        pass.observedWeight += signal.weight;
      }
      pass.values[i] = value;
      if (value !== null) {
        cIncludedWeight += signal.weight;
        cWeightedValue += signal.weight * value;
        cIncluded++;
        pass.includedWeight += signal.weight;
      }
      cTotalWeight += signal.weight;
      pass.totalWeight += signal.weight;
      i++;
    }
    pass.ownIncludedWeight[c] = cIncludedWeight;
    pass.ownWeightedValue[c] = cWeightedValue;
    pass.ownIncludedCount[c] = cIncluded;
    pass.ownTotalWeight[c] = cTotalWeight;
    pass.ownObservedWeight[c] = cObservedWeight;
  }
  return pass;
}

/** Pass 2: each signal's explanation, and the score before penalties (0…100, unrounded). */
function explainSignals(compiled: ReturnType<typeof compile>, pass: NormalisedSignals): { signals: SignalResult[]; baseScore: number } {
  const share = (weight: number) => (pass.includedWeight > 0 ? weight / pass.includedWeight : 0);
  let baseScore = 0;
  const signals: SignalResult[] = new Array(pass.values.length);
  let i = 0;
  for (const component of compiled.components) {
    for (const { config: signal } of component.signals) {
      const value = pass.values[i];
      const included = value !== null;
      const effectiveShare = share(signal.weight);
      if (included) baseScore += effectiveShare * value;
      signals[i] = {
        name: signal.name,
        component: component.name,
        rawValue: pass.rawValues[i],
        value: value === null ? null : roundTo(value, 4),
        weight: signal.weight,
        effectiveWeight: included ? roundTo(effectiveShare, 4) : 0,
        contribution: included ? roundTo(100 * effectiveShare * value, 2) : 0,
        missing: pass.missing[i],
      };
      i++;
    }
  }
  return { signals, baseScore: baseScore * 100 };
}

/**
 * Score = round(100 · Σ wᵢvᵢ / Σ wᵢ) over the included signals, minus penalty points, clamped to
 * 0…100. Neutral-missing signals are included at their neutral value; excluded-missing ones drop
 * out and their weight is redistributed over the rest. When nothing at all is included the score
 * is 0 with coverage 0: there is no evidence of health, and coverage tells the reader why.
 *
 * Runs for every customer of every scoring run, so it is written as plain loops over a compiled
 * model (two passes, no intermediate arrays): at 100,000 customers allocation is the cost.
 */
export function computeScore(
  model: ScoringModelConfig,
  metrics: MetricValues,
  previouslyApplied: ReadonlySet<string> | null = null,
): ScoreResult {
  const compiled = compile(model);
  const pass = normaliseSignals(compiled, metrics);
  const { signals, baseScore } = explainSignals(compiled, pass);
  const share = (weight: number) => (pass.includedWeight > 0 ? weight / pass.includedWeight : 0);
  const components: ComponentResult[] = compiled.components.map((component, c) => ({
    name: component.name,
    score:
      pass.ownIncludedCount[c] === 0 || pass.ownIncludedWeight[c] === 0
        ? null
        : roundScore((100 * pass.ownWeightedValue[c]) / pass.ownIncludedWeight[c]),
    weight: roundTo(share(pass.ownIncludedWeight[c]), 4),
    coverage: pass.ownTotalWeight[c] > 0 ? roundTo(pass.ownObservedWeight[c] / pass.ownTotalWeight[c], 4) : 0,
  }));

  let penaltyTotal = 0;
  const penalties: PenaltyResult[] = compiled.penalties.map(({ config, key, conditionKeys }) => {
    const conditionValues = conditionKeys.length === 0 ? NO_CONDITIONS : conditionKeys.map((k) => metricValue(metrics, k));
    const history = previouslyApplied?.has(config.name)
      ? { appliedBefore: true, margin: model.penaltyHysteresis ?? 0 }
      : NOT_APPLIED_BEFORE;
    const result = penaltyPoints(config, metricValue(metrics, key), conditionValues, history);
    penaltyTotal += result.points;
    return result;
  });

  return {
    score: Math.min(100, Math.max(0, roundScore(baseScore - penaltyTotal))),
    scoreBeforePenalties: roundScore(baseScore),
    components,
    signals,
    penalties,
    coverage: pass.totalWeight > 0 ? roundTo(pass.observedWeight / pass.totalWeight, 4) : 0,
  };
}

/**
 * Whether a model's scoring depends on the flags the previous score applied: it widens them
 * (`penaltyHysteresis`), or some condition only starts a flag (`startOnly`). The others need not
 * read them.
 */
export function readsPreviousFlags(model: ScoringModelConfig): boolean {
  return (model.penaltyHysteresis ?? 0) > 0 || model.penalties.some((p) => p.onlyWhen?.some((c) => c.startOnly === true));
}

/** A definition (a penalty's, a condition's) as text, its keys sorted: jsonb keeps a stored model's keys in an order of its own. */
function definition(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : inner,
  );
}

/**
 * Whether a flag that applied under `earlier` applies under `penalty` too: the same flag (metric,
 * window, threshold, points…, or a new way past its conditions: withoutNewUnconditionalThreshold),
 * whose conditions asked at every scoring were all asked at every scoring under `earlier` (so they
 * held when it applied). Its conditions asked only to raise it, new, changed or once asked at every
 * scoring, are not asked of a flag carried; a condition dropped holds it back no more.
 */
function appliesAsBefore(penalty: PenaltyConfig, earlier: PenaltyConfig): boolean {
  const { onlyWhen: conditions = [], ...own } = withoutNewUnconditionalThreshold(penalty, earlier);
  const { onlyWhen: earlierConditions = [], ...earlierOwn } = earlier;
  if (definition(own) !== definition(earlierOwn)) return false;
  // Asked at every scoring, `startOnly: false` written out or left out alike.
  const asked = ({ startOnly: _asked, ...condition }: PenaltyCondition) => definition(condition);
  const askedBefore = new Set(earlierConditions.filter((condition) => !condition.startOnly).map(asked));
  return conditions.every((condition) => condition.startOnly === true || askedBefore.has(asked(condition)));
}

/**
 * `penalty` with the `unconditionalThreshold` of `earlier` where its own only adds a way to apply
 * (new, or nearer the threshold): a flag that applied under `earlier` applies under `penalty` too.
 */
function withoutNewUnconditionalThreshold(penalty: PenaltyConfig, earlier: PenaltyConfig | undefined): PenaltyConfig {
  const own = penalty.unconditionalThreshold;
  const before = earlier?.unconditionalThreshold;
  if (!earlier || own === undefined || own === before) return penalty;
  const looser = before === undefined || (penalty.direction === 'at_least' ? own < before : own > before);
  if (!looser) return penalty;
  const { unconditionalThreshold: _dropped, ...rest } = penalty;
  return before === undefined ? rest : { ...rest, unconditionalThreshold: before };
}

/**
 * The flags a scoring under `model` carries on from a score under `previousModel`: those `model`
 * defines as `previousModel` did, but for conditions asked only to raise them (new ones, changed ones,
 * or ones it asked at every scoring), conditions dropped, or a new way past its conditions
 * (`unconditionalThreshold`): a flag that applied would apply under the new definition too (session
 * 55 made the default model's conditions on the account being in use so, session 66 added and changed
 * such conditions, and their upgrades lifted no flag: appliesAsBefore). A flag of the same name defined anew otherwise
 * starts afresh, its start conditions asked; one left as it was (a new tier scheme, new weights) stays
 * kept, or a change of tiers alone would lift every flag held by its hysteresis. Compared once per
 * pair of models, not per customer: serialising every definition is the cost of the comparison.
 */
export function flagsDefinedAlike(previousModel: ScoringModelConfig, model: ScoringModelConfig): ReadonlySet<string> {
  const before = new Map(previousModel.penalties.map((penalty) => [penalty.name, penalty]));
  return new Set(
    model.penalties
      .filter((penalty) => {
        const earlier = before.get(penalty.name);
        return earlier !== undefined && appliesAsBefore(penalty, earlier);
      })
      .map((penalty) => penalty.name),
  );
}

/**
 * The flags a score under another model version applied that this scoring carries on: those the two
 * define alike (`flagsDefinedAlike`). None when that version is unknown (null).
 */
export function carriedFlags(applied: Iterable<string>, definedAlike: ReadonlySet<string> | null): ReadonlySet<string> {
  if (definedAlike === null) return new Set();
  return new Set([...applied].filter((name) => definedAlike.has(name)));
}

/** The names of the penalties a score applied: what the next scoring widens (`penaltyHysteresis`). */
export function appliedPenalties(penalties: readonly PenaltyResult[]): ReadonlySet<string> {
  return new Set(penalties.filter((p) => p.applied).map((p) => p.name));
}

/**
 * Whether a score held a penalty back by a condition that only starts it (`startOnly`): a flag a
 * scoring with history could be carrying, since that condition is not asked again once it applied.
 */
export function heldBackByStartCondition(model: ScoringModelConfig, penalties: readonly PenaltyResult[]): boolean {
  return penalties.some(
    (penalty, position) =>
      penalty.heldBack && penalty.heldBackBy?.some(({ condition }) => model.penalties[position]?.onlyWhen?.[condition]?.startOnly === true),
  );
}

/**
 * The flags a scoring of each of `metricsInOrder` in turn (oldest instant first) would carry into the
 * next scoring, starting from `seed`: the flags of a scoring before them (null without one).
 */
export function flagsCarriedThrough(
  model: ScoringModelConfig,
  metricsInOrder: readonly MetricValues[],
  seed: ReadonlySet<string> | null,
): ReadonlySet<string> | null {
  let flags = seed;
  for (const metrics of metricsInOrder) flags = appliedPenalties(computeScore(model, metrics, flags).penalties);
  return flags;
}
