// The scoring core: pure functions over plain data, no database, ORM or GraphQL. The scoring
// service feeds it SQL aggregates and persists what it returns; everything here is unit-tested.
export * from './types';
export * from './metrics';
export * from './normalise';
export * from './compute-score';
export * from './tiers';
export * from './trend';
export * from './lifecycle';
export * from './playbooks';
export * from './validate-model';
export * from './default-model';
export * from './activity-metrics';
export * from './assess';
export * from './risk-reasons';
export * from './silence-promise';
export * from './model-versions';
