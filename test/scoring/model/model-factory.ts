// Test factories for scoring models: small hand-checkable models, and copies of the default one
// that a test can bend without affecting the others.
import { DEFAULT_SCORING_MODEL } from '../../../src/scoring/model';
import type { ComponentConfig, PenaltyConfig, ScoringModelConfig, SignalConfig, SignalResult } from '../../../src/scoring/model';

/** A deep copy of the default model, so tests can mutate it freely. */
export function defaultModelCopy(): ScoringModelConfig {
  return structuredClone(DEFAULT_SCORING_MODEL);
}

export function signal(overrides: Partial<SignalConfig> & Pick<SignalConfig, 'name' | 'metric'>): SignalConfig {
  return {
    windowDays: 30,
    normaliser: { kind: 'ratio' },
    weight: 1,
    missing: { policy: 'exclude' },
    ...overrides,
  };
}

/** The default model's tiers, playbooks and settings around the given components and penalties. */
export function modelWith(components: ComponentConfig[], penalties: PenaltyConfig[] = []): ScoringModelConfig {
  return { ...defaultModelCopy(), components, penalties };
}

/** A signal as a score explains it: `value` at `effectiveWeight` of the score (weight and contribution to match). */
export function signalResult(name: string, value: number | null, effectiveWeight: number, missing = false): SignalResult {
  return {
    name,
    component: 'engagement',
    rawValue: value,
    value,
    weight: effectiveWeight * 100,
    effectiveWeight,
    contribution: (value ?? 0) * effectiveWeight * 100,
    missing,
  };
}
