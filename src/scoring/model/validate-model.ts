// Validation of a scoring-model configuration before it is stored or activated. A model arrives
// as JSON from `updateScoringModel`, so every rule the scoring core relies on is checked here once
// instead of being defended against in every function.
import { placeholderNames, TEMPLATE_PLACEHOLDERS } from './playbooks';
import { metricKeyOf } from './metrics';
import { bandBounds } from './tiers';
import { BASELINE_METRICS, LEANEST_METRICS, MAX_PENALTY_CONDITIONS, METRIC_KINDS } from './types';
import { breaksALabel, hasLoneSurrogate, hasNul, showsNothing } from '../../infra/text-rules';
import { characterCount, longerThan } from '../../infra/input';
import type {
  Normaliser,
  OutreachChannel,
  PenaltyCondition,
  PenaltyConfig,
  PlaybookAction,
  PlaybookConfig,
  ScoringModelConfig,
  SignalConfig,
  TierBand,
} from './types';

const CHANNELS: readonly OutreachChannel[] = ['EMAIL', 'IN_APP', 'SLACK', 'CRM_TASK'];
const CUSTOMER_CHANNELS: readonly OutreachChannel[] = ['EMAIL', 'IN_APP'];

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isPositiveInteger = (value: unknown): boolean => Number.isInteger(value) && (value as number) > 0;
/** Ten years: the longest window the SQL aggregates accept. */
export const MAX_WINDOW_DAYS = 3650;
/** The highest tier severity: a rank among at most MODEL_LIMITS.tiers bands, with room to number them sparsely. */
const MAX_SEVERITY = 1000;
/** Bound of a normaliser's parameters and a penalty's threshold: metrics are counts, ratios, days and NPS. */
const MAX_MAGNITUDE = 1_000_000;

/**
 * A setting counted in days is a whole number of them within `min`…MAX_WINDOW_DAYS: scoring works by
 * the day, and a fraction (0.01 of a day, a quarter of an hour) is a slip, not a setting; a bound of
 * 1 refused 0 while it took 0.01.
 */
function dayCountErrors(path: string, value: unknown, min: 0 | 1): string[] {
  const valid = Number.isInteger(value) && (value as number) >= min && (value as number) <= MAX_WINDOW_DAYS;
  return valid ? [] : [`${path} must be a whole number of days within ${min}…${MAX_WINDOW_DAYS}`];
}

/**
 * dayCountErrors for a setting that took a fraction of a day before whole days were required
 * (onboarding and churn window, silence, cooldowns, holdDays): the value `active` (the active model's
 * at the same place) has, unchanged, passes as it was stored, so that a model stored then can still
 * be changed elsewhere, or previewed, without the admin first touching a setting never changed.
 */
function changedDayCountErrors(path: string, value: unknown, min: 0 | 1, active: unknown): string[] {
  return active !== undefined && value === active ? [] : dayCountErrors(path, value, min);
}

/** A signal's or penalty's window and, for metrics relative to the account's history, its baseline. */
function windowErrors(path: string, source: { metric: string; windowDays: number; baselineDays?: number }): string[] {
  const errors = dayCountErrors(`${path}.windowDays`, source.windowDays, 1);
  const needsBaseline = BASELINE_METRICS.has(source.metric as never);
  if (needsBaseline && (!isPositiveInteger(source.baselineDays) || (source.baselineDays as number) > MAX_WINDOW_DAYS)) {
    errors.push(`${path}.baselineDays must be a whole number of days within 1…${MAX_WINDOW_DAYS} for metric "${source.metric}"`);
  } else if (needsBaseline && !((source.baselineDays as number) > source.windowDays)) {
    errors.push(
      `${path}.baselineDays must be longer than windowDays: the baseline is the account's usual level over a span that holds the recent window`,
    );
  } else if (LEANEST_METRICS.has(source.metric as never) && (source.baselineDays as number) < 2 * source.windowDays) {
    errors.push(
      `${path}.baselineDays must be at least twice windowDays for metric "${source.metric}": it compares the recent window with earlier windows of its length within the baseline`,
    );
  } else if (!needsBaseline && source.baselineDays !== undefined) {
    errors.push(`${path}.baselineDays only applies to ${[...BASELINE_METRICS].join(', ')}`);
  }
  return errors;
}
const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
/** A setting left out (or null, as JSON clients send an unset field): it is required, not of an unknown value. */
const isAbsent = (value: unknown): value is null | undefined => value === undefined || value === null;

