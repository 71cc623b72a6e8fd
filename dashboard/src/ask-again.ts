// A screen's request that failed for a reason that passes (no answer came, the server busy or
// stopping, the key's budget spent) is asked again, without waiting for a live event that may never
// come while the WebSocket stays up: by itself after the wait the server asked for
// (extensions.retryAfterSeconds), or after a back-off of its own; at once with the error's Try again
// button, or when the user asks for the screen again (its link in the navigation, Apply, Search).
// A refusal that would be refused again (bad input, not found, a refused key) is left as it is.
import type { CombinedError } from '@urql/core';
import { useEffect, useRef } from 'preact/hooks';
import { passes, retryAfterSeconds } from './errors';

export interface AskingAgain {
  /** The wait the server asked for, in seconds; undefined when the page waits its own back-off (a few seconds). */
  afterSeconds: number | undefined;
  /** Asks again at once (nothing while the request is being asked already). */
  now(): void;
}

/** The page's own back-off: 1 s, doubling, capped at a few seconds, plus jitter so reopened servers are not stampeded. */
const FIRST_WAIT_MS = 1000;
const MAX_WAIT_MS = 8000;

/** Each failed request on screen that passes, as a function asking it again. */
const failedRequests = new Set<() => void>();

/** Asks every failed request on screen again at once: the user asked for the screen again. */
export function askAgainNow(): void {
  for (const askAgain of [...failedRequests]) askAgain();
}

/**
 * Asks again the request that failed with `error`, if it passes: after the server's wait or the
 * back-off, counted from its last failure; `busy` while it is being asked (nothing is scheduled
 * then). Returns how it will be asked again, for the error's words and button; undefined when it
 * will not be.
 */
export function useAskingAgain(error: CombinedError | undefined, busy: boolean, ask: () => void): AskingAgain | undefined {
  const failures = useRef(0);
  const latest = useRef({ ask, busy });
  latest.current = { ask, busy };
  const passing = error !== undefined && passes(error);
  useEffect(() => {
    if (!error) failures.current = 0;
    if (!passing) return;
    const askAgain = () => {
      if (!latest.current.busy) latest.current.ask();
    };
    failedRequests.add(askAgain);
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (!busy) {
      const serverWaitMs = (retryAfterSeconds(error) ?? 0) * 1000;
      const backOffMs = Math.min(FIRST_WAIT_MS * 2 ** failures.current, MAX_WAIT_MS) + Math.random() * 250;
      failures.current++;
      timer = setTimeout(askAgain, serverWaitMs || backOffMs);
    }
    return () => {
      failedRequests.delete(askAgain);
      clearTimeout(timer);
    };
  }, [error, busy]);
  if (!passing) return undefined;
  return {
    afterSeconds: retryAfterSeconds(error),
    now: () => {
      if (!latest.current.busy) latest.current.ask();
    },
  };
}
