// The backtest report: how well past health scores foresaw the churn that followed. It replays
// scores taken on a grid of past instants against the churn we now know of, and measures what the
// product promises: churners flagged ahead of time, flags that came true, and the ranking quality.
import type { TierBand } from '../model/types';

const DAY_MS = 86_400_000;

/** One historical score of one account at one grid instant. */
export interface SnapshotScore {
  customerId: string;
  asOf: Date;
  score: number;
  tierKey: string;
  /** In one of the two worst tiers and not excluded (onboarding, or churned by silence: off the worklist); decided by the caller. */
  flagged: boolean;
}

/** What we know today about an account's churn; a customer without a label has not churned. */
export interface ChurnLabel {
  customerId: string;
  churnedAt: Date | null;
}

export interface BacktestOptions {
  /** The model's tier bands; the per-tier churn table lists them best first (by severity). */
  tiers: readonly TierBand[];
  /** Days after a snapshot within which a churn counts as foreseen by it, > 0. */
  horizonDays: number;
  /** Leads (days before churn) at which recall is reported, each ≥ 0. Default [7, 14, 30]. */
  leadDays?: number[];
  /** Lead (days before churn) of the churners' scores that the AUC ranks, ≥ 0. Default 30. */
  aucLeadDays?: number;
  /** Labels (churnedAt) are known up to this instant, usually now. */
  labelsKnownUntil: Date;
}

/**
 * Recall at a lead of L days: among churners with a snapshot at or before churnedAt − L days and
 * at most one grid step before it (`churners`), the number (`flagged`) and share (`recall`) whose
 * latest such snapshot is flagged. `recall` is null when no churner is eligible. A churner that left
 * long after the grid's last instant is read at no lead: that instant was not L days before its churn.
 */
export interface RecallAtLead {
  leadDays: number;
  churners: number;
  flagged: number;
  recall: number | null;
}

/**
 * Precision: among flagged snapshots whose horizon has elapsed (asOf + horizonDays ≤
 * labelsKnownUntil), the share whose account churns within (asOf, asOf + horizonDays].
 * `precision` is null when there is no such flagged snapshot.
 */
export interface PrecisionReport {
  precision: number | null;
  flaggedSnapshots: number;
  truePositives: number;
}

/**
 * Ranking quality at `leadDays` before churn. Positives: each churner's score at its latest
 * snapshot at or before churnedAt − leadDays, when at most one grid step before it (as recall);
 * negatives: every snapshot score of non-churners.
 * `auc` is the probability that a random positive scores lower than a random negative, ties
 * counting ½ (the Mann–Whitney U statistic over positives × negatives): 1 = churners always scored
 * lower, 0.5 = no better than chance. Null when either side is empty.
 */
export interface AucReport {
  leadDays: number;
  auc: number | null;
  positives: number;
  negatives: number;
}

/**
 * How early churners were flagged. A churner is detected when its latest snapshot before churn is
 * flagged and at most horizonDays before it (a flag foresees churn within the horizon, as precision
 * counts it); its lead is churnedAt − asOf of the earliest snapshot of the unbroken run of flagged
 * snapshots ending there. Quartiles interpolate linearly between order statistics; days are rounded
 * to 0.1 and null when nothing was detected.
 */
export interface LeadTimeReport {
  detected: number;
  medianDays: number | null;
  p25Days: number | null;
  p75Days: number | null;
}

/**
 * Non-churners with at least one flagged snapshot. `rate` = flagged ÷ nonChurners (null when there
 * is no non-churner). `ratePer90Days` = rate × 90 / max(90, grid span in days): an approximation of
 * the share of healthy accounts falsely flagged per 90 days of observation, which assumes false
 * alarms arrive evenly over the span and that an account rarely raises two in one span (so it
 * understates when they do). Over a span shorter than 90 days it is the rate itself.
 */
export interface FalseAlarmReport {
  nonChurners: number;
  flagged: number;
  rate: number | null;
  ratePer90Days: number | null;
}

/**
 * Churn within the horizon per tier: among snapshots in the tier whose horizon has elapsed
 * (`snapshots`), the number (`churned`) and share (`rate`, null when 0 snapshots) whose account
 * churns within (asOf, asOf + horizonDays]. Snapshots with a tier key not in the bands are left out.
 */
export interface TierChurnRate {
  tierKey: string;
  snapshots: number;
  churned: number;
  rate: number | null;
}

export interface BacktestReport {
  /** Distinct customers among the counted snapshots. */
  customers: number;
  /** Churners (see `evaluateBacktest`) among those customers. */
  churners: number;
  /** Snapshots counted: every one given, less those at or after the account's churn. */
  snapshots: number;
  horizonDays: number;
  /** Days from the first to the last snapshot instant. */
  spanDays: number;
  recall: RecallAtLead[];
  precision: PrecisionReport;
  auc: AucReport;
  leadTime: LeadTimeReport;
  falseAlarms: FalseAlarmReport;
  /** Every tier, best first. */
  tierChurnRates: TierChurnRate[];
}