/** The code points of `value`, text that displays as nothing, named: a message quoting it would show nothing either. */
function invisibleCodePoints(value: string): string {
  const points = new Set([...value].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`));
  return [...points].join(', ');
}

/**
 * `value` as JSON, with the line separators and direction overrides JSON leaves as they are written
 * as escapes: a message quoting them would otherwise break its line or display reordered.
 */
function quoted(value: string): string {
  return JSON.stringify(value).replace(
    /[\u2028\u2029\u202A-\u202E\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * What a one-line text of the model that people read must be (a tier's key and label, a component's,
 * signal's or penalty's name, an action's name): lists, reasons, alerts and Slack messages show it as
 * written, so it holds something visible, no white space around it, and, like every label of the API
 * (infra/input's labels), no control character, line separator or direction override. The first
 * problem of `value`, the field at `path`, or null.
 */
function oneLineTextProblem(path: string, value: unknown): string | null {
  if (!isNonEmptyString(value)) return `${path} is required`;
  if (showsNothing(value)) return `${path} shows nothing: it holds only characters displayed as nothing (${invisibleCodePoints(value)})`;
  if (value !== value.trim()) return `${path} ${quoted(value)} starts or ends with white space`;
  if (breaksALabel(value)) return `${path} ${quoted(value)} holds a control character or a direction override`;
  return null;
}
const oneLineTextErrors = (path: string, value: unknown): string[] => {
  const problem = oneLineTextProblem(path, value);
  return problem === null ? [] : [problem];
};

/**
 * The keys an object of the model may hold. A key the scoring core does not read (a misspelt
 * `penaltyHysterisis`) would otherwise be stored and silently ignored, and the setting meant left at its default.
 */
const KNOWN_KEYS = {
  model: [
    'components',
    'penalties',
    'tiers',
    'hysteresis',
    'penaltyHysteresis',
    'trend',
    'lifecycle',
    'scoreDrop',
    'playbooks',
    'cooldownDays',
    'escalationArrCents',
    'silenceAlertDays',
    'silenceAlertGaps',
  ],
  component: ['name', 'signals'],
  signal: ['name', 'metric', 'windowDays', 'baselineDays', 'normaliser', 'weight', 'missing', 'onlyWhen'],
  missing: ['policy', 'value'],
  penalty: [
    'name',
    'metric',
    'windowDays',
    'baselineDays',
    'direction',
    'threshold',
    'points',
    'perUnit',
    'maxPoints',
    'onlyWhen',
    'unconditionalThreshold',
  ],
  condition: ['metric', 'windowDays', 'baselineDays', 'direction', 'threshold', 'startOnly'],
  tier: ['key', 'label', 'lowerBound', 'severity'],
  trend: ['windowDays', 'threshold'],
  lifecycle: ['onboardingDays', 'minCoverage', 'churnWindowDays', 'advocateMinScore', 'advocateMinNps'],
  scoreDrop: ['points', 'withinDays'],
  playbook: ['key', 'kind', 'tierKey', 'minScore', 'holdDays', 'cooldownDays', 'actions'],
  action: ['action', 'audience', 'channel', 'template', 'escalation'],
} as const satisfies Record<string, readonly string[]>;

/** A normaliser's keys by kind. */
const NORMALISER_KEYS: Record<string, readonly string[]> = {
  target: ['kind', 'target'],
  inverse_target: ['kind', 'max'],
  recency: ['kind', 'fullDays', 'zeroDays'],
  linear: ['kind', 'min', 'max'],
  ratio: ['kind'],
};

/** One message per key of `value` (an object of the model at `path`) that is not in `known`. */
function unknownKeyErrors(path: string, value: unknown, known: readonly string[]): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.keys(value)
    .filter((key) => !known.includes(key))
    .map((key) => `${path ? `${path}.` : ''}${key} is not a setting of a scoring model (known here: ${known.join(', ')})`);
}

function normaliserErrors(path: string, normaliser: Normaliser): string[] {
  const known = Object.hasOwn(NORMALISER_KEYS, normaliser.kind) ? NORMALISER_KEYS[normaliser.kind] : null;
  const unknown = known ? unknownKeyErrors(path, normaliser, known) : [];
  return [...unknown, ...normaliserValueErrors(path, normaliser)];
}

function normaliserValueErrors(path: string, normaliser: Normaliser): string[] {
  switch (normaliser.kind) {
    case 'target':
      return isFiniteNumber(normaliser.target) && normaliser.target > 0 && normaliser.target <= MAX_MAGNITUDE
        ? []
        : [`${path}.target must be > 0 and at most 1,000,000`];
    case 'inverse_target':
      return isFiniteNumber(normaliser.max) && normaliser.max > 0 && normaliser.max <= MAX_MAGNITUDE
        ? []
        : [`${path}.max must be > 0 and at most 1,000,000`];
    case 'recency':
      return isFiniteNumber(normaliser.fullDays) &&
        isFiniteNumber(normaliser.zeroDays) &&
        normaliser.fullDays >= 0 &&
        normaliser.zeroDays > normaliser.fullDays &&
        normaliser.zeroDays <= MAX_MAGNITUDE
        ? []
        : [`${path} needs 0 ≤ fullDays < zeroDays`];
    case 'linear':
      return isFiniteNumber(normaliser.min) &&
        isFiniteNumber(normaliser.max) &&
        normaliser.max > normaliser.min &&
        Math.abs(normaliser.min) <= MAX_MAGNITUDE &&
        Math.abs(normaliser.max) <= MAX_MAGNITUDE
        ? []
        : [`${path} needs min < max, both within ±1,000,000`];
    case 'ratio':
      return [];
    default: {
      const kind: unknown = (normaliser as { kind?: unknown }).kind;
      return [isAbsent(kind) ? `${path}.kind is required` : `${path}.kind ${JSON.stringify(kind)} is not a known normaliser`];
    }
  }
}

function metricErrors(path: string, metric: unknown): string[] {
  if (isAbsent(metric)) return [`${path}.metric is required`];
  return METRIC_KINDS.includes(metric as never) ? [] : [`${path}.metric ${JSON.stringify(metric)} is not a known metric`];
}

function signalErrors(path: string, signal: SignalConfig): string[] {
  const errors: string[] = unknownKeyErrors(path, signal, KNOWN_KEYS.signal);
  errors.push(...unknownKeyErrors(`${path}.missing`, signal.missing, KNOWN_KEYS.missing));
  errors.push(...oneLineTextErrors(`${path}.name`, signal.name));
  errors.push(...metricErrors(path, signal.metric));
  errors.push(...windowErrors(path, signal));
  if (!isFiniteNumber(signal.weight) || signal.weight < 0 || signal.weight > 1_000_000)
    errors.push(`${path}.weight must be within 0…1,000,000`);
  errors.push(...normaliserErrors(`${path}.normaliser`, signal.normaliser));
  const missing = signal.missing;
  if (missing.policy !== 'neutral' && missing.policy !== 'exclude') {
    errors.push(`${path}.missing.policy must be "neutral" or "exclude"`);
  } else if (missing.policy === 'neutral' && !(isFiniteNumber(missing.value) && missing.value >= 0 && missing.value <= 1)) {
    errors.push(`${path}.missing.value must be within 0…1`);
  }
  errors.push(...conditionErrors(path, signal.onlyWhen));
  if ((signal.onlyWhen ?? []).some((condition) => condition.startOnly !== undefined))
    errors.push(`${path}.onlyWhen: startOnly only applies to a penalty's conditions`);
  return errors;
}

function penaltyErrors(path: string, penalty: PenaltyConfig): string[] {
  const errors: string[] = unknownKeyErrors(path, penalty, KNOWN_KEYS.penalty);
  errors.push(...oneLineTextErrors(`${path}.name`, penalty.name));
  errors.push(...metricErrors(path, penalty.metric));
  errors.push(...windowErrors(path, penalty));
  if (penalty.direction !== 'at_least' && penalty.direction !== 'below') {
    errors.push(`${path}.direction must be "at_least" or "below"`);
  }
  if (!isFiniteNumber(penalty.threshold) || Math.abs(penalty.threshold) > MAX_MAGNITUDE)
    errors.push(`${path}.threshold must be a number within ±1,000,000`);
  if (!isFiniteNumber(penalty.points) || penalty.points < 0 || penalty.points > 100) errors.push(`${path}.points must be within 0…100`);
  // Scoring reads any truthy value as per unit: "false" would multiply the points by the metric.
  if (penalty.perUnit !== undefined && typeof penalty.perUnit !== 'boolean') errors.push(`${path}.perUnit must be true or false`);
  else if (penalty.perUnit && penalty.direction !== 'at_least') errors.push(`${path}.perUnit only makes sense with "at_least"`);
  // Per unit, the points are points × the metric: from a threshold ≥ 0 the metric (and the points)
  // can never be negative, even widened by penaltyHysteresis (at most half of it), so a red flag
  // never gives points back (NPS runs from −100).
  else if (penalty.perUnit && isFiniteNumber(penalty.threshold) && penalty.threshold < 0) {
    errors.push(
      `${path}.threshold must be ≥ 0 for a perUnit penalty: its points are points × the metric, and a negative metric would add points`,
    );
  }
  if (penalty.maxPoints !== undefined && (!isFiniteNumber(penalty.maxPoints) || penalty.maxPoints < 0 || penalty.maxPoints > 100)) {
    errors.push(`${path}.maxPoints must be within 0…100`);
  } else if (penalty.maxPoints !== undefined && penalty.perUnit !== true) {
    // It caps points × the metric; a flag of fixed points has nothing to cap, and a cap stored and ignored would mislead.
    errors.push(`${path}.maxPoints only applies to a perUnit penalty`);
  }
  errors.push(...conditionErrors(path, penalty.onlyWhen));
  errors.push(...unconditionalThresholdErrors(path, penalty));
  return errors;
}

/**
 * An `unconditionalThreshold` lies past the threshold in the penalty's direction (at or before it,
 * the conditions would never be asked), and comes with conditions to do without: alone it would be
 * a second threshold that changes nothing, stored and ignored.
 */
function unconditionalThresholdErrors(path: string, penalty: PenaltyConfig): string[] {
  const value = penalty.unconditionalThreshold;
  if (value === undefined) return [];
  const at = `${path}.unconditionalThreshold`;
  if (!isFiniteNumber(value) || Math.abs(value) > MAX_MAGNITUDE) return [`${at} must be a number within ±1,000,000`];
  if (!penalty.onlyWhen?.length) return [`${at} only applies to a penalty with onlyWhen conditions`];
  if (!isFiniteNumber(penalty.threshold)) return [];
  if (penalty.direction === 'at_least' && value <= penalty.threshold) return [`${at} must be above threshold for "at_least"`];
  if (penalty.direction === 'below' && value >= penalty.threshold) return [`${at} must be below threshold for "below"`];
  return [];
}

function conditionErrors(path: string, conditions: PenaltyCondition[] | undefined): string[] {
  if (conditions === undefined) return [];
  if (conditions.length > MAX_PENALTY_CONDITIONS)
    return [`${path}.onlyWhen must be a list of at most ${MAX_PENALTY_CONDITIONS} conditions`];
  return conditions.flatMap((condition, index) => {
    const at = `${path}.onlyWhen[${index}]`;
    const errors: string[] = unknownKeyErrors(at, condition, KNOWN_KEYS.condition);
    errors.push(...metricErrors(at, condition.metric));
    errors.push(...windowErrors(at, condition));
    if (condition.direction !== 'at_least' && condition.direction !== 'below') errors.push(`${at}.direction must be "at_least" or "below"`);
    if (!isFiniteNumber(condition.threshold) || Math.abs(condition.threshold) > MAX_MAGNITUDE)
      errors.push(`${at}.threshold must be a number within ±1,000,000`);
    if (condition.startOnly !== undefined && typeof condition.startOnly !== 'boolean') errors.push(`${at}.startOnly must be true or false`);
    return errors;
  });
}

/** A tier or playbook key as keys are told apart (keyErrors): two that differ only in case or Unicode form are one. */
export const foldedKey = (key: string): string => key.normalize('NFKC').toLowerCase();

/**
 * A tier or playbook key is what filters, alerts and exports name: it must be given as written
 * (one line of visible text, as oneLineTextProblem has it) and tell itself apart from the
 * others by more than case or Unicode form ("At_Risk" beside "at_risk" is a typo waiting to happen).
 * `seen` maps each key's folded form to the key.
 */
function keyErrors(path: string, key: unknown, seen: Map<string, string>, what: string): string[] {
  if (!isNonEmptyString(key)) return [`${path}.key is required`];
  if ([...key].length > MODEL_LIMITS.keyLength) return [`${path}.key is longer than ${MODEL_LIMITS.keyLength} characters`];
  const problem = oneLineTextProblem(`${path}.key`, key);
  if (problem !== null) return [problem];
  const folded = foldedKey(key);
  const other = seen.get(folded);
  if (other === key) return [`${path}.key "${key}" is used by more than one ${what}`];
  if (other !== undefined) return [`${path}.key "${key}" differs from the key "${other}" of another ${what} only in case or form`];
  seen.set(folded, key);
  return [];
}

function tierErrors(model: ScoringModelConfig): string[] {
  const bands = model.tiers;
  if (bands.length === 0) return ['tiers must contain at least one band'];
  const errors: string[] = [];
  const keys = new Map<string, string>();
  const lowerBounds = new Set<number>();
  bands.forEach((band, index) => {
    const path = `tiers[${index}]`;
    errors.push(...unknownKeyErrors(path, band, KNOWN_KEYS.tier));
    errors.push(...keyErrors(path, band.key, keys, 'band'));
    errors.push(...oneLineTextErrors(`${path}.label`, band.label));
    if (!Number.isInteger(band.lowerBound) || band.lowerBound < 0 || band.lowerBound > 100) {
      errors.push(`${path}.lowerBound must be a whole number within 0…100`);
    } else if (lowerBounds.has(band.lowerBound)) {
      errors.push(`${path}.lowerBound ${band.lowerBound} overlaps another band with the same lower bound`);
    } else {
      lowerBounds.add(band.lowerBound);
    }
    // Severity only ranks the bands; the API answers it as a 32-bit Int, which a larger one would break after it was stored.
    if (!Number.isInteger(band.severity) || band.severity < 0 || band.severity > MAX_SEVERITY) {
      errors.push(`${path}.severity must be a whole number within 0…${MAX_SEVERITY}`);
    }
  });
  // Bands are defined by lower bounds only, so the one remaining gap is the bottom of the scale.
  if (!bands.some((band) => band.lowerBound === 0)) errors.push('tiers leave a gap: one band must have lowerBound 0');
  // Severity drives "worst band" and "two worst bands"; it must rank bands the same way scores do.
  // A band is named by its key, or by its place when it has none (that is reported above).
  const named = bands.map((band, index) => ({ band, name: isNonEmptyString(band.key) ? `"${band.key}"` : `tiers[${index}]` }));
  const byBound = named.sort((a, b) => b.band.lowerBound - a.band.lowerBound);
  for (let i = 1; i < byBound.length; i++) {
    if (!(byBound[i].band.severity > byBound[i - 1].band.severity)) {
      errors.push(
        `tiers: severity must increase as lowerBound falls (${byBound[i].name} is below ${byBound[i - 1].name} but not more severe)`,
      );
    }
  }
  return errors;
}

/**
 * Tier hysteresis against the bands it holds tiers across (tierFor): a tier stays while its score is
 * within `hysteresis` of its bounds, so a hysteresis as wide as a band holds the tiers beside it
 * across the whole of that band. No score enters it from either side, and at 100 no account ever
 * leaves its tier. It must be smaller than the narrowest band, the best band counted up to 100, the
 * highest score (a best band from 100 leaves room for no hysteresis at all). Read only of valid bands.
 */
/** The narrowest of valid bands, the best counted up to 100: its key, width and bounds as read. */
export function narrowestBand(tiers: readonly TierBand[]): { key: string; width: number; reads: string } {
  const spans = tiers.map((band) => {
    const { lower, upper } = bandBounds(band, tiers);
    const best = upper === Number.POSITIVE_INFINITY;
    return { key: band.key, width: (best ? 100 : upper) - lower, reads: best ? `${lower} to 100` : `${lower} to below ${upper}` };
  });
  return spans.reduce((a, b) => (b.width < a.width ? b : a));
}

function hysteresisWidthErrors(model: ScoringModelConfig): string[] {
  const hysteresis = model.hysteresis;
  // Outside 0…100 it is refused as such (settingsErrors); 0 holds nothing.
  if (!isFiniteNumber(hysteresis) || hysteresis <= 0 || hysteresis > 100) return [];
  const narrowest = narrowestBand(model.tiers);
  if (hysteresis < narrowest.width) return [];
  return [
    `hysteresis ${hysteresis} must be smaller than the narrowest tier band, "${narrowest.key}", ${narrowest.width} points wide (${narrowest.reads}): ` +
      'a tier held that far past its bounds would cover the whole of that band, and no score would enter it from the tiers beside it',
  ];
}

function actionErrors(actionPath: string, action: PlaybookAction): string[] {
  const errors: string[] = unknownKeyErrors(actionPath, action, KNOWN_KEYS.action);
  errors.push(...oneLineTextErrors(`${actionPath}.action`, action.action));
  // Planning reads any truthy value as an escalation, the log only `true`: one meaning for both.
  if (action.escalation !== undefined && typeof action.escalation !== 'boolean') {
    errors.push(`${actionPath}.escalation must be true or false`);
  }
  if (action.audience !== 'CUSTOMER' && action.audience !== 'TEAM') {
    errors.push(`${actionPath}.audience must be CUSTOMER or TEAM`);
  }
  if (isAbsent(action.channel)) errors.push(`${actionPath}.channel is required`);
  else if (!CHANNELS.includes(action.channel))
    errors.push(`${actionPath}.channel ${JSON.stringify(action.channel)} is not a known channel`);
  else if (action.audience === 'CUSTOMER' && !CUSTOMER_CHANNELS.includes(action.channel)) {
    errors.push(`${actionPath}: a customer-facing action needs channel EMAIL or IN_APP`);
  }
  if (typeof action.template !== 'string') {
    errors.push(`${actionPath}.template is required`);
  } else {
    for (const name of placeholderNames(action.template)) {
      if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name)) {
        errors.push(`${actionPath}.template uses unknown placeholder {{${name}}}`);
      }
    }
  }
  return errors;
}

