// The scoring domain's enums (defined once, in the pure model: model/types.ts) registered as GraphQL
// enums, shared by the customer graph and the scoring engine.
import { registerEnumType } from 'type-graphql';
import { RiskReasonKind } from './model/risk-reasons';
import { LifecycleStage, TierDirection, Trend } from './model/types';

export { LifecycleStage, RiskReasonKind, TierDirection, Trend };

registerEnumType(Trend, {
  name: 'Trend',
  description: 'Score now vs the score `trend.windowDays` earlier.',
  valuesConfig: {
    IMPROVING: { description: 'More than `trend.threshold` points above it (default 5 points, against the score 7 days earlier).' },
    STABLE: {
      description:
        'Within `trend.threshold` points of it, or no earlier score to compare with (none in the window, or of another model version).',
    },
    DECLINING: { description: 'More than `trend.threshold` points below it.' },
  },
});
registerEnumType(LifecycleStage, {
  name: 'LifecycleStage',
  description:
    'Where the account is in its life with the product; the first that matches, in this order: CHURNED, ONBOARDING, AT_RISK, ADVOCATE, ACTIVE.',
  valuesConfig: {
    CHURNED: {
      description:
        'Cancelled (churnedAt has come), or no activity for more than `lifecycle.churnWindowDays` (60 days; never used: since its start).',
    },
    ONBOARDING: {
      description:
        'Its first `lifecycle.onboardingDays` (30) from its start (sign-up, else first signal or creation), or thinly observed (coverage below `lifecycle.minCoverage`, or 0); unless red flags (failing invoices, urgent tickets, angry answers) stage it by its tier.',
    },
    AT_RISK: { description: 'In one of the two worst tiers (outranks ADVOCATE).' },
    ADVOCATE: { description: 'Score ≥ `lifecycle.advocateMinScore` (80) and account NPS ≥ `lifecycle.advocateMinNps` (50).' },
    ACTIVE: { description: 'Any other scored account.' },
  },
});
registerEnumType(TierDirection, {
  name: 'TierDirection',
  description: "A tier change's direction, by the tiers' severity in the model that scored it.",
  valuesConfig: {
    WORSENED: { description: 'To a worse tier (a higher severity).' },
    IMPROVED: { description: 'To a better tier (a lower severity).' },
    NEW: {
      description:
        "Neither: the customer's first tier, a move off a thinly observed score (a first placement: fromTier null), a move from a point scored under another tier scheme (a tier preset, or a model that moves a band: fromTier is that scheme's tier), or between two tiers of equal severity.",
    },
  },
});
registerEnumType(RiskReasonKind, {
  name: 'RiskReasonKind',
  description: 'A red flag that took points, or a signal below its best.',
  valuesConfig: {
    PENALTY: { description: 'A red flag (a penalty of the model) that took points off the score.' },
    SIGNAL: { description: 'A signal below its best, costing the points its shortfall weighs.' },
  },
});
