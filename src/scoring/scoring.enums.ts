// The scoring domain's enums (defined once, in the pure model: model/types.ts) registered as GraphQL
// enums, shared by the customer graph and the scoring engine.
import { registerEnumType } from 'type-graphql';
import { RiskReasonKind } from './model/risk-reasons';
import { LifecycleStage, TierDirection, Trend } from './model/types';

export { LifecycleStage, RiskReasonKind, TierDirection, Trend };

registerEnumType(Trend, { name: 'Trend', description: 'Score now vs the score `trend.windowDays` earlier.' });
registerEnumType(LifecycleStage, { name: 'LifecycleStage' });
registerEnumType(TierDirection, { name: 'TierDirection' });
registerEnumType(RiskReasonKind, { name: 'RiskReasonKind', description: 'A red flag that took points, or a signal below its best.' });