function playbookErrors(model: ScoringModelConfig, active: ScoringModelConfig | undefined): string[] {
  const errors: string[] = [];
  const keys = new Map<string, string>();
  const tiersWithPlaybook = new Set<string>();
  const tierKeys = new Set(model.tiers.map((band) => band.key));
  model.playbooks.forEach((playbook: PlaybookConfig, index) => {
    const path = `playbooks[${index}]`;
    // The active model's playbook of the same key, whose day counts it keeps as they were stored.
    const before: { holdDays?: unknown; cooldownDays?: unknown } | undefined = active?.playbooks?.find(
      (other) => other.key === playbook.key,
    );
    errors.push(...unknownKeyErrors(path, playbook, KNOWN_KEYS.playbook));
    errors.push(...keyErrors(path, playbook.key, keys, 'playbook'));
    if (playbook.kind === 'tier') {
      if (isAbsent(playbook.tierKey)) errors.push(`${path}.tierKey is required for a tier playbook`);
      else if (!tierKeys.has(playbook.tierKey))
        errors.push(`${path}.tierKey ${JSON.stringify(playbook.tierKey)} is not a tier of this model`);
      else if (tiersWithPlaybook.has(playbook.tierKey)) errors.push(`${path}: tier "${playbook.tierKey}" already has a playbook`);
      else tiersWithPlaybook.add(playbook.tierKey);
    } else if (playbook.kind === 'expansion') {
      if (!isFiniteNumber(playbook.minScore) || playbook.minScore < 0 || playbook.minScore > 100) {
        errors.push(`${path}.minScore must be within 0…100`);
      }
      if (playbook.holdDays !== undefined)
        errors.push(...changedDayCountErrors(`${path}.holdDays`, playbook.holdDays, 0, before?.holdDays));
    } else if (playbook.kind !== 'silence') {
      errors.push(`${path}.kind must be "tier", "silence" or "expansion"`);
    }
    // A setting of another kind would be silently ignored: a silence playbook given `tierKey: "critical"`
    // would still alert in every tier.
    const given = playbook as unknown as Record<string, unknown>;
    const knownKind = ['tier', 'silence', 'expansion'].includes(playbook.kind);
    if (knownKind && given.tierKey !== undefined && playbook.kind !== 'tier') {
      errors.push(`${path}.tierKey applies only to a playbook of kind "tier"`);
    }
    for (const setting of ['minScore', 'holdDays']) {
      if (knownKind && given[setting] !== undefined && playbook.kind !== 'expansion') {
        errors.push(`${path}.${setting} applies only to a playbook of kind "expansion"`);
      }
    }
    if (playbook.kind === 'silence' || playbook.kind === 'expansion') {
      const kind = playbook.kind;
      if (model.playbooks.filter((other) => other.kind === kind).indexOf(playbook) > 0) {
        errors.push(`${path}: only one "${kind}" playbook is allowed`);
      }
    }
    if (playbook.cooldownDays !== undefined)
      errors.push(...changedDayCountErrors(`${path}.cooldownDays`, playbook.cooldownDays, 0, before?.cooldownDays));
    if (playbook.actions.length === 0) {
      errors.push(`${path}.actions must contain at least one action`);
      return;
    }
    playbook.actions.forEach((action, actionIndex) => errors.push(...actionErrors(`${path}.actions[${actionIndex}]`, action)));
  });
  return errors;
}

