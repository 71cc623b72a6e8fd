import { DEFAULT_SCORING_MODEL, ScoringModelConfig, scoresAlike } from '../../../src/scoring/model';

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
