// The retry schedule: exponential backoff with jitter, capped, for a bounded window, then DEAD.
import { storableDeliveryError } from '../../src/delivery/delivery-errors';
import { nextAttemptAt, retryDelayMs, retryWindowSpentNote } from '../../src/delivery/retry-policy';

const policy = { baseMs: 30_000, maxDelayMs: 3_600_000, windowMs: 86_400_000 };

describe('retry policy', () => {
  it('doubles the delay ceiling at each retry and draws the wait from its upper half', () => {
    expect(retryDelayMs(1, policy, () => 0)).toBe(15_000);
    expect(retryDelayMs(1, policy, () => 1)).toBe(30_000);
    expect(retryDelayMs(2, policy, () => 0)).toBe(30_000);
    expect(retryDelayMs(4, policy, () => 1)).toBe(240_000);
  });

  it('never waits longer than the maximum delay, however many attempts failed', () => {
    expect(retryDelayMs(12, policy, () => 1)).toBe(3_600_000);
    expect(retryDelayMs(1_000, policy, () => 1)).toBe(3_600_000);
    expect(retryDelayMs(1_000, policy, () => 0)).toBe(1_800_000);
  });

  it('spreads the retries of deliveries that failed together', () => {
    const waits = new Set(Array.from({ length: 50 }, () => retryDelayMs(5, policy)));
    expect(waits.size).toBeGreaterThan(40);
  });

  it('retries for 24 hours after the delivery was queued, then gives up (DEAD)', () => {
    const queued = new Date('2026-12-01T00:00:00Z');
    // After the third failure the ceiling is 30 s × 2² = 120 s; halfway up its upper half is 90 s.
    expect(nextAttemptAt(queued, new Date('2026-12-01T01:00:00Z'), 3, policy, { random: () => 0.5 })).toEqual(
      new Date('2026-12-01T01:01:30Z'),
    );
    expect(nextAttemptAt(queued, new Date('2026-12-01T23:59:00Z'), 20, policy, { random: () => 1 })).toBeNull();
    // At the window's edge: a first retry 15 s later still fits 20 s before the end, not 10 s before it.
    expect(nextAttemptAt(queued, new Date('2026-12-01T23:59:40Z'), 1, policy, { random: () => 0 })).toEqual(
      new Date('2026-12-01T23:59:55Z'),
    );
    expect(nextAttemptAt(queued, new Date('2026-12-01T23:59:50Z'), 1, policy, { random: () => 0 })).toBeNull();
    // Exactly at the window's end still counts as inside it.
    expect(nextAttemptAt(queued, new Date('2026-12-01T23:59:45Z'), 1, policy, { random: () => 0 })).toEqual(
      new Date('2026-12-02T00:00:00Z'),
    );
    // Retrying from the first failure onwards, the attempts end inside the window.
    let now = queued;
    let attempts = 0;
    for (
      let next = nextAttemptAt(queued, now, 1, policy, { random: () => 1 });
      next;
      next = nextAttemptAt(queued, now, ++attempts + 1, policy, { random: () => 1 })
    )
      now = next;
    expect(now.getTime()).toBeLessThanOrEqual(queued.getTime() + policy.windowMs);
    expect(now.getTime()).toBeGreaterThan(queued.getTime() + policy.windowMs - policy.maxDelayMs);
    expect(attempts).toBeGreaterThan(20);
  });
});

describe("a receiver's Retry-After", () => {
  const queued = new Date('2026-12-01T00:00:00Z');
  const failedAt = new Date('2026-12-01T01:00:00Z');

  it('puts the next attempt no sooner than the receiver asked, when that is later than the backoff', () => {
    // The first retry's backoff is 15–30 s; the receiver asked for two minutes.
    expect(nextAttemptAt(queued, failedAt, 1, policy, { requestedWaitMs: 120_000, random: () => 1 })).toEqual(
      new Date('2026-12-01T01:02:00Z'),
    );
    // A shorter wait than the backoff's changes nothing: the backoff still spreads the retries.
    expect(nextAttemptAt(queued, failedAt, 1, policy, { requestedWaitMs: 1_000, random: () => 1 })).toEqual(
      new Date('2026-12-01T01:00:30Z'),
    );
    expect(nextAttemptAt(queued, failedAt, 1, policy, { requestedWaitMs: 0, random: () => 0 })).toEqual(new Date('2026-12-01T01:00:15Z'));
  });

  it('waits no longer than the maximum delay, whatever the receiver asked', () => {
    expect(nextAttemptAt(queued, failedAt, 1, policy, { requestedWaitMs: 86_400_000, random: () => 0 })).toEqual(
      new Date('2026-12-01T02:00:00Z'),
    );
  });

  it('gives up (DEAD) when the wait asked for ends past the retry window', () => {
    expect(nextAttemptAt(queued, new Date('2026-12-01T23:30:00Z'), 1, policy, { requestedWaitMs: 3_600_000, random: () => 0 })).toBeNull();
  });

  it('says, in lastError, that the window ended the retries, kept whole after however long an answer', () => {
    const note = retryWindowSpentNote(policy);
    expect(note).toBe('; gave up: the retry window (24 h) ends before the next attempt');
    expect(retryWindowSpentNote({ windowMs: 45_000 })).toBe('; gave up: the retry window (45 s) ends before the next attempt');
    const stored = storableDeliveryError(`SMTP 451: ${'x'.repeat(5000)}`, note);
    expect(stored).toHaveLength(2000);
    expect(stored.endsWith(note)).toBe(true);
  });
});
