// Playbook decisions: given a fresh scoring and a little history, which outreach actions to log,
// skip (opt-out) or suppress (cooldown, or decided by another playbook of the same scoring). Pure,
// so every rule is unit-tested; the outreach service writes the result to the log and publishes it.
import { daysBetween, newToTheProduct } from './lifecycle';
import { metricKeyOf } from './metrics';
import { isAtRiskTier, isBestTier, isSecondWorstTier, isWorstTier, tierByKey } from './tiers';
import type {
  LifecycleStage,
  OutreachAudience,
  OutreachChannel,
  OutreachStatus,
  PlaybookConfig,
  PlaybookTrigger,
  ScoringModelConfig,
  SignalResult,
  Trend,
} from './types';

/** Placeholders a template may use; validateModel rejects any other `{{name}}`. */
export const TEMPLATE_PLACEHOLDERS = [
  'customerName',
  'score',
  'previousScore',
  'tier',
  'previousTier',
  'trigger',
  'change',
  'daysSinceLastActivity',
] as const;

export type TemplateValues = Record<(typeof TEMPLATE_PLACEHOLDERS)[number], string>;

/** `{{name}}`, with spaces allowed inside the braces: the one placeholder syntax of playbook and email templates. */
const PLACEHOLDER = /\{\{\s*(\w+)\s*\}\}/g;
/** A placeholder and the full stop after it, if any. */
const PLACEHOLDER_AND_STOP = /(\{\{\s*(\w+)\s*\}\})(\.?)/g;
/** A part of a template in parentheses (not nested), with the spaces before it. */
const PARENTHESISED_PART = /[ \t]*\([^()]*\)/g;

/**
 * Replaces each `{{name}}` that `values` has, through `escape`; unknown ones are left visible rather
 * than silently blanked. A value that ends with a full stop takes the place of the template's own
 * after it: "… open for {{customerName}}." reads "… open for Acme Inc.", not "Acme Inc..".
 * `absent` names placeholders with nothing to tell this time (no previous score): a part in
 * parentheses that holds one is left out, so "score {{score}} (was {{previousScore}})." reads
 * "score 43." rather than "score 43 (was 43)."; elsewhere they still render their value.
 */
export function fillPlaceholders(
  template: string,
  values: Readonly<Record<string, string>>,
  escape = (text: string) => text,
  absent: readonly string[] = [],
): string {
  const told =
    absent.length === 0
      ? template
      : template.replace(PARENTHESISED_PART, (part) => (placeholderNames(part).some((name) => absent.includes(name)) ? '' : part));
  return told.replace(PLACEHOLDER_AND_STOP, (_whole, placeholder: string, name: string, stop: string) => {
    if (!Object.hasOwn(values, name)) return placeholder + stop;
    const value = escape(values[name]);
    return value.endsWith('.') ? value : value + stop;
  });
}

/** The placeholder names a template uses, in order of appearance. */
export function placeholderNames(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1]);
}

/** A playbook action's message; `absent` as in fillPlaceholders. */
export function renderTemplate(template: string, values: Partial<TemplateValues>, absent: readonly (keyof TemplateValues)[] = []): string {
  return fillPlaceholders(template, values as Record<string, string>, undefined, absent);
}

