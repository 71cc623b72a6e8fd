// The body of a worker thread that runs one fitSignalWeights call (fit-off-thread.ts starts it):
// the training set and options arrive as workerData, the weights or the error go back as one message.
import { parentPort, workerData } from 'node:worker_threads';
import { fitSignalWeights, FitOptions, NothingToWeightError, TrainingSet } from './fit-weights';
import type { FitOutcome } from './fit-off-thread';

const { training, options } = workerData as { training: TrainingSet; options: FitOptions };
let outcome: FitOutcome;
try {
  outcome = { ok: true, fit: fitSignalWeights(training, options) };
} catch (error) {
  const kind = error instanceof NothingToWeightError ? 'nothing-to-weight' : error instanceof RangeError ? 'range' : 'other';
  outcome = { ok: false, kind, message: error instanceof Error ? error.message : String(error) };
}
parentPort!.postMessage(outcome);