type Outcome = 'churner' | 'non_churner' | 'neither';

/** The grid and label facts every per-customer step needs, in epoch milliseconds. */
interface Frame {
  firstInstant: number;
  lastInstant: number;
  /** Days from the first to the last instant; 0 without snapshots. */
  spanDays: number;
  knownUntil: number;
  horizonMs: number;
  /**
   * The grid's step: the shortest gap between two of its instants. A snapshot stands for a lead only
   * within a step of it. A grid of one instant has no step: its horizon takes that part.
   */
  stepMs: number;
}

/**
 * Scores a backtest. The caller passes only snapshots of accounts that had signed up and not yet
 * churned at the snapshot instant; any snapshot at or after the account's churnedAt is ignored.
 *
 * - A **churner** has a label with churnedAt after the first snapshot instant and at or before
 *   labelsKnownUntil. A **non-churner** has no label, churnedAt null, or churnedAt after the last
 *   snapshot instant + horizonDays. An account that fits both (churned after last instant + horizon
 *   but by labelsKnownUntil) is a churner only: its churn is known, so its flags are no false alarm.
 *   The rest (churn not yet known but within the horizon of the grid) is neither.
 * - Precision and the per-tier churn rates count snapshots, whatever their account's class.
 * - See the report types for each figure's definition.
 *
 * Runs in O(n log n) for n snapshots: they are grouped by customer once and sorted by instant.
 */
export function evaluateBacktest(snapshots: SnapshotScore[], labels: ChurnLabel[], options: BacktestOptions): BacktestReport {
  const leadDays = options.leadDays ?? [7, 14, 30];
  const aucLeadDays = options.aucLeadDays ?? 30;
  validateOptions(options, leadDays, aucLeadDays);

  const churnTimes = indexChurnTimes(labels);
  const histories = groupByCustomer(snapshots, churnTimes);
  const frame = gridFrame(histories, options);
  const outcomes = newOutcomes(options.tiers, leadDays);

  for (const [customerId, history] of histories) {
    const churnedAt = churnTimes.get(customerId) ?? null;
    outcomes.snapshots += history.length;
    tallySnapshots(history, churnedAt, frame, outcomes);
    const outcome = outcomeOf(churnedAt, frame);
    if (outcome === 'churner' && churnedAt !== null) observeChurner(history, churnedAt, aucLeadDays, frame, outcomes);
    else if (outcome === 'non_churner') observeNonChurner(history, outcomes);
  }
  return reportOf(outcomes, { customers: histories.size, horizonDays: options.horizonDays, spanDays: frame.spanDays, aucLeadDays });
}

/** Running counts over customers; turned into shares once at the end. */
interface Outcomes {
  snapshots: number;
  churners: number;
  nonChurners: number;
  falselyFlagged: number;
  recall: { leadDays: number; churners: number; flagged: number }[];
  /** Scores of churners at the AUC lead, and every snapshot score of non-churners. */
  positives: number[];
  negatives: number[];
  /** Lead time in days of each detected churner. */
  leads: number[];
  flaggedSnapshots: number;
  truePositives: number;
  tiers: { tierKey: string; snapshots: number; churned: number }[];
  tierIndex: Map<string, number>;
}

function newOutcomes(bands: readonly TierBand[], leadDays: number[]): Outcomes {
  const bestFirst = [...bands].sort((a, b) => a.severity - b.severity);
  return {
    snapshots: 0,
    churners: 0,
    nonChurners: 0,
    falselyFlagged: 0,
    recall: leadDays.map((days) => ({ leadDays: days, churners: 0, flagged: 0 })),
    positives: [],
    negatives: [],
    leads: [],
    flaggedSnapshots: 0,
    truePositives: 0,
    tiers: bestFirst.map((band) => ({ tierKey: band.key, snapshots: 0, churned: 0 })),
    tierIndex: new Map(bestFirst.map((band, index) => [band.key, index])),
  };
}

function observeChurner(history: SnapshotScore[], churnedAt: number, aucLeadDays: number, frame: Frame, outcomes: Outcomes): void {
  const { stepMs, horizonMs } = frame;
  outcomes.churners += 1;
  for (const entry of outcomes.recall) {
    const latest = snapshotAtLead(history, churnedAt, entry.leadDays, stepMs);
    if (latest === undefined) continue;
    entry.churners += 1;
    if (latest.flagged) entry.flagged += 1;
  }
  const scored = snapshotAtLead(history, churnedAt, aucLeadDays, stepMs);
  if (scored !== undefined) outcomes.positives.push(scored.score);
  const lead = flaggedRunLeadDays(history, churnedAt, horizonMs);
  if (lead !== null) outcomes.leads.push(lead);
}

