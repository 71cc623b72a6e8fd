// Test factory: the facts a backtest looks an account up by, for accounts signed up at one instant
// that never churned and have no recorded signal.
import type { AccountFacts } from '../../../src/scoring/backtest/snapshots';

export function accountsSignedUpAt(count: number, signedUpAt: Date): AccountFacts[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `a${i}`,
    name: `a${i}`,
    tier: null,
    arrCents: 0,
    signedUpAt,
    startedAt: signedUpAt,
    churnedAt: null,
    firstActivityAt: null,
  }));
}
