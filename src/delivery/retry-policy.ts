// When a failed delivery is tried again: exponential backoff with jitter, for a bounded window,
// then the delivery is DEAD. Pure: the worker passes the clock and the random source.

export interface RetryPolicy {
  /** Delay before the first retry, ms; each later retry doubles it. */
  baseMs: number;
  /** Longest delay between two attempts, ms. */
  maxDelayMs: number;
  /** Retries stop this long after the delivery was (re)queued, ms. */
  windowMs: number;
}

/**
 * The wait before retry number `attempt` (1 = the first retry): a random value in the upper half of
 * min(maxDelay, base × 2^(attempt−1)). The jitter keeps instances from retrying a receiver that
 * came back all in the same instant; the lower bound keeps retries from bunching up at zero.
 */
export function retryDelayMs(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 40));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * When to try again after `attempts` failed attempts, or null when the retry window is spent (the
 * delivery is then DEAD). A retry is scheduled only if it falls inside the window. A receiver that
 * asked for a wait (`requestedWaitMs`, its Retry-After) is tried again no sooner than that, nor later
 * than `maxDelayMs` from now: a receiver cannot hold a delivery past the longest wait configured.
 */
export function nextAttemptAt(
  retryFrom: Date,
  now: Date,
  attempts: number,
  policy: RetryPolicy,
  { requestedWaitMs = null, random = Math.random }: { requestedWaitMs?: number | null; random?: () => number } = {},
): Date | null {
  const backoff = retryDelayMs(attempts, policy, random);
  const wait = requestedWaitMs === null ? backoff : Math.max(backoff, Math.min(requestedWaitMs, policy.maxDelayMs));
  const next = new Date(now.getTime() + wait);
  return next.getTime() <= retryFrom.getTime() + policy.windowMs ? next : null;
}
