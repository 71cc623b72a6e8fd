// The two ways the service waits on a stop: one signal that follows several (a request's client
// leaving, the server stopping), and a piece of work raced against a signal. Not AbortSignal.any:
// the server's stop signals live as long as the process, and Node 20 keeps an entry per combined
// signal in a long-lived signal's list of dependants for good, one per request or import.

/** A signal that follows others until `release`, called when the work it stops has ended. */
export interface FollowingSignal {
  signal: AbortSignal;
  release(): void;
}

/** One signal aborted by the first of `signals` to abort (with its reason), never without any: listeners removed by `release`. */
export function firstAborted(signals: readonly AbortSignal[]): FollowingSignal {
  if (signals.length === 1) return { signal: signals[0], release: () => undefined };
  const combined = new AbortController();
  const removals = signals.map((signal) => {
    const follow = () => combined.abort(signal.reason);
    if (signal.aborted) follow();
    else signal.addEventListener('abort', follow, { once: true });
    return () => signal.removeEventListener('abort', follow);
  });
  return { signal: combined.signal, release: () => removals.forEach((remove) => remove()) };
}

export const ABORTED = Symbol('aborted');

/** `work`'s outcome, or ABORTED as soon as `signal` aborts (at once if it has), whichever comes first. */
export async function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return ABORTED;
  let onAbort = (): void => undefined;
  const aborted = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