export interface PlaybookDecisionInput {
  model: ScoringModelConfig;
  customer: {
    /** For templates; falls back to `id`. */
    name?: string | null;
    id?: string;
    /** Annual recurring revenue in cents (a bigint column may arrive as a string). */
    arrCents: number | string;
    communicationOptOut: boolean;
  };
  /**
   * The customer's previous scoring, as the tier and drop triggers and the message compare with it;
   * null on its first, and when it was scored by a model that computes scores otherwise (the caller's
   * to tell). Its `tierKey` is null when another tier scheme placed that score (a model that computes
   * scores alike but scores otherwise: scoresAlike): the tier it moved from is the model's, not the
   * account's. Its `coverage` (1 when unknown): a thinly observed one (thinlyObserved) is no "before",
   * and the scoring is decided as a first one.
   */
  previous: { score: number; tierKey: string | null; coverage?: number } | null;
  current: {
    score: number;
    tierKey: string;
    trend: Trend;
    lifecycleStage: LifecycleStage;
    /**
     * True when the trend was not measured (Assessment.trendMeasured): no point a trend window ago
     * (an account first scored less than a window ago) or one a model version that computes scores
     * otherwise gave (not of the run of versions computing scores alike that the one scoring now ends:
     * scoresComputedAlike). The trend then reads STABLE, and an account falling before its first
     * scoring or the model change may be falling still.
     */
    trendUnknown?: boolean;
    /**
     * Share of the model's weight observed (ScoreResult.coverage); 1 when unknown. Below
     * `lifecycle.minCoverage` (a returning customer whose baselines are refilling), half the score
     * is neutral values: no expansion play on it.
     */
    coverage?: number;
    /**
     * The score's signals (ScoreResult.signals), whose raw values tell a team in use from an
     * integration, and seats used from seats bought (teamInUse). Absent: nothing is held back for them.
     */
    signals?: readonly Pick<SignalResult, 'name' | 'rawValue'>[];
  };
  /**
   * The highest score in the `model.scoreDrop.withinDays` days before now (the score exactly that
   * many days ago also works, but the peak also catches a drop that started after a spike); null
   * without history. A new drop (newScoreDrop) of ≥ scoreDrop.points from it runs the tier playbook. Of well observed
   * scores only (the caller's to leave out the thinlyObserved ones, as `previous` does).
   */
  peakScoreInDropWindow: number | null;
  /**
   * The lowest score after the drop window's peak was last held (the last point at or above
   * peakScoreInDropWindow) and before now, of the points the peak is taken from; null when there is
   * none. One already scoreDrop.points below the peak means the slide was taken, and alerted, at that
   * point: the drop is not new (newScoreDrop). Left out, only the previous point tells.
   */
  lowestSincePeak?: number | null;
  /** The score `model.trend.windowDays` earlier that the trend compared with (a model version that computes scores alike); null without one. */
  earlierScore?: number | null;
  /** Days since the last engagement event at or before now; null if never. */
  daysSinceLastActivity: number | null;
  /** True when the account had engagement before this silence (the caller decides, e.g. lastActivityAt set). */
  wasPreviouslyActive: boolean;
  /** The customer's first engagement event ever recorded; null if none. In use for less than `lifecycle.onboardingDays`, no expansion play (newToTheProduct). */
  firstActivityAt: Date | null;
  /** The silence in the account's usual gaps between days of use (the metric of `silenceMetricKey`); null when not measured. */
  silenceInUsualGaps?: number | null;
  /**
   * Every tier the account was in, under the model version scoring now, within the expansion
   * playbook's hold (expansionHoldDays) before now: the previous point's and those its tier changes
   * in the hold left. A tier worse than the current one holds the expansion play back: an account
   * critical minutes ago is not asked for a referral. Needed only for an account that
   * qualifiesForExpansion (the scoring batch reads it for those alone); null, not read, holds such an
   * account back as well.
   */
  tiersInExpansionHold: readonly string[] | null;
  /**
   * This customer's outreach log entries of the last few weeks. Entries that were themselves
   * suppressed by a cooldown are ignored, so a cooldown cannot extend itself; logged, opt-out-skipped
   * and duplicate-suppressed runs all start one.
   */
  recentActions: { playbook: string; createdAt: Date; status?: OutreachStatus }[];
  now: Date;
}

export interface PlannedAction {
  playbook: string;
  action: string;
  audience: OutreachAudience;
  channel: OutreachChannel;
  trigger: PlaybookTrigger;
  /** The rendered template. */
  message: string;
  /**
   * The previous scoring's score, the one `{{previousScore}}` shows in the message (left out there
   * when it equals the score); null without one. Stored with the action, so what is delivered of it
   * says what its message said, whatever history is written after.
   */
  previousScore: number | null;
  /**
   * The previous scoring's tier key, the one `{{previousTier}}` names; null when the message names
   * none: a first scoring, one after a thinly observed score, or one whose previous tier another tier
   * scheme placed (comparedPrevious). Stored with the action, so the tier change a delivery tells of is
   * the one its message told of.
   */
  fromTier: string | null;
  escalation: boolean;
  status: OutreachStatus;
}