/** The lifecycle settings: onboarding, churn window, coverage, advocates. */
function lifecycleErrors(lifecycle: ScoringModelConfig['lifecycle'], active: ScoringModelConfig | undefined): string[] {
  const errors: string[] = [
    ...changedDayCountErrors('lifecycle.onboardingDays', lifecycle.onboardingDays, 1, active?.lifecycle?.onboardingDays),
    ...changedDayCountErrors('lifecycle.churnWindowDays', lifecycle.churnWindowDays, 1, active?.lifecycle?.churnWindowDays),
  ];
  if (
    lifecycle.minCoverage !== undefined &&
    !(isFiniteNumber(lifecycle.minCoverage) && lifecycle.minCoverage >= 0 && lifecycle.minCoverage <= 1)
  ) {
    errors.push('lifecycle.minCoverage must be within 0…1');
  }
  if (!isFiniteNumber(lifecycle.advocateMinScore) || lifecycle.advocateMinScore < 0 || lifecycle.advocateMinScore > 100) {
    errors.push('lifecycle.advocateMinScore must be within 0…100');
  }
  if (!isFiniteNumber(lifecycle.advocateMinNps) || lifecycle.advocateMinNps < -100 || lifecycle.advocateMinNps > 100) {
    errors.push('lifecycle.advocateMinNps must be within −100…100');
  }
  return errors;
}

