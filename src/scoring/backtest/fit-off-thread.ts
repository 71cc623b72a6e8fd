// fitSignalWeights in a worker thread. A fit is seconds of arithmetic in one piece (the gradient
// steps of ml-logistic-regression), which on the main thread would hold every other request of the
// server, health checks included. The fit itself stays a plain function (fit-weights.ts); this
// module only moves the call, and could be removed by calling it directly.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FitOptions, FittedWeights, NothingToWeightError, TrainingSet } from './fit-weights';

/** What the worker answers: the weights, or the error it threw, by kind, to be thrown again here. */
export type FitOutcome = { ok: true; fit: FittedWeights } | { ok: false; kind: 'nothing-to-weight' | 'range' | 'other'; message: string };

/**
 * The worker's script beside this one: `.js` once compiled; run from TypeScript sources (`npm start`,
 * jest), the worker registers ts-node as `npm start` does, since a worker thread does not share the
 * main thread's module loader.
 */
function workerOptions(training: TrainingSet, options: FitOptions): { script: string; execArgv?: string[]; workerData: unknown } {
  const extension = path.extname(__filename);
  return {
    script: path.join(__dirname, `fit-weights.worker${extension}`),
    execArgv: extension === '.ts' ? ['--require', require.resolve('ts-node/register/transpile-only')] : undefined,
    workerData: { training, options },
  };
}

/**
 * fitSignalWeights(training, options), computed in a worker thread; throws what it throws. When
 * `signal` aborts first, the worker is terminated and the signal's reason thrown.
 */
export function fitSignalWeightsOffThread(training: TrainingSet, options: FitOptions = {}, signal?: AbortSignal): Promise<FittedWeights> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const { script, execArgv, workerData } = workerOptions(training, options);
  const worker = new Worker(script, { workerData, execArgv });
  let abandon = () => {};
  return new Promise<FittedWeights>((resolve, reject) => {
    worker.once('message', (outcome: FitOutcome) => {
      if (outcome.ok) resolve(outcome.fit);
      else if (outcome.kind === 'nothing-to-weight') reject(new NothingToWeightError(outcome.message));
      else if (outcome.kind === 'range') reject(new RangeError(outcome.message));
      else reject(new Error(outcome.message));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the fitting worker stopped (exit code ${code}) before answering`)));
    abandon = () => reject(signal?.reason);
    signal?.addEventListener('abort', abandon, { once: true });
  }).finally(() => {
    signal?.removeEventListener('abort', abandon);
    void worker.terminate();
  });
}
