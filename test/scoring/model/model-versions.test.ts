import { DEFAULT_SCORING_MODEL, ScoringModelConfig, scoresAlike, scoresComputedAlike, withTierPreset } from '../../../src/scoring/model';

const model = (): ScoringModelConfig => structuredClone(DEFAULT_SCORING_MODEL);

describe('scoresAlike: two models that differ only in their playbook settings score every account alike', () => {
  it('holds for new wording, cooldowns, actions, the escalation line, the silence alert and the score-drop trigger', () => {
    const edited = model();
    edited.playbooks[0].actions[0].template = `URGENT: ${edited.playbooks[0].actions[0].template}`;
    edited.playbooks[1].cooldownDays = 3;
    edited.playbooks[1].actions.push({ action: 'account_review', audience: 'TEAM', channel: 'CRM_TASK', template: 'Review.' });
    edited.playbooks = edited.playbooks.filter((playbook) => playbook.key !== 'monitor');
    Object.assign(edited, { cooldownDays: 14, escalationArrCents: 1, silenceAlertDays: 3, silenceAlertGaps: 5 });
    edited.scoreDrop = { points: 10, withinDays: 7 };
    expect(scoresAlike(edited, DEFAULT_SCORING_MODEL)).toBe(true);
  });

  it('holds whatever order the keys were kept in', () => {
    const reordered = Object.fromEntries(Object.entries(model()).reverse()) as unknown as ScoringModelConfig;
    expect(scoresAlike(reordered, DEFAULT_SCORING_MODEL)).toBe(true);
  });

  it('does not hold for a weight, a red flag, tiers, hysteresis, the trend or the lifecycle', () => {
    const changes: Array<(config: ScoringModelConfig) => void> = [
      (config) => (config.components[0].signals[0].weight += 1),
      (config) => (config.penalties[0].points += 1),
      (config) => (config.penaltyHysteresis = 0),
      (config) => (config.tiers[0].lowerBound += 1),
      (config) => (config.hysteresis += 1),
      (config) => (config.trend.threshold += 1),
      (config) => (config.lifecycle.onboardingDays += 1),
    ];
    for (const change of changes) {
      const changed = model();
      change(changed);
      expect(scoresAlike(changed, DEFAULT_SCORING_MODEL)).toBe(false);
    }
  });
});

describe('scoresComputedAlike: two models that differ only in settings computeScore does not read compute every score alike', () => {
  it('holds for another tier scheme, hysteresis, trend and lifecycle, with playbook settings changed too', () => {
    const placed = withTierPreset(model(), 'three_tier');
    placed.hysteresis += 3;
    placed.trend = { windowDays: 14, threshold: 8 };
    placed.lifecycle = { ...placed.lifecycle, onboardingDays: 45, churnWindowDays: 90, advocateMinScore: 85, minCoverage: 0.5 };
    placed.cooldownDays = 14;
    placed.scoreDrop = { points: 10, withinDays: 7 };
    expect(scoresAlike(placed, DEFAULT_SCORING_MODEL)).toBe(false);
    expect(scoresComputedAlike(placed, DEFAULT_SCORING_MODEL)).toBe(true);
  });

  it('holds wherever scoresAlike does', () => {
    const reordered = Object.fromEntries(Object.entries(model()).reverse()) as unknown as ScoringModelConfig;
    reordered.playbooks = [];
    expect(scoresComputedAlike(reordered, DEFAULT_SCORING_MODEL)).toBe(true);
  });

  it('does not hold for a signal, a weight, a red flag or its hysteresis, nor for a setting it does not know', () => {
    const changes: Array<(config: ScoringModelConfig) => void> = [
      (config) => (config.components[0].signals[0].weight += 1),
      (config) => (config.components[0].signals[0].windowDays += 1),
      (config) => config.components.pop(),
      (config) => (config.penalties[0].points += 1),
      (config) => config.penalties.pop(),
      (config) => (config.penaltyHysteresis = 0),
      (config) => Object.assign(config, { someFutureSetting: 1 }),
    ];
    for (const change of changes) {
      const changed = model();
      change(changed);
      expect(scoresComputedAlike(changed, DEFAULT_SCORING_MODEL)).toBe(false);
    }
  });
});