/** The model's scalar settings: hysteresis (of tiers and of penalties), trend, lifecycle, score drop, cooldown, escalation, silence. */
function settingsErrors(model: ScoringModelConfig, active: ScoringModelConfig | undefined): string[] {
  const errors: string[] = [
    ...unknownKeyErrors('trend', model.trend, KNOWN_KEYS.trend),
    ...unknownKeyErrors('lifecycle', model.lifecycle, KNOWN_KEYS.lifecycle),
    ...unknownKeyErrors('scoreDrop', model.scoreDrop, KNOWN_KEYS.scoreDrop),
  ];
  if (!isFiniteNumber(model.hysteresis) || model.hysteresis < 0 || model.hysteresis > 100) errors.push('hysteresis must be within 0…100');
  // A margin of the whole threshold would keep an `at_least` flag for ever (≥ 0); half of it is already wide.
  if (
    model.penaltyHysteresis !== undefined &&
    !(isFiniteNumber(model.penaltyHysteresis) && model.penaltyHysteresis >= 0 && model.penaltyHysteresis <= 0.5)
  ) {
    errors.push('penaltyHysteresis must be within 0…0.5');
  }

  errors.push(...dayCountErrors('trend.windowDays', model.trend.windowDays, 1));
  if (!isFiniteNumber(model.trend.threshold) || model.trend.threshold < 0 || model.trend.threshold > 100) {
    errors.push('trend.threshold must be within 0…100');
  }

  errors.push(...lifecycleErrors(model.lifecycle, active));

  if (!isFiniteNumber(model.scoreDrop.points) || model.scoreDrop.points <= 0 || model.scoreDrop.points > 100) {
    errors.push('scoreDrop.points must be > 0 and at most 100');
  }
  errors.push(...dayCountErrors('scoreDrop.withinDays', model.scoreDrop.withinDays, 1));
  errors.push(...changedDayCountErrors('cooldownDays', model.cooldownDays, 0, active?.cooldownDays));
  if (!isFiniteNumber(model.escalationArrCents) || model.escalationArrCents < 0 || model.escalationArrCents > Number.MAX_SAFE_INTEGER) {
    errors.push('escalationArrCents must be a number within 0…2^53');
  }
  errors.push(...changedDayCountErrors('silenceAlertDays', model.silenceAlertDays, 1, active?.silenceAlertDays));
  if (
    model.silenceAlertGaps !== undefined &&
    (!isFiniteNumber(model.silenceAlertGaps) || model.silenceAlertGaps < 0 || model.silenceAlertGaps > 100)
  ) {
    errors.push('silenceAlertGaps must be within 0…100 when given');
  }

  return errors;
}

