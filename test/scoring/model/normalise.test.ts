import { clamp01, normalise } from '../../../src/scoring/model';

describe('normalise', () => {
  describe('target', () => {
    const toTwenty = { kind: 'target', target: 20 } as const;

    it('scales a value against its target', () => {
      expect(normalise(10, toTwenty)).toBe(0.5);
      expect(normalise(0, toTwenty)).toBe(0);
    });

    it('caps at 1 when the target is exceeded', () => {
      expect(normalise(20, toTwenty)).toBe(1);
      expect(normalise(31, toTwenty)).toBe(1);
    });

    it('clamps a negative value to 0', () => {
      expect(normalise(-5, toTwenty)).toBe(0);
    });
  });

  describe('inverse_target', () => {
    const upToFive = { kind: 'inverse_target', max: 5 } as const;

    it('treats no load as healthy and full load as 0', () => {
      expect(normalise(0, upToFive)).toBe(1);
      expect(normalise(2, upToFive)).toBeCloseTo(0.6);
      expect(normalise(5, upToFive)).toBe(0);
    });

    it('clamps loads beyond the maximum to 0 and negative loads to 1', () => {
      expect(normalise(12, upToFive)).toBe(0);
      expect(normalise(-1, upToFive)).toBe(1);
    });
  });

  describe('recency', () => {
    const threeToSeven = { kind: 'recency', fullDays: 3, zeroDays: 7 } as const;

    it('gives full marks up to fullDays, so a weekend gap costs nothing', () => {
      expect(normalise(0, threeToSeven)).toBe(1);
      expect(normalise(2.67, threeToSeven)).toBe(1);
      expect(normalise(3, threeToSeven)).toBe(1);
    });

    it('falls linearly to 0 at zeroDays', () => {
      expect(normalise(4, threeToSeven)).toBeCloseTo(0.75);
      expect(normalise(5, threeToSeven)).toBeCloseTo(0.5);
      expect(normalise(7, threeToSeven)).toBe(0);
    });

    it('stays at 0 beyond zeroDays', () => {
      expect(normalise(30, threeToSeven)).toBe(0);
    });
  });

  describe('linear', () => {
    const npsScale = { kind: 'linear', min: -100, max: 100 } as const;

    it('maps min…max onto 0…1', () => {
      expect(normalise(-100, npsScale)).toBe(0);
      expect(normalise(0, npsScale)).toBe(0.5);
      expect(normalise(50, npsScale)).toBe(0.75);
      expect(normalise(100, npsScale)).toBe(1);
    });

    it('clamps outside the range', () => {
      expect(normalise(-150, npsScale)).toBe(0);
      expect(normalise(180, npsScale)).toBe(1);
    });
  });

  describe('ratio', () => {
    it('passes a share through and clamps it to 0…1', () => {
      expect(normalise(0.75, { kind: 'ratio' })).toBe(0.75);
      expect(normalise(2, { kind: 'ratio' })).toBe(1);
      expect(normalise(-0.2, { kind: 'ratio' })).toBe(0);
    });
  });

  it('never lets NaN through clamping', () => {
    expect(clamp01(Number.NaN)).toBe(0);
  });
});
