import { PenaltyResult, riskReasons } from '../../../src/scoring/model';
import { signalResult as signal } from './model-factory';

function penalty(name: string, points: number, applied = points > 0): PenaltyResult {
  return { name, rawValue: 1, points, applied, heldBack: false };
}

describe('riskReasons', () => {
  it('ranks red flags and signals together by the points they cost, costliest first', () => {
    const reasons = riskReasons(
      [signal('silence', 0.2, 0.3), signal('nps', 0.5, 0.1), signal('usage_volume_trend', 0.9, 0.2)],
      [penalty('payment_failure_streak', 20), penalty('urgent_tickets', 6)],
      5,
    );
    expect(reasons).toEqual([
      { kind: 'SIGNAL', name: 'silence', pointsLost: 24, value: 0.2 },
      { kind: 'PENALTY', name: 'payment_failure_streak', pointsLost: 20, value: null },
      { kind: 'PENALTY', name: 'urgent_tickets', pointsLost: 6, value: null },
      { kind: 'SIGNAL', name: 'nps', pointsLost: 5, value: 0.5 },
      { kind: 'SIGNAL', name: 'usage_volume_trend', pointsLost: 2, value: 0.9 },
    ]);
  });

  it('leaves out missing signals, signals at their best, unweighted ones and penalties not applied', () => {
    const reasons = riskReasons(
      [signal('nps', 0.75, 0.2, true), signal('silence', 1, 0.3), signal('contraction', null, 0), signal('seat_utilisation', 0, 0)],
      [penalty('detractor', 0, false), penalty('unpaid', 15, false)],
      5,
    );
    expect(reasons).toEqual([]);
  });

  it('leaves out a signal held back by its condition: it holds its missing value, not a reading of the account', () => {
    const heldBack = { ...signal('active_days_trend', 0.75, 0.2), rawValue: null };
    expect(riskReasons([heldBack, signal('silence', 0.5, 0.1)], [], 5)).toEqual([
      { kind: 'SIGNAL', name: 'silence', pointsLost: 5, value: 0.5 },
    ]);
  });

  it('returns at most `count`, ties broken by name so the order is stable', () => {
    const reasons = riskReasons([signal('b_signal', 0.5, 0.2), signal('a_signal', 0.5, 0.2)], [penalty('c_flag', 10)], 2);
    expect(reasons.map((reason) => reason.name)).toEqual(['a_signal', 'b_signal']);
    expect(riskReasons([signal('x', 0, 1)], [], 3)).toHaveLength(1);
  });
});