/**
 * How large a model may be. Every signal is an aggregate of every scoring statement and a column of
 * every backtest snapshot, so an unbounded model is an unbounded run (the default has 13 signals
 * and 15 penalties); the limits leave room for several times that.
 */
export const MODEL_LIMITS = {
  components: 16,
  signals: 64,
  penalties: 64,
  tiers: 12,
  playbooks: 32,
  actionsPerPlaybook: 10,
  /** Characters of a name or a template. */
  textLength: 2000,
  /**
   * Characters of a tier or playbook key: stored beside a customer id in the indexes of what scoring
   * writes, where an entry has to fit a third of a page whatever the characters (see infra/index-limits).
   */
  keyLength: 100,
  /** Characters of the whole config as JSON. */
  jsonLength: 256 * 1024,
  /**
   * Distinct aggregates (metric, window and baseline) the signals, penalties and their conditions
   * read: each is a column of every scoring statement, and some metrics several (the engagement
   * statement's one row per customer holds at most 1,664 columns in PostgreSQL, nine per aggregate at
   * most), and a value of every backtest snapshot.
   */
  aggregates: 128,
} as const;

/**
 * The keys of the aggregates `model` reads, counted before its shape is checked: entries that are not
 * objects, or lists that are not lists, are the shape checks' to report.
 */
