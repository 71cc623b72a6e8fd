// GraphQL enums of the scoring domain, shared by the customer graph and the scoring engine.
import { registerEnumType } from 'type-graphql';

export enum Trend {
  IMPROVING = 'IMPROVING',
  STABLE = 'STABLE',
  DECLINING = 'DECLINING',
}

export enum LifecycleStage {
  ONBOARDING = 'ONBOARDING',
  ACTIVE = 'ACTIVE',
  AT_RISK = 'AT_RISK',
  CHURNED = 'CHURNED',
  ADVOCATE = 'ADVOCATE',
}

export enum TierDirection {
  WORSENED = 'WORSENED',
  IMPROVED = 'IMPROVED',
  NEW = 'NEW',
}

registerEnumType(Trend, { name: 'Trend', description: 'Score now vs the score `trend.windowDays` earlier.' });
registerEnumType(LifecycleStage, { name: 'LifecycleStage' });
registerEnumType(TierDirection, { name: 'TierDirection' });
