import {
  TIER_PRESETS,
  bandBounds,
  bandForScore,
  changeDirection,
  isAtRiskTier,
  isBestTier,
  isSecondWorstTier,
  isWorstTier,
  tierDirection,
  tierFor,
  tierHeldFrom,
} from '../../../src/scoring/model';
import type { TierBand } from '../../../src/scoring/model';

const bands = TIER_PRESETS.four_tier;
const HYSTERESIS = 2;

/** Feeds scores one after another, each scoring starting from the tier the previous one produced. */
function tiersOver(scores: number[], startTier: string | null = null): string[] {
  let tier = startTier;
  return scores.map((score) => (tier = tierFor(score, bands, tier, HYSTERESIS).key));
}

describe('tierFor', () => {
  it('looks up the plain band when there is no previous tier', () => {
    expect([100, 70, 69, 50, 49, 30, 29, 0].map((score) => tierFor(score, bands, null, HYSTERESIS).key)).toEqual([
      'healthy',
      'healthy',
      'monitor',
      'monitor',
      'at_risk',
      'at_risk',
      'critical',
      'critical',
    ]);
  });

  it('keeps a healthy account healthy until its score falls below 68', () => {
    expect(tierFor(68, bands, 'healthy', HYSTERESIS).key).toBe('healthy');
    expect(tierFor(67, bands, 'healthy', HYSTERESIS).key).toBe('monitor');
  });

  it('promotes a monitor account to healthy only at 72', () => {
    expect(tierFor(71, bands, 'monitor', HYSTERESIS).key).toBe('monitor');
    expect(tierFor(72, bands, 'monitor', HYSTERESIS).key).toBe('healthy');
  });

  it('applies hysteresis at the lower boundary of a middle band too', () => {
    expect(tierFor(48, bands, 'monitor', HYSTERESIS).key).toBe('monitor');
    expect(tierFor(47, bands, 'monitor', HYSTERESIS).key).toBe('at_risk');
    expect(tierFor(51, bands, 'at_risk', HYSTERESIS).key).toBe('at_risk');
    expect(tierFor(52, bands, 'at_risk', HYSTERESIS).key).toBe('monitor');
  });

  it('keeps a score wobbling around 70 in its tier', () => {
    expect(tiersOver([71, 69, 71, 69, 71, 69])).toEqual(Array(6).fill('healthy'));
    expect(tiersOver([69, 71, 69, 71, 69, 71])).toEqual(Array(6).fill('monitor'));
  });

  it('flaps on every wobble without hysteresis, which is what hysteresis prevents', () => {
    let tier: string | null = null;
    const withoutHysteresis = [71, 69, 71, 69].map((score) => (tier = tierFor(score, bands, tier, 0).key));
    expect(withoutHysteresis).toEqual(['healthy', 'monitor', 'healthy', 'monitor']);
  });

  it('moves straight to the band of a large jump, skipping bands in between', () => {
    expect(tierFor(40, bands, 'healthy', HYSTERESIS).key).toBe('at_risk');
    expect(tierFor(95, bands, 'critical', HYSTERESIS).key).toBe('healthy');
  });

  it('falls back to the plain band when the previous tier is not in the model any more', () => {
    expect(tierFor(69, bands, 'thriving', HYSTERESIS).key).toBe('monitor');
  });

  it('keeps the best band open-ended and the worst band down to 0', () => {
    expect(bandBounds(bands[0], bands)).toEqual({ lower: 70, upper: Number.POSITIVE_INFINITY });
    expect(bandBounds(bands[3], bands)).toEqual({ lower: 0, upper: 30 });
    expect(tierFor(100, bands, 'healthy', HYSTERESIS).key).toBe('healthy');
    expect(tierFor(0, bands, 'critical', HYSTERESIS).key).toBe('critical');
  });

  it('ignores the order bands are listed in', () => {
    const shuffled = [bands[2], bands[0], bands[3], bands[1]];
    expect(bandForScore(55, shuffled).key).toBe('monitor');
    expect(tierFor(68, shuffled, 'healthy', HYSTERESIS).key).toBe('healthy');
  });
});