function aggregateKeys(model: ScoringModelConfig): Set<string> {
  const keys = new Set<string>();
  const objects = (list: unknown): Record<string, unknown>[] =>
    Array.isArray(list) ? list.filter((entry): entry is Record<string, unknown> => isObject(entry)) : [];
  const read = (source: Record<string, unknown>) => {
    keys.add(metricKeyOf(source as unknown as Parameters<typeof metricKeyOf>[0]));
    for (const condition of objects(source.onlyWhen)) keys.add(metricKeyOf(condition as unknown as Parameters<typeof metricKeyOf>[0]));
  };
  for (const component of objects(model.components)) objects(component.signals).forEach(read);
  objects(model.penalties).forEach(read);
  return keys;
}

/** The size checks, before anything else is looked at: a huge model is refused without walking it. */
function sizeErrors(model: ScoringModelConfig): string[] {
  const count = (list: unknown) => (Array.isArray(list) ? list.length : 0);
  const components = Array.isArray(model.components) ? model.components : [];
  const signals = components.reduce((n, component) => n + count(component?.signals), 0);
  const playbooks = Array.isArray(model.playbooks) ? model.playbooks : [];
  const errors: string[] = [];
  const over = (what: string, actual: number, max: number) => {
    if (actual > max) errors.push(`${what}: ${actual}, at most ${max}`);
  };
  over('components', components.length, MODEL_LIMITS.components);
  over('signals (in all components)', signals, MODEL_LIMITS.signals);
  over('penalties', count(model.penalties), MODEL_LIMITS.penalties);
  over('tiers', count(model.tiers), MODEL_LIMITS.tiers);
  over('playbooks', playbooks.length, MODEL_LIMITS.playbooks);
  over('actions of one playbook', Math.max(0, ...playbooks.map((playbook) => count(playbook?.actions))), MODEL_LIMITS.actionsPerPlaybook);
  if (errors.length > 0) return errors;
  let longest = 0;
  // A model arrives as a JSON argument, nested at most MAX_JSON_ARGUMENT_DEPTH levels (scalars.ts).
  const json = JSON.stringify(model, (_key, value: unknown) => {
    // In Unicode code points, as every length the API counts (an emoji is one), counted only past the limit.
    if (typeof value === 'string' && value.length > longest && longerThan(value, MODEL_LIMITS.textLength)) {
      longest = Math.max(longest, characterCount(value));
    }
    return value;
  });
  over('characters of the longest name, key or template', longest, MODEL_LIMITS.textLength);
  over('characters of the config as JSON', json.length, MODEL_LIMITS.jsonLength);
  if (errors.length > 0) return errors;
  over(
    'distinct aggregates (metric, window and baseline) read by its signals, penalties and conditions',
    aggregateKeys(model).size,
    MODEL_LIMITS.aggregates,
  );
  return errors;
}