/** The snapshot that stands for `leadDays` before churn: the latest at or before it, if at most a grid step before. */
function snapshotAtLead(history: SnapshotScore[], churnedAt: number, leadDays: number, stepMs: number): SnapshotScore | undefined {
  const instant = churnedAt - leadDays * DAY_MS;
  const latest = latestAtOrBefore(history, instant);
  return latest !== undefined && latest.asOf.getTime() >= instant - stepMs ? latest : undefined;
}

function observeNonChurner(history: SnapshotScore[], outcomes: Outcomes): void {
  outcomes.nonChurners += 1;
  if (history.some((snapshot) => snapshot.flagged)) outcomes.falselyFlagged += 1;
  for (const snapshot of history) outcomes.negatives.push(snapshot.score);
}

function reportOf(
  outcomes: Outcomes,
  totals: { customers: number; horizonDays: number; spanDays: number; aucLeadDays: number },
): BacktestReport {
  const falseAlarmRate = share(outcomes.falselyFlagged, outcomes.nonChurners);
  return {
    customers: totals.customers,
    churners: outcomes.churners,
    snapshots: outcomes.snapshots,
    horizonDays: totals.horizonDays,
    spanDays: totals.spanDays,
    recall: outcomes.recall.map((entry) => ({ ...entry, recall: share(entry.flagged, entry.churners) })),
    precision: {
      precision: share(outcomes.truePositives, outcomes.flaggedSnapshots),
      flaggedSnapshots: outcomes.flaggedSnapshots,
      truePositives: outcomes.truePositives,
    },
    auc: {
      leadDays: totals.aucLeadDays,
      auc: aucByRanks(outcomes.positives, outcomes.negatives),
      positives: outcomes.positives.length,
      negatives: outcomes.negatives.length,
    },
    leadTime: leadTimeOf(outcomes.leads),
    falseAlarms: {
      nonChurners: outcomes.nonChurners,
      flagged: outcomes.falselyFlagged,
      rate: falseAlarmRate,
      ratePer90Days: falseAlarmRate === null ? null : (falseAlarmRate * 90) / Math.max(90, totals.spanDays),
    },
    tierChurnRates: outcomes.tiers.map((tier) => ({ ...tier, rate: share(tier.churned, tier.snapshots) })),
  };
}

function validateOptions(options: BacktestOptions, leadDays: number[], aucLeadDays: number): void {
  if (!(Number.isFinite(options.horizonDays) && options.horizonDays > 0)) {
    throw new RangeError(`horizonDays must be a positive number of days, got ${options.horizonDays}`);
  }
  for (const days of [...leadDays, aucLeadDays]) {
    if (!(Number.isFinite(days) && days >= 0)) throw new RangeError(`lead days must be ≥ 0, got ${days}`);
  }
  if (Number.isNaN(options.labelsKnownUntil.getTime())) throw new RangeError('labelsKnownUntil is not a valid date');
}

/** customerId → churn instant (ms) or null. One label per customer. */
function indexChurnTimes(labels: ChurnLabel[]): Map<string, number | null> {
  const churnTimes = new Map<string, number | null>();
  for (const label of labels) {
    if (churnTimes.has(label.customerId)) throw new RangeError(`two churn labels for customer ${label.customerId}`);
    churnTimes.set(label.customerId, label.churnedAt === null ? null : label.churnedAt.getTime());
  }
  return churnTimes;
}

/** Snapshots per customer, oldest first, without those at or after the customer's churn. */
function groupByCustomer(snapshots: SnapshotScore[], churnTimes: Map<string, number | null>): Map<string, SnapshotScore[]> {
  const histories = new Map<string, SnapshotScore[]>();
  for (const snapshot of snapshots) {
    const churnedAt = churnTimes.get(snapshot.customerId) ?? null;
    if (churnedAt !== null && snapshot.asOf.getTime() >= churnedAt) continue;
    const history = histories.get(snapshot.customerId);
    if (history) history.push(snapshot);
    else histories.set(snapshot.customerId, [snapshot]);
  }
  for (const history of histories.values()) history.sort((a, b) => a.asOf.getTime() - b.asOf.getTime());
  return histories;
}

