// Which settings of a model decide what a scoring stores (score, tier, trend, lifecycle stage), which
// of those place a score without changing it, and which only decide the playbooks run on it. A
// version that differs from the one before only in playbook settings scores every account alike, so
// scoring compares its points with that one's as within one version (trend, score drop, a tier
// worsened), and activating it has nothing to rescore. One that also differs in placement settings
// (a tier preset) is rescored for its tiers, but computes the same scores: the trend and the score
// drop, which compare scores only, still compare across it.
import type { ScoringModelConfig } from './types';

/**
 * The settings that decide only the outreach a scoring plans: the playbooks (their actions, wording
 * and cooldowns), the default cooldown, the escalation line, the silence alert and the score-drop
 * trigger. No score, tier, trend or lifecycle stage reads them.
 */
export const PLAYBOOK_SETTINGS = [
  'playbooks',
  'cooldownDays',
  'escalationArrCents',
  'silenceAlertDays',
  'silenceAlertGaps',
  'scoreDrop',
] as const satisfies ReadonlyArray<keyof ScoringModelConfig>;

/**
 * The settings that place a score without changing it: its tier (the bands and their hysteresis),
 * its trend (window and threshold) and its lifecycle stage. computeScore reads none of them, and
 * the metrics it is given do not depend on them (the churn window widens the activity scan, not a
 * metric's value). Anything else a model holds but the playbook settings is taken to change scores.
 */
export const PLACEMENT_SETTINGS = ['tiers', 'hysteresis', 'trend', 'lifecycle'] as const satisfies ReadonlyArray<keyof ScoringModelConfig>;

/** JSON with object keys sorted, so two values compare equal whatever order their keys were kept in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** A model without its playbook settings (PLAYBOOK_SETTINGS): what decides the scores, tiers, trends and lifecycle stages it stores. */
export function scoringPartOf(config: ScoringModelConfig): Omit<ScoringModelConfig, (typeof PLAYBOOK_SETTINGS)[number]> {
  const part: Partial<ScoringModelConfig> = { ...config };
  for (const setting of PLAYBOOK_SETTINGS) delete part[setting];
  return part as Omit<ScoringModelConfig, (typeof PLAYBOOK_SETTINGS)[number]>;
}

/**
 * A model without its playbook and placement settings (PLAYBOOK_SETTINGS, PLACEMENT_SETTINGS): what
 * computes its scores (the signals and their weights, the red flags and their hysteresis).
 */
export function scoreComputationOf(
  config: ScoringModelConfig,
): Omit<ScoringModelConfig, (typeof PLAYBOOK_SETTINGS)[number] | (typeof PLACEMENT_SETTINGS)[number]> {
  const part: Partial<ScoringModelConfig> = scoringPartOf(config);
  for (const setting of PLACEMENT_SETTINGS) delete part[setting];
  return part as Omit<ScoringModelConfig, (typeof PLAYBOOK_SETTINGS)[number] | (typeof PLACEMENT_SETTINGS)[number]>;
}

/**
 * Whether two models score every account alike: equal but for their playbook settings (key order
 * aside). Stored versions are compared as one only within a run of versions activated one after
 * another, each alike the one before by this rule (MODEL_SCORING_SQL, scoring-model.service.ts): a
 * rollback to an earlier model is a model change, as the version it replaces scored otherwise.
 */
export function scoresAlike(a: ScoringModelConfig, b: ScoringModelConfig): boolean {
  return canonicalJson(scoringPartOf(a)) === canonicalJson(scoringPartOf(b));
}

/**
 * Whether two models compute every account's score alike: equal but for their playbook and placement
 * settings (key order aside); they may still place it in other tiers. Looser than scoresAlike: the
 * trend and the score drop, which compare scores only, compare a point with one of such a version,
 * along a run of versions each alike the one before by this rule (MODEL_SCORING_SQL's `computing`).
 */
export function scoresComputedAlike(a: ScoringModelConfig, b: ScoringModelConfig): boolean {
  return canonicalJson(scoreComputationOf(a)) === canonicalJson(scoreComputationOf(b));
}
