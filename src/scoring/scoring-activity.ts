// A full scoring run in progress in this process, for work that should yield to it. Delivery sends
// share the event loop and the cores with scoring: a run's deliveries are sent once the run is done
// (or after a bounded wait), so delivering its alerts does not make the run itself slower. Scoring a
// few accounts as their signals arrive is not counted: under a steady stream it never stops.

let running = 0;
const waiting = new Set<() => void>();

/** Runs `work` (a full run), counted as running in this process until it settles. */
export async function whileScoring<T>(work: () => Promise<T>): Promise<T> {
  running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
    if (running === 0) for (const wake of [...waiting]) wake();
  }
}

/** Resolves once no scoring runs in this process, or after `maxWaitMs`, whichever is first. */
export function scoringSettled(maxWaitMs: number): Promise<void> {
  if (running === 0 || maxWaitMs <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      waiting.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, maxWaitMs);
    waiting.add(wake);
  });
}