function gridFrame(histories: Map<string, SnapshotScore[]>, options: BacktestOptions): Frame {
  let firstInstant = Number.POSITIVE_INFINITY;
  let lastInstant = Number.NEGATIVE_INFINITY;
  const instants = new Set<number>();
  for (const history of histories.values()) {
    firstInstant = Math.min(firstInstant, history[0].asOf.getTime());
    lastInstant = Math.max(lastInstant, history[history.length - 1].asOf.getTime());
    for (const snapshot of history) instants.add(snapshot.asOf.getTime());
  }
  const ordered = Float64Array.from(instants).sort();
  let stepMs = Number.POSITIVE_INFINITY;
  for (let i = 1; i < ordered.length; i++) stepMs = Math.min(stepMs, ordered[i] - ordered[i - 1]);
  return {
    stepMs: Number.isFinite(stepMs) ? stepMs : options.horizonDays * DAY_MS,
    firstInstant,
    lastInstant,
    spanDays: histories.size === 0 ? 0 : (lastInstant - firstInstant) / DAY_MS,
    knownUntil: options.labelsKnownUntil.getTime(),
    horizonMs: options.horizonDays * DAY_MS,
  };
}

function outcomeOf(churnedAt: number | null, frame: Frame): Outcome {
  if (churnedAt === null) return 'non_churner';
  if (churnedAt > frame.firstInstant && churnedAt <= frame.knownUntil) return 'churner';
  if (churnedAt > frame.lastInstant + frame.horizonMs) return 'non_churner';
  return 'neither';
}

/** Precision and per-tier churn: snapshots whose horizon has elapsed, and whether churn followed within it. */
function tallySnapshots(history: SnapshotScore[], churnedAt: number | null, frame: Frame, outcomes: Outcomes): void {
  for (const snapshot of history) {
    const asOf = snapshot.asOf.getTime();
    const horizonEnd = asOf + frame.horizonMs;
    if (horizonEnd > frame.knownUntil) continue;
    const churnedWithin = churnedAt !== null && churnedAt > asOf && churnedAt <= horizonEnd;
    if (snapshot.flagged) {
      outcomes.flaggedSnapshots += 1;
      if (churnedWithin) outcomes.truePositives += 1;
    }
    const index = outcomes.tierIndex.get(snapshot.tierKey);
    if (index === undefined) continue;
    outcomes.tiers[index].snapshots += 1;
    if (churnedWithin) outcomes.tiers[index].churned += 1;
  }
}

/** The latest snapshot at or before `instant` (ms) in a history sorted oldest first; binary search. */
function latestAtOrBefore(history: SnapshotScore[], instant: number): SnapshotScore | undefined {
  let low = 0;
  let high = history.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (history[middle].asOf.getTime() <= instant) low = middle + 1;
    else high = middle;
  }
  return low === 0 ? undefined : history[low - 1];
}

/**
 * Days from the start of the flagged run that ends at the latest snapshot to churn; null when that
 * snapshot is not flagged, or is more than the horizon before the churn (it foresaw no churn so far off).
 */
function flaggedRunLeadDays(history: SnapshotScore[], churnedAt: number, horizonMs: number): number | null {
  let start = history.length - 1;
  if (start < 0 || !history[start].flagged || history[start].asOf.getTime() < churnedAt - horizonMs) return null;
  while (start > 0 && history[start - 1].flagged) start -= 1;
  return (churnedAt - history[start].asOf.getTime()) / DAY_MS;
}

/**
 * P(positive < negative) + ½ P(tie) as the Mann–Whitney U statistic: both samples sorted, then
 * each negative counts the positives below it (and half of those equal to it) in one merge pass.
 */
function aucByRanks(positives: number[], negatives: number[]): number | null {
  if (positives.length === 0 || negatives.length === 0) return null;
  const sortedPositives = Float64Array.from(positives).sort();
  const sortedNegatives = Float64Array.from(negatives).sort();
  let below = 0; // positives strictly below the current negative
  let upTo = 0; // positives at or below it
  let u = 0;
  for (const negative of sortedNegatives) {
    while (below < sortedPositives.length && sortedPositives[below] < negative) below += 1;
    if (upTo < below) upTo = below;
    while (upTo < sortedPositives.length && sortedPositives[upTo] <= negative) upTo += 1;
    u += below + (upTo - below) / 2;
  }
  return u / (sortedPositives.length * sortedNegatives.length);
}

function leadTimeOf(leads: number[]): LeadTimeReport {
  const sorted = Float64Array.from(leads).sort();
  const quartile = (p: number) => (sorted.length === 0 ? null : roundToTenth(interpolatedQuantile(sorted, p)));
  return { detected: sorted.length, medianDays: quartile(0.5), p25Days: quartile(0.25), p75Days: quartile(0.75) };
}

/** Linear interpolation between order statistics: position (n − 1)·p of the sorted values. */
function interpolatedQuantile(sorted: Float64Array, p: number): number {
  const position = (sorted.length - 1) * p;
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
}

function roundToTenth(value: number): number {
  return Math.round(value * 10) / 10;
}

function share(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}