/**
 * Whether a score rests on less than `lifecycle.minCoverage` of the model's weight, or on none of it:
 * half of it or more is neutral values, as for an account created before its data arrived (scored
 * 80 on nothing). Such a score says what was missing, not where the account stood: it is no point a
 * worsened tier or a score drop is measured from, nor the "was" of a message.
 */
export function thinlyObserved(model: ScoringModelConfig, coverage: number | undefined): boolean {
  const observed = coverage ?? 1;
  return observed === 0 || observed < (model.lifecycle.minCoverage ?? 0);
}

/**
 * The previous scoring the triggers and the message compare with: none when it was thinly observed,
 * so the move off a score that measured next to nothing is decided as a first scoring (the tier's
 * own triggers, the worst band, still apply).
 */
function comparedPrevious(input: PlaybookDecisionInput): PlaybookDecisionInput['previous'] {
  return input.previous && !thinlyObserved(input.model, input.previous.coverage) ? input.previous : null;
}

/**
 * Whether this scoring makes a new score drop, as the changes feed lists one (SCORE_DROPPED): the
 * score falls, and either by scoreDrop.points or more in this one scoring from the previous point, or
 * to scoreDrop.points or more below the drop window's peak for the first time since the score was last
 * at that peak. An account that fell days ago and wobbles a point lower now has no new drop (its fall
 * was alerted when it came), nor has one climbing back from it; a second fall of scoreDrop.points in
 * a scoring, or a slide once the score has been back at its high, is new. `lastScore` is the point
 * before now even when thinly observed: as in the feed, the score must fall from it, though only the
 * compared previous (input.previous) measures a drop. The feed decides it in SQL over the stored
 * history, for any minScoreDrop a reader asks; test/scoring/score-drop-once.test.ts runs one history
 * through both and holds them alike at every point.
 */
function newScoreDrop(input: PlaybookDecisionInput, lastScore: number | null): boolean {
  const { model, previous, current, peakScoreInDropWindow: peak, lowestSincePeak } = input;
  const points = model.scoreDrop.points;
  if (lastScore !== null && current.score >= lastScore) return false;
  if (previous !== null && previous.score - current.score >= points) return true;
  if (peak === null || peak - current.score < points) return false;
  const slideTaken = [previous?.score, lowestSincePeak].some((score) => score != null && peak - score >= points);
  return !slideTaken;
}

/** Tier-playbook triggers in the order they are reported when several fire at once; `lastScore` as in newScoreDrop. */
function riskTriggers(input: PlaybookDecisionInput, lastScore: number | null): PlaybookTrigger[] {
  const { model, previous, current } = input;
  const triggers: PlaybookTrigger[] = [];
  const previousTier = tierByKey(model.tiers, previous?.tierKey);
  const currentTier = tierByKey(model.tiers, current.tierKey);
  if (previousTier && currentTier && currentTier.severity > previousTier.severity) triggers.push('TIER_WORSENED');
  if (newScoreDrop(input, lastScore)) triggers.push('SCORE_DROP');
  if (isWorstTier(model.tiers, current.tierKey)) triggers.push('CRITICAL');
  if (isSecondWorstTier(model.tiers, current.tierKey) && current.trend === 'DECLINING') {
    triggers.push('AT_RISK_DECLINING');
  }
  return triggers;
}

/** The longest cooldown of the model's playbooks: how far back a scoring must read the outreach log. */
export function longestCooldownDays(model: ScoringModelConfig): number {
  return Math.max(model.cooldownDays, ...model.playbooks.map((playbook) => playbook.cooldownDays ?? model.cooldownDays));
}

function isInCooldown(input: PlaybookDecisionInput, playbook: PlaybookConfig): boolean {
  const cooldownDays = playbook.cooldownDays ?? input.model.cooldownDays;
  return input.recentActions.some((entry) => {
    if (entry.playbook !== playbook.key || entry.status === 'SUPPRESSED_COOLDOWN') return false;
    // An entry dated after now is a concurrent scoring of the customer whose instant came a moment
    // later and that committed first (a scoring of the past runs no playbook): it started the cooldown.
    return daysBetween(entry.createdAt, input.now) < cooldownDays;
  });
}

/**
 * What happened, in the words of a message to a CS team (`{{change}}`): the trigger read with the
 * account's tiers and scores, where the trigger's name alone (AT_RISK_DECLINING) is a code, and a
 * sentence of its own ("moved to") would be wrong for an account already there.
 */
