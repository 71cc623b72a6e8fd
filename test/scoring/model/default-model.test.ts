import { DEFAULT_SCORING_MODEL, TIER_PRESETS, defaultModelWithTiers } from '../../../src/scoring/model';

describe('the default model', () => {
  it('weights engagement at three quarters of the score, recency most of all', () => {
    const weightOf = (component: string) =>
      DEFAULT_SCORING_MODEL.components.find((c) => c.name === component)!.signals.reduce((sum, s) => sum + s.weight, 0);
    expect(['engagement', 'payments', 'support', 'nps'].map(weightOf)).toEqual([75, 10, 9, 6]);
    const heaviest = DEFAULT_SCORING_MODEL.components.flatMap((c) => c.signals).sort((a, b) => b.weight - a.weight)[0];
    expect(heaviest.name).toBe('last_activity_recency');
  });

  it('is frozen, so a caller cannot change the defaults for everyone', () => {
    expect(() => {
      (DEFAULT_SCORING_MODEL.tiers[0] as { lowerBound: number }).lowerBound = 10;
    }).toThrow(TypeError);
    expect(() => {
      TIER_PRESETS.three_tier.push({ key: 'x', label: 'X', lowerBound: 99, severity: 0 });
    }).toThrow(TypeError);
  });

  it('re-attaches the tier playbooks by severity for another preset, and returns a mutable copy', () => {
    const model = defaultModelWithTiers('five_band_thriving');
    const tierPlaybooks = model.playbooks.flatMap((p) => (p.kind === 'tier' ? [[p.tierKey, p.actions[0].action]] : []));
    expect(tierPlaybooks).toEqual([
      ['critical', 'csm_alert'],
      ['churning', 'csm_alert'],
      ['at_risk', 'check_in_email'],
    ]);
    model.hysteresis = 3;
    expect(DEFAULT_SCORING_MODEL.hysteresis).toBe(2);
  });

  it('gives the three-tier scheme only the critical and at-risk playbooks', () => {
    const model = defaultModelWithTiers('three_tier');
    expect(model.playbooks.map((p) => p.key)).toEqual(['critical', 'at_risk', 'silence', 'expansion']);
  });
});
