// Why a score is low, in the few items a person reads first: the red flags that took points and the
// signals that cost the most against a perfect value, ranked together by the points they cost. The
// graph (`HealthScore.reasons`), the dashboard's worklist and the alerts' messages all rank this way.
import type { PenaltyResult, SignalResult } from './types';

export const RiskReasonKind = { PENALTY: 'PENALTY', SIGNAL: 'SIGNAL' } as const;
export type RiskReasonKind = (typeof RiskReasonKind)[keyof typeof RiskReasonKind];

export interface RiskReason {
  kind: RiskReasonKind;
  /** The penalty's or the signal's name in the model. */
  name: string;
  /** Score points it cost: a penalty's points, or a signal's effective weight × (1 − value) × 100. */
  pointsLost: number;
  /** A signal's normalised value, 0 (worst) … 1; null for a penalty. */
  value: number | null;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * The `count` reasons that cost the score most points, largest first (ties by name). Signals with no
 * measurement are left out: missing ones, and ones held back by their `onlyWhen` condition, which
 * hold their missing policy's value, not a reading of the account; as are penalties not applied.
 */
export function riskReasons(signals: readonly SignalResult[], penalties: readonly PenaltyResult[], count = 3): RiskReason[] {
  const flagged = penalties
    .filter((penalty) => penalty.applied && penalty.points > 0)
    .map((penalty): RiskReason => ({ kind: 'PENALTY', name: penalty.name, pointsLost: round(penalty.points, 1), value: null }));
  const costly = signals
    .filter((signal) => !signal.missing && signal.rawValue !== null && signal.value !== null && signal.effectiveWeight > 0)
    .map((signal): RiskReason => ({
      kind: 'SIGNAL',
      name: signal.name,
      pointsLost: round(signal.effectiveWeight * (1 - (signal.value as number)) * 100, 1),
      value: round(signal.value as number, 3),
    }))
    .filter((reason) => reason.pointsLost > 0);
  return [...flagged, ...costly].sort((a, b) => b.pointsLost - a.pointsLost || a.name.localeCompare(b.name)).slice(0, count);
}
