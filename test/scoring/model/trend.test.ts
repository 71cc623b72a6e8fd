import { trendOf } from '../../../src/scoring/model';

describe('trendOf', () => {
  it('calls a rise of more than the threshold improving', () => {
    expect(trendOf(61, 55, 5)).toBe('IMPROVING');
  });

  it('calls a fall of more than the threshold declining', () => {
    expect(trendOf(49, 55, 5)).toBe('DECLINING');
  });

  it('calls a change of exactly the threshold, or less, stable', () => {
    expect(trendOf(60, 55, 5)).toBe('STABLE');
    expect(trendOf(50, 55, 5)).toBe('STABLE');
    expect(trendOf(55, 55, 5)).toBe('STABLE');
  });

  it('is stable without an earlier score', () => {
    expect(trendOf(20, null, 5)).toBe('STABLE');
    expect(trendOf(20, undefined, 5)).toBe('STABLE');
  });
});