function changeInWords(input: PlaybookDecisionInput, trigger: PlaybookTrigger, tier: string, previousTier: string): string {
  const { model, current, peakScoreInDropWindow, daysSinceLastActivity } = input;
  switch (trigger) {
    case 'TIER_WORSENED':
      return `dropped from ${previousTier} to ${tier}`;
    // Each names the score it compares with: `{{previousScore}}` is the previous scoring's, which a
    // drop over two weeks or a decline over the trend's window need not have come from.
    case 'SCORE_DROP': {
      const peak = peakScoreInDropWindow ?? current.score;
      return `fell ${peak - current.score} points from ${peak} within ${model.scoreDrop.withinDays} days (${tier})`;
    }
    case 'CRITICAL':
      return `is ${tier}`;
    case 'AT_RISK_DECLINING':
      return input.earlierScore == null
        ? `is ${tier} and still declining`
        : `is ${tier} and still declining (${input.earlierScore} at least ${model.trend.windowDays} days ago)`;
    case 'SILENCE':
      return daysSinceLastActivity === null ? 'has had no activity' : `has had no activity for ${Math.floor(daysSinceLastActivity)} days`;
    case 'EXPANSION':
      return `is thriving (${tier})`;
  }
}

function planPlaybook(input: PlaybookDecisionInput, playbook: PlaybookConfig, trigger: PlaybookTrigger): PlannedAction[] {
  const { model, customer, previous, current, daysSinceLastActivity } = input;
  const highValueAtRisk = Number(customer.arrCents) >= model.escalationArrCents && isAtRiskTier(model.tiers, current.tierKey);
  const coolingDown = isInCooldown(input, playbook);
  const tier = tierByKey(model.tiers, current.tierKey)?.label ?? current.tierKey;
  const previousTier = previous?.tierKey ? (tierByKey(model.tiers, previous.tierKey)?.label ?? previous.tierKey) : '—';
  const values: TemplateValues = {
    customerName: customer.name ?? customer.id ?? 'customer',
    score: String(current.score),
    previousScore: previous ? String(previous.score) : '—',
    tier,
    previousTier,
    trigger,
    change: changeInWords(input, trigger, tier, previousTier),
    daysSinceLastActivity: daysSinceLastActivity === null ? 'unknown' : String(Math.floor(daysSinceLastActivity)),
  };
  // "score 0 (was 0)" tells nothing, and "(was —)" less: the part is left out.
  const absent: (keyof TemplateValues)[] = previous === null || previous.score === current.score ? ['previousScore'] : [];
  return playbook.actions
    .filter((action) => !action.escalation || highValueAtRisk)
    .map((action) => ({
      playbook: playbook.key,
      action: action.action,
      audience: action.audience,
      channel: action.channel,
      trigger,
      message: renderTemplate(action.template, values, absent),
      previousScore: previous?.score ?? null,
      fromTier: previous?.tierKey ?? null,
      escalation: action.escalation === true,
      status: coolingDown
        ? 'SUPPRESSED_COOLDOWN'
        : action.audience === 'CUSTOMER' && customer.communicationOptOut
          ? 'SKIPPED_OPT_OUT'
          : 'DECIDED',
    }));
}

/** How long an account stays out of the expansion play after being in a worse tier, when the model does not say. */
export const DEFAULT_EXPANSION_HOLD_DAYS = 14;

/** The expansion playbook's hold in days (`holdDays`, DEFAULT_EXPANSION_HOLD_DAYS when absent); 0 without an expansion playbook. */
export function expansionHoldDays(model: ScoringModelConfig): number {
  const playbook = model.playbooks.find((p) => p.kind === 'expansion');
  return playbook?.kind === 'expansion' ? (playbook.holdDays ?? DEFAULT_EXPANSION_HOLD_DAYS) : 0;
}

/** The share of its seats an account's people must have used for the expansion play, where the model measures it (seat_utilisation). */
export const EXPANSION_MIN_SEAT_UTILISATION = 0.5;

/** Metrics that count the account's people (events naming a user): above 0, a team uses the product. */
const TEAM_METRICS: ReadonlySet<string> = new Set([
  'active_users_trend',
  'active_users_vs_usual',
  'active_users_vs_leanest',
  'users_per_team_day_vs_prior',
  'seat_utilisation',
]);