describe('tierHeldFrom: hysteresis across model versions', () => {
  /** The tier a scoring under `scheme` gives `score`, its previous point placed in `previousTier` under `previousScheme`. */
  const rescored = (score: number, previousTier: string, previousScheme: readonly TierBand[] | null, scheme: readonly TierBand[]) =>
    tierFor(score, scheme, tierHeldFrom(previousTier, previousScheme, scheme), HYSTERESIS).key;

  it('holds no at_risk of 40–69 over a 50 back under four_tier, where at_risk is 30–49: the 50 is monitor', () => {
    expect(rescored(50, 'monitor', TIER_PRESETS.four_tier, TIER_PRESETS.three_tier)).toBe('at_risk');
    expect(rescored(50, 'at_risk', TIER_PRESETS.three_tier, TIER_PRESETS.four_tier)).toBe('monitor');
  });

  it('holds no at_risk of 30–49 over a 48 under five_band_thriving, where at_risk is 50–69: the 48 is churning', () => {
    expect(rescored(48, 'at_risk', TIER_PRESETS.four_tier, TIER_PRESETS.five_band_thriving)).toBe('churning');
    // Nor a best band whose upper bound a new band above it closes: a 91 is thriving.
    expect(rescored(91, 'healthy', TIER_PRESETS.four_tier, TIER_PRESETS.five_band_thriving)).toBe('thriving');
  });

  it('holds a tier whose bounds a new version left as they were, whatever else changed', () => {
    // A copy, as a new version read back from the database is: equal bounds, not the same object.
    expect(rescored(68, 'healthy', structuredClone(TIER_PRESETS.four_tier), TIER_PRESETS.four_tier)).toBe('healthy');
    // monitor split at 60: healthy keeps its bounds and its hysteresis, monitor (now 50–59) does not.
    const withWatch: TierBand[] = [
      { key: 'healthy', label: 'Healthy', lowerBound: 70, severity: 0 },
      { key: 'watch', label: 'Watch', lowerBound: 60, severity: 1 },
      { key: 'monitor', label: 'Monitor', lowerBound: 50, severity: 2 },
      { key: 'at_risk', label: 'At risk', lowerBound: 30, severity: 3 },
      { key: 'critical', label: 'Critical', lowerBound: 0, severity: 4 },
    ];
    expect(rescored(68, 'healthy', TIER_PRESETS.four_tier, withWatch)).toBe('healthy');
    expect(rescored(61, 'monitor', TIER_PRESETS.four_tier, withWatch)).toBe('watch');
  });

  it('takes the plain band when the bands that placed the previous tier are unknown', () => {
    expect(tierHeldFrom('healthy', null, TIER_PRESETS.four_tier)).toBeNull();
    expect(rescored(68, 'healthy', null, TIER_PRESETS.four_tier)).toBe('monitor');
  });
});

describe('tier presets', () => {
  const keyFor = (preset: keyof typeof TIER_PRESETS, score: number) => bandForScore(score, TIER_PRESETS[preset]).key;

  it('splits the three-tier scheme at 70 and 40', () => {
    expect([85, 70, 69, 40, 39, 0].map((s) => keyFor('three_tier', s))).toEqual([
      'healthy',
      'healthy',
      'at_risk',
      'at_risk',
      'critical',
      'critical',
    ]);
  });

  it('reproduces the thriving/healthy/at_risk/churning/critical bands of the seed', () => {
    expect([95, 90, 89, 70, 69, 50, 49, 30, 29].map((s) => keyFor('five_band_thriving', s))).toEqual([
      'thriving',
      'thriving',
      'healthy',
      'healthy',
      'at_risk',
      'at_risk',
      'churning',
      'churning',
      'critical',
    ]);
  });

  it('reproduces the healthy/stable/watch/at_risk/critical bands of the seed', () => {
    expect([80, 79, 60, 59, 40, 39, 20, 19].map((s) => keyFor('five_band_stable', s))).toEqual([
      'healthy',
      'stable',
      'stable',
      'watch',
      'watch',
      'at_risk',
      'at_risk',
      'critical',
    ]);
  });
});

describe('tier ranks', () => {
  it('finds the worst, second-worst, two worst and best bands by severity', () => {
    expect(bands.filter((b) => isWorstTier(bands, b.key)).map((b) => b.key)).toEqual(['critical']);
    expect(bands.filter((b) => isSecondWorstTier(bands, b.key)).map((b) => b.key)).toEqual(['at_risk']);
    expect(bands.filter((b) => isAtRiskTier(bands, b.key)).map((b) => b.key)).toEqual(['at_risk', 'critical']);
    expect(bands.filter((b) => isBestTier(bands, b.key)).map((b) => b.key)).toEqual(['healthy']);
    const thriving = TIER_PRESETS.five_band_thriving;
    expect(thriving.filter((b) => isAtRiskTier(thriving, b.key)).map((b) => b.key)).toEqual(['churning', 'critical']);
  });

  it('never counts the best band as at risk: a two-band scheme has one at-risk band, a one-band scheme none', () => {
    const twoBands = [
      { key: 'ok', label: 'OK', lowerBound: 50, severity: 0 },
      { key: 'bad', label: 'Bad', lowerBound: 0, severity: 1 },
    ];
    expect(twoBands.filter((b) => isAtRiskTier(twoBands, b.key)).map((b) => b.key)).toEqual(['bad']);
    expect(twoBands.filter((b) => isSecondWorstTier(twoBands, b.key))).toEqual([]);
    const oneBand = [{ key: 'all', label: 'All', lowerBound: 0, severity: 0 }];
    expect(oneBand.filter((b) => isAtRiskTier(oneBand, b.key) || isSecondWorstTier(oneBand, b.key))).toEqual([]);
  });

  it('tells whether a change of tier is a worsening or an improvement', () => {
    expect(tierDirection(bands, 'healthy', 'monitor')).toBe('WORSENED');
    expect(tierDirection(bands, 'critical', 'at_risk')).toBe('IMPROVED');
    expect(tierDirection(bands, 'monitor', 'monitor')).toBe('UNCHANGED');
    expect(tierDirection(bands, null, 'monitor')).toBe('NEW');
  });

  it('records a change between two tiers of equal severity, or from a tier the bands do not know, as NEW', () => {
    const sameSeverity = [
      { key: 'ok', label: 'OK', lowerBound: 50, severity: 0 },
      { key: 'fine', label: 'Fine', lowerBound: 25, severity: 0 },
      { key: 'bad', label: 'Bad', lowerBound: 0, severity: 1 },
    ];
    expect(changeDirection(sameSeverity, 'ok', 'fine')).toBe('NEW');
    expect(changeDirection(sameSeverity, 'ok', 'bad')).toBe('WORSENED');
    expect(changeDirection(bands, 'thriving', 'healthy')).toBe('NEW');
  });
});
