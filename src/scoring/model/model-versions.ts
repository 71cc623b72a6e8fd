// Which settings of a model decide what a scoring stores (score, tier, trend, lifecycle stage) and
// which only decide the playbooks run on it. A version that differs from the one before only in the
// latter scores every account alike, so scoring compares its points with that one's as within one
// version (trend, score drop, a tier worsened), and activating it has nothing to rescore.
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
 * Whether two models score every account alike: equal but for their playbook settings (key order
 * aside). Stored versions are compared as one only within a run of versions activated one after
 * another, each alike the one before by this rule (MODEL_SCORING_SQL, scoring-model.service.ts): a
 * rollback to an earlier model is a model change, as the version it replaces scored otherwise.
 */
export function scoresAlike(a: ScoringModelConfig, b: ScoringModelConfig): boolean {
  return canonicalJson(scoringPartOf(a)) === canonicalJson(scoringPartOf(b));
}
