// Lifecycle stage: where a customer is in its journey, derived automatically at every scoring
// from dates, the tier and NPS, so stage transitions need no manual bookkeeping.
import { isAtRiskTier } from './tiers';
import type { LifecycleStage, ScoringModelConfig } from './types';

export const DAY_MS = 24 * 60 * 60 * 1000;

export function daysBetween(from: Date, to: Date): number {
  return (to.getTime() - from.getTime()) / DAY_MS;
}

export interface LifecycleInput {
  /** The signup date, if any; the stage reads it only through startedAt. */
  signedUpAt: Date | null;
  /**
   * When the customer started: its signup, or without one its first recorded signal or its creation
   * (src/scoring/customer-start.ts). Young is counted from here.
   */
  startedAt: Date;
  churnedAt: Date | null;
  asOf: Date;
  /** Last engagement event at or before asOf; null if none. */
  lastActivityAt: Date | null;
  /**
   * The customer's first engagement event ever recorded (customer-start.ts); null if none. One more
   * than churnWindowDays before asOf makes a thinly observed account a returning one, not a new one.
   */
  firstActivityAt: Date | null;
  tierKey: string;
  score: number;
  /** Account NPS −100…100 over the model's NPS window, unrounded (a recency-weighted one is fractional); null without responses. */
  accountNps: number | null;
  /** Share of the model's signal weight observed for this score (ScoreResult.coverage); 1 when unknown. */
  coverage?: number;
  /** A red flag (penalty) applied to this score: a measured risk, not missing data. */
  redFlagged?: boolean;
  /**
   * In one of the two worst tiers because of red flags on facts (failing invoices, urgent tickets, a
   * contraction, angry answers: neither the account's use nor a comparison with its own baseline),
   * and not without them. Such a fact is as true of an account in its first weeks as of any other;
   * its use, and its baselines, are still its onboarding.
   */
  atRiskForFacts?: boolean;
  model: ScoringModelConfig;
}

/**
 * Precedence, first match wins:
 * 1. CHURNED — cancelled (churnedAt ≤ asOf), or silent for more than churnWindowDays: since the last
 *    activity, or since the customer started for an account with none (its signup, or without one its
 *    first recorded signal or creation: an account first seen months ago through a survey answer or a
 *    payment, and never used, is as silent as one that signed up then). A customer cancelling in week
 *    two is churned, not onboarding.
 * 2. ONBOARDING — less than onboardingDays since the customer started (its signup, or without one
 *    its first recorded signal or creation): the 30-day windows are still filling, so a low score
 *    says little yet and must not brand a new customer at risk. Unless red flags on facts (its
 *    invoices failing, urgent tickets, angry answers) are what put it in one of the two worst tiers:
 *    AT_RISK, as a CS team would work a new customer whose every payment fails. Or thinly observed (less than
 *    minCoverage of the model's weight has data behind it) and never in use before: a new
 *    integration of a long-signed account; or nothing measured at all (coverage 0), in use before or
 *    not. Unless a red flag applies (failing invoices, an
 *    escalation, angry answers, a silence: measured, not missing), which stages it by its tier, as a
 *    CS team would work it. A returning customer (in use more than churnWindowDays ago, back after a
 *    silence or a lifted cancellation) is thinly observed too while its usage baselines refill, but
 *    it is no new customer: a CS team works it by its tier, like anyone else.
 * 3. AT_RISK — the tier is one of the two worst bands. Risk outranks advocacy: a bad-tier customer
 *    with a great NPS needs help before a referral request.
 * 4. ADVOCATE — score ≥ advocateMinScore and account NPS ≥ advocateMinNps, once the account has been
 *    in use for onboardingDays (newToTheProduct): one signed long ago and used for the first time days
 *    ago scores high on neutral usage values and is no power user yet.
 * 5. ACTIVE.
 */
export function lifecycleStageOf(input: LifecycleInput): LifecycleStage {
  const { churnedAt, asOf, lastActivityAt, tierKey, score, accountNps, model } = input;
  const { onboardingDays, churnWindowDays, advocateMinScore, advocateMinNps, minCoverage = 0 } = model.lifecycle;

  if (churnedAt && churnedAt.getTime() <= asOf.getTime()) return 'CHURNED';
  // lastActivityAt is looked for at least churnWindowDays back, so none means silent since the start.
  const silentSince = lastActivityAt ?? input.startedAt;
  if (daysBetween(silentSince, asOf) > churnWindowDays) return 'CHURNED';

  if (daysBetween(input.startedAt, asOf) < onboardingDays) {
    return input.atRiskForFacts && isAtRiskTier(model.tiers, tierKey) ? 'AT_RISK' : 'ONBOARDING';
  }
  // Nothing measured at all (coverage 0: a model whose every signal was excluded as missing scores 0
  // on no evidence) is no reason to call anyone, whatever the account's past.
  const coverage = input.coverage ?? 1;
  const unobserved = coverage === 0 || (coverage < minCoverage && !isReturning(input, churnWindowDays));
  if (unobserved && !input.redFlagged) return 'ONBOARDING';

  if (isAtRiskTier(model.tiers, tierKey)) return 'AT_RISK';

  if (
    score >= advocateMinScore &&
    accountNps !== null &&
    accountNps >= advocateMinNps &&
    !newToTheProduct(input.firstActivityAt, asOf, onboardingDays)
  )
    return 'ADVOCATE';

  return 'ACTIVE';
}

/**
 * In use for less than `onboardingDays` (its first engagement event ever recorded since, or none):
 * whatever its signup date, its use is still its onboarding's, read by usage signals that are
 * neutral values until it has a baseline. Such an account is no advocate and gets no expansion play.
 */
export function newToTheProduct(firstActivityAt: Date | null, asOf: Date, onboardingDays: number): boolean {
  return firstActivityAt === null || daysBetween(firstActivityAt, asOf) < onboardingDays;
}

/** In use before its latest churn window: whatever its data lacks now, the account is known. */
function isReturning(input: LifecycleInput, churnWindowDays: number): boolean {
  return input.firstActivityAt !== null && daysBetween(input.firstActivityAt, input.asOf) > churnWindowDays;
}