/**
 * Whether the score's signals show a team using the product, as the expansion play's "power user"
 * and referral request presume: where the model reads the account's people (TEAM_METRICS), one of
 * them above 0 (an integration whose calls name nobody scores high on its volume alone, with no one
 * to ask); where it reads seat utilisation and the account's seats are known (measured), at least
 * EXPANSION_MIN_SEAT_UTILISATION of them used (a weekly team on 2 of 10 seats uses the product, but is
 * no account to sell more seats to). What the model does not measure holds nothing back.
 */
export function teamInUse(model: ScoringModelConfig, signals: PlaybookDecisionInput['current']['signals']): boolean {
  if (!signals) return true;
  const metricOf = new Map(model.components.flatMap((component) => component.signals).map((signal) => [signal.name, signal.metric]));
  const team = signals.filter((signal) => TEAM_METRICS.has(metricOf.get(signal.name) ?? ''));
  if (team.length > 0 && !team.some((signal) => (signal.rawValue ?? 0) > 0)) return false;
  return team.every(
    (signal) =>
      metricOf.get(signal.name) !== 'seat_utilisation' || signal.rawValue === null || signal.rawValue >= EXPANSION_MIN_SEAT_UTILISATION,
  );
}

/**
 * Whether the account's state now calls for the expansion play: an advocate, or in the best band at
 * the playbook's minScore, past onboarding, on a score observed well enough (not one half made of
 * neutral values), with a team in use (teamInUse). What happened around it (a risk trigger, a
 * silence, the trend, the hold) is decidePlaybookActions' to weigh; the scoring batch reads the hold
 * for these accounts only.
 */
export function qualifiesForExpansion(model: ScoringModelConfig, current: PlaybookDecisionInput['current']): boolean {
  const playbook = model.playbooks.find((p) => p.kind === 'expansion');
  if (playbook?.kind !== 'expansion' || current.lifecycleStage === 'ONBOARDING' || current.lifecycleStage === 'CHURNED') return false;
  if (thinlyObserved(model, current.coverage) || !teamInUse(model, current.signals)) return false;
  return current.lifecycleStage === 'ADVOCATE' || (isBestTier(model.tiers, current.tierKey) && current.score >= playbook.minScore);
}

/** Whether the account was in a tier worse than its current one within the hold (or that was not read). */
function inExpansionHold(input: PlaybookDecisionInput): boolean {
  if (expansionHoldDays(input.model) === 0) return false;
  if (input.tiersInExpansionHold === null) return true;
  const current = tierByKey(input.model.tiers, input.current.tierKey);
  // A key this model does not know (another version's tier scheme) says nothing about its bands.
  return input.tiersInExpansionHold.some((key) => {
    const tier = tierByKey(input.model.tiers, key);
    return tier !== undefined && current !== undefined && tier.severity > current.severity;
  });
}

/**
 * Decides each action once per scoring: a silent critical account runs the critical and the silence
 * playbook together, and the team would get two alerts and two escalation tasks at once. Where a
 * later playbook decides an action an earlier one already did (same name, audience and channel),
 * it is SUPPRESSED_DUPLICATE: logged, with its message, not taken, and its playbook's cooldown
 * starts as if it had run (the team was told), so it does not come a day later instead.
 */
function decidedOnce(planned: readonly PlannedAction[]): PlannedAction[] {
  const decided = new Set<string>();
  return planned.map((action) => {
    if (action.status !== 'DECIDED') return action;
    const key = JSON.stringify([action.action, action.audience, action.channel]);
    if (decided.has(key)) return { ...action, status: 'SUPPRESSED_DUPLICATE' };
    decided.add(key);
    return action;
  });
}

/**
 * The metric key under which the model measures an account's silence in its usual gaps between days
 * of use (its first `silence_vs_cadence` signal or flag); null when it does not. Once per model, not
 * per customer.
 */
export function silenceMetricKey(model: ScoringModelConfig): string | null {
  const sources = [...model.components.flatMap((component) => component.signals), ...model.penalties];
  const measured = sources.find((source) => source.metric === 'silence_vs_cadence');
  return measured ? metricKeyOf(measured) : null;
}