/** The stored model is jsonb: a key or string it cannot hold is refused by name, not by the database. */
function unstorableTextErrors(model: ScoringModelConfig): string[] {
  let unstorable: string | undefined;
  JSON.stringify(model, (key: string, value: unknown) => {
    for (const text of [key, value]) if (typeof text === 'string' && (hasNul(text) || hasLoneSurrogate(text))) unstorable ??= text;
    return value;
  });
  if (unstorable === undefined) return [];
  return [`${JSON.stringify(unstorable)}: a name, key or template may not contain NUL (U+0000) or a lone surrogate`];
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The shape of the model: each of its lists a list of objects and each of its objects an object, or
 * the problem named by its path (`tiers must be a list`, `trend is required`, `playbooks[1] must be an
 * object`). Checked before any rule reads a field: every rule below reads the fields of the objects
 * it is given as they are, and would otherwise answer a JavaScript error instead of the path.
 */
function shapeErrors(model: ScoringModelConfig): string[] {
  const errors: string[] = [];
  /** Reports `value`, at `path`, unless it is an object. */
  const object = (path: string, value: unknown) => {
    if (!isObject(value)) errors.push(isAbsent(value) ? `${path} is required` : `${path} must be an object`);
  };
  /** The entries of the list at `path` that are objects, each with its path; the other problems are reported. */
  const list = (path: string, value: unknown, optional = false): [string, Record<string, unknown>][] => {
    if (!Array.isArray(value)) {
      if (!(optional && value === undefined)) errors.push(`${path} must be a list`);
      return [];
    }
    return value.flatMap((entry, index): [string, Record<string, unknown>][] => {
      if (isObject(entry)) return [[`${path}[${index}]`, entry]];
      errors.push(`${path}[${index}] must be an object`);
      return [];
    });
  };
  for (const setting of ['trend', 'lifecycle', 'scoreDrop'] as const) object(setting, model[setting]);
  for (const [path, component] of list('components', model.components)) {
    for (const [at, signal] of list(`${path}.signals`, component.signals)) {
      object(`${at}.normaliser`, signal.normaliser);
      object(`${at}.missing`, signal.missing);
      list(`${at}.onlyWhen`, signal.onlyWhen, true);
    }
  }
  for (const [path, penalty] of list('penalties', model.penalties)) list(`${path}.onlyWhen`, penalty.onlyWhen, true);
  list('tiers', model.tiers);
  for (const [path, playbook] of list('playbooks', model.playbooks)) list(`${path}.actions`, playbook.actions);
  return errors;
}

/**
 * Every rule a model breaks, as readable messages with a path; [] when the model is valid. Any value
 * may be given (a model arrives as JSON): its size is checked first, then the text it holds, then its
 * shape (shapeErrors), each alone when broken, and only a model of the right shape has its rules read.
 * `active`, the model active when `model` is to replace it or be compared with it, keeps the day
 * counts it has as they were stored (changedDayCountErrors).
 */
export function validateModel(model: ScoringModelConfig, { active }: { active?: ScoringModelConfig } = {}): string[] {
  if (!isObject(model)) return ['the config must be an object'];
  const tooLarge = sizeErrors(model);
  if (tooLarge.length > 0) return tooLarge.map((error) => `the model is too large: ${error}`);
  const unstorable = unstorableTextErrors(model);
  if (unstorable.length > 0) return unstorable;
  const misshapen = shapeErrors(model);
  if (misshapen.length > 0) return misshapen;
  const errors: string[] = unknownKeyErrors('', model, KNOWN_KEYS.model);

  const { components, penalties } = model;
  if (components.length === 0) errors.push('components must contain at least one component');

  const componentNames = new Set<string>();
  const names = new Set<string>();
  const claimName = (path: string, name: string) => {
    if (!isNonEmptyString(name)) return;
    // Signal and penalty names key the raw-signal record and the stored per-signal detail.
    if (names.has(name)) errors.push(`${path}.name "${name}" is used more than once among signals and penalties`);
    names.add(name);
  };
  let totalWeight = 0;
  components.forEach((component, componentIndex) => {
    const path = `components[${componentIndex}]`;
    errors.push(...unknownKeyErrors(path, component, KNOWN_KEYS.component));
    const nameProblem = oneLineTextProblem(`${path}.name`, component.name);
    if (nameProblem !== null) errors.push(nameProblem);
    else if (componentNames.has(component.name)) errors.push(`${path}.name "${component.name}" is used by more than one component`);
    else componentNames.add(component.name);
    if (component.signals.length === 0) {
      errors.push(`${path}.signals must contain at least one signal`);
      return;
    }
    component.signals.forEach((signal, signalIndex) => {
      const signalPath = `${path}.signals[${signalIndex}]`;
      errors.push(...signalErrors(signalPath, signal));
      claimName(signalPath, signal.name);
      if (isFiniteNumber(signal.weight) && signal.weight > 0) totalWeight += signal.weight;
    });
  });
  if (components.length > 0 && totalWeight <= 0) errors.push('signal weights must not all be zero');

  penalties.forEach((penalty, index) => {
    errors.push(...penaltyErrors(`penalties[${index}]`, penalty));
    claimName(`penalties[${index}]`, penalty.name);
  });

  const tierProblems = tierErrors(model);
  errors.push(...tierProblems);
  errors.push(...settingsErrors(model, active));
  if (tierProblems.length === 0) errors.push(...hysteresisWidthErrors(model));
  errors.push(...playbookErrors(model, active));
  return errors;
}
