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

/** A span of time as a reader sets it: `24 h`, `30 min`, `45 s`, else in ms. */
function spanInWords(ms: number): string {
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms > 0 && ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/**
 * What a delivery's `lastError` adds when it is DEAD because its next attempt would fall past the
 * retry window (nextAttemptAt returned null), after the last attempt's own error, which alone would
 * read like a failure still being retried.
 */
export function retryWindowSpentNote(policy: Pick<RetryPolicy, 'windowMs'>): string {
  return `; gave up: the retry window (${spanInWords(policy.windowMs)}) ends before the next attempt`;
}
