import { DEFAULT_SCORING_MODEL, TIER_PRESETS, defaultModelWithTiers } from '../../../src/scoring/model';

describe('the default model', () => {
  it("weights engagement at about two thirds of the score, silence against the account's own cadence most of all", () => {
    const weightOf = (component: string) =>
      DEFAULT_SCORING_MODEL.components.find((c) => c.name === component)!.signals.reduce((sum, s) => sum + s.weight, 0);
    expect(['engagement', 'payments', 'support', 'nps'].map(weightOf)).toEqual([82, 19, 13, 6]);
    const heaviest = DEFAULT_SCORING_MODEL.components.flatMap((c) => c.signals).sort((a, b) => b.weight - a.weight)[0];
    expect(heaviest.name).toBe('silence');
  });

  it("compares every engagement signal but seat utilisation with the account's own history, not a fixed target", () => {
    const engagement = DEFAULT_SCORING_MODEL.components.find((c) => c.name === 'engagement')!.signals;
    expect(engagement.filter((s) => s.normaliser.kind === 'target').map((s) => s.name)).toEqual(['seat_utilisation']);
    expect(engagement.map((s) => s.metric)).toEqual([
      'silence_vs_cadence',
      'active_days_trend',
      'events_trend',
      'active_users_trend',
      'feature_breadth_trend',
      'seat_utilisation',
    ]);
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
