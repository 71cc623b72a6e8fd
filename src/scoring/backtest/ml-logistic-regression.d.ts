// ml-logistic-regression ships no type declarations. This declares the part fit-weights.ts uses:
// the constructor options, train(), and the per-class classifiers whose `weights` its own
// toJSON()/load() serialise (one-vs-all: classifier i models P(label ≠ i)).
declare module 'ml-logistic-regression' {
  import type { Matrix } from 'ml-matrix';

  interface BinaryLogisticRegression {
    /** 1 × features row of coefficients on the columns of the training matrix. */
    readonly weights: Matrix;
  }

  class LogisticRegression {
    /** Full-batch gradient ascent: `numSteps` steps (default 50000) of `learningRate` (default 5e-4) × the summed gradient. */
    constructor(options?: { numSteps?: number; learningRate?: number });
    readonly classifiers: readonly BinaryLogisticRegression[];
    /** `features`: rows × columns (no intercept column is added); `target`: column vector of class numbers 0 … k − 1. */
    train(features: Matrix, target: Matrix): void;
    predict(features: Matrix): number[];
  }

  export = LogisticRegression;
}
