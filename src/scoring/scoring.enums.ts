// The scoring domain's enums (defined once, in the pure model: model/types.ts) registered as GraphQL
// enums, shared by the customer graph and the scoring engine.
import { registerEnumType } from 'type-graphql';
import { RiskReasonKind } from './model/risk-reasons';
import { LifecycleStage, TierDirection, Trend } from './model/types';

export { LifecycleStage, RiskReasonKind, TierDirection, Trend };

registerEnumType(Trend, { name: 'Trend', description: 'Score now vs the score `trend.windowDays` earlier.' });
registerEnumType(LifecycleStage, { name: 'LifecycleStage' });
registerEnumType(TierDirection, {
  name: 'TierDirection',
  description: "A tier change's direction, by the tiers' severity in the model that scored it.",
  valuesConfig: {
    WORSENED: { description: 'To a worse tier (a higher severity).' },
    IMPROVED: { description: 'To a better tier (a lower severity).' },
    NEW: {
      description:
        "Neither: the customer's first tier, a move from a tier the model no longer defines (a new tier scheme), or between two tiers of equal severity.",
    },
  },
});
registerEnumType(RiskReasonKind, { name: 'RiskReasonKind', description: 'A red flag that took points, or a signal below its best.' });