/**
 * Decides the outreach for one scoring. Rules:
 * - CHURNED customers leave the outreach loop (win-back is a campaign, not an alert): nothing.
 * - A thinly observed previous scoring (thinlyObserved) is no "before": no tier worsened from it,
 *   no "was" in the message; the scoring is decided as a first one.
 * - Risk triggers (tier worsened, a new drop of ≥ scoreDrop.points: in one scoring, or below the
 *   recent peak for the first time since it was held (newScoreDrop), worst band, second-worst band
 *   and DECLINING) run the playbook of the *current* tier once, reported with the first trigger in
 *   that order. A tier without a playbook does nothing.
 * - Silence ≥ silenceAlertDays of a previously active account runs the `silence` playbook, which
 *   has its own key and therefore its own cooldown; when the model measures silence in the account's
 *   usual gaps, it must also last silenceAlertGaps of them (a weekly account's quiet week is its habit).
 * - Advocates, or best-band customers scoring ≥ the expansion playbook's minScore, with a team in
 *   use (teamInUse: people named in their events, half their seats used where known), get the expansion
 *   play — unless a risk trigger fired, the account is silent or the trend is DECLINING or not
 *   measured (no point a trend window ago, or a model change since: no upsell into an account that
 *   may be falling), the score is thinly
 *   observed or the account in use for less than onboardingDays (no upsell on neutral values), or
 *   the account was in a worse tier within the playbook's holdDays (no referral request from an
 *   account critical minutes ago).
 * - ONBOARDING customers get only the silence alert: their 30-day windows are still filling up, so
 *   a low score is not yet a risk signal.
 * Each planned action: SUPPRESSED_COOLDOWN if its playbook already ran within its cooldown, else
 * SKIPPED_OPT_OUT for customer-facing actions of opted-out customers, else SUPPRESSED_DUPLICATE if
 * an earlier playbook of this scoring decided the same action, else DECIDED. Escalation actions are
 * planned only for accounts with arrCents ≥ escalationArrCents in the two worst bands.
 */
export function decidePlaybookActions(given: PlaybookDecisionInput): PlannedAction[] {
  const input = { ...given, previous: comparedPrevious(given) };
  const { model, current, daysSinceLastActivity, wasPreviouslyActive } = input;
  if (current.lifecycleStage === 'CHURNED') return [];
  const onboarding = current.lifecycleStage === 'ONBOARDING';
  const planned: PlannedAction[] = [];

  const triggers = onboarding ? [] : riskTriggers(input, given.previous?.score ?? null);
  if (triggers.length > 0) {
    const playbook = model.playbooks.find((p) => p.kind === 'tier' && p.tierKey === current.tierKey);
    if (playbook) planned.push(...planPlaybook(input, playbook, triggers[0]));
  }

  const silent =
    wasPreviouslyActive &&
    daysSinceLastActivity !== null &&
    daysSinceLastActivity >= model.silenceAlertDays &&
    (input.silenceInUsualGaps == null || input.silenceInUsualGaps >= (model.silenceAlertGaps ?? 0));
  if (silent) {
    const playbook = model.playbooks.find((p) => p.kind === 'silence');
    if (playbook) planned.push(...planPlaybook(input, playbook, 'SILENCE'));
  }

  // No upsell into a falling account, nor into one whose trend is not measured (first scored less than
  // a trend window ago, or a model change since, whose STABLE could hide a fall): the play waits for a
  // measured trend, under the new version after a change. Nor into
  // an account whose high score rests on neutral values (thinly observed: qualifiesForExpansion; or
  // new to the product), nor into one worse off within the hold: a jump out of the worst tier reads IMPROVING.
  const newToIt = newToTheProduct(input.firstActivityAt, input.now, model.lifecycle.onboardingDays);
  if (
    qualifiesForExpansion(model, current) &&
    !newToIt &&
    !silent &&
    triggers.length === 0 &&
    current.trend !== 'DECLINING' &&
    !current.trendUnknown &&
    !inExpansionHold(input)
  ) {
    const playbook = model.playbooks.find((p) => p.kind === 'expansion');
    if (playbook) planned.push(...planPlaybook(input, playbook, 'EXPANSION'));
  }

  return decidedOnce(planned);
}
