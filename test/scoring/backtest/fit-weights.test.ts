import { Worker } from 'node:worker_threads';
import { fitSignalWeights, NothingToWeightError } from '../../../src/scoring/backtest/fit-weights';
import { fitSignalWeightsOffThread } from '../../../src/scoring/backtest/fit-off-thread';
import type { TrainingSet } from '../../../src/scoring/backtest/fit-weights';
import { mulberry32 } from '../../../src/demo/seeded-random';

/**
 * Rows of uniform 0…1 signal values whose churn log-odds are intercept + Σ riskEffects[i]·(1 − value_i);
 * `columns` overrides a column with a fixed value.
 */
function synthetic(
  riskEffects: number[],
  options: { rows: number; intercept: number; seed: number; columns?: Record<number, number> },
): TrainingSet {
  const random = mulberry32(options.seed);
  const features: number[][] = [];
  const labels: (0 | 1)[] = [];
  for (let row = 0; row < options.rows; row += 1) {
    const values = riskEffects.map((_, column) => options.columns?.[column] ?? random());
    const logOdds = values.reduce((sum, value, column) => sum + riskEffects[column] * (1 - value), options.intercept);
    features.push(values);
    labels.push(random() < 1 / (1 + Math.exp(-logOdds)) ? 1 : 0);
  }
  return { signalNames: riskEffects.map((_, column) => `signal_${column}`), features, labels };
}

function total(weights: Record<string, number>): number {
  return Math.round(Object.values(weights).reduce((sum, weight) => sum + weight, 0) * 10) / 10;
}

describe('fitSignalWeights', () => {
  // Churn depends on signals 0 and 1 (log-odds 4 and 2 per unit of risk); 2 and 3 are noise. ≈ 18 % churn.
  const training = synthetic([4, 2, 0, 0], { rows: 8_000, intercept: -5, seed: 1 });
  const fitted = fitSignalWeights(training);

  it('recovers the two signals that drive churn, in the ratio of their effects', () => {
    expect(fitted.weights.signal_0).toBeGreaterThan(fitted.weights.signal_1);
    expect(fitted.weights.signal_0).toBeCloseTo(100 * (4 / 6), -1); // within ±5
    expect(fitted.weights.signal_1).toBeCloseTo(100 * (2 / 6), -1);
    expect(fitted.coefficients.signal_0).toBeCloseTo(4, 0);
    expect(fitted.coefficients.signal_1).toBeCloseTo(2, 0);
  });

  it('gives noise signals about 0', () => {
    expect(fitted.weights.signal_2).toBeLessThan(3);
    expect(fitted.weights.signal_3).toBeLessThan(3);
  });

  it('corrects the intercept from the balanced subsample back to the training churn share', () => {
    expect(fitted.intercept).toBeCloseTo(-5, 0);
    expect(fitted.samples).toBe(8_000);
    expect(fitted.positives).toBe(training.labels.filter((label) => label === 1).length);
  });

  it('returns weights ≥ 0 in tenths that sum to exactly 100', () => {
    for (const weight of Object.values(fitted.weights)) {
      expect(weight).toBeGreaterThanOrEqual(0);
      expect(Math.round(weight * 10)).toBeCloseTo(weight * 10, 9);
    }
    expect(total(fitted.weights)).toBe(100);
  });

  it('gives weight 0 to a signal whose risk lowers churn (the wrong sign)', () => {
    const wrongSign = fitSignalWeights(synthetic([3, 2, -2, 0], { rows: 8_000, intercept: -4, seed: 2 }));
    expect(wrongSign.weights.signal_2).toBe(0);
    expect(wrongSign.coefficients.signal_2).toBe(0);
    expect(wrongSign.weights.signal_0).toBeGreaterThan(wrongSign.weights.signal_1);
    expect(total(wrongSign.weights)).toBe(100);
    expect(Object.values(wrongSign.coefficients).every((coefficient) => coefficient >= 0)).toBe(true);
  });

  it('gives weight 0 to a constant signal', () => {
    const constant = fitSignalWeights(synthetic([3, 2, 0], { rows: 4_000, intercept: -3, seed: 3, columns: { 2: 0.5 } }));
    expect(constant.weights.signal_2).toBe(0);
    expect(constant.coefficients.signal_2).toBe(0);
    expect(total(constant.weights)).toBe(100);
  });

  it('gives the same weights for the same training set', () => {
    expect(fitSignalWeights(training)).toEqual(fitted);
  });

  it('shrinks coefficients as the l2 penalty grows', () => {
    const light = fitSignalWeights(training, { l2: 0 });
    const heavy = fitSignalWeights(training, { l2: 0.5 });
    expect(heavy.coefficients.signal_0).toBeLessThan(light.coefficients.signal_0);
  });

  it('throws a RangeError without churned rows, without retained rows, or on malformed input', () => {
    const base = synthetic([2, 1], { rows: 200, intercept: -2, seed: 4 });
    expect(() => fitSignalWeights({ ...base, labels: base.labels.map(() => 0 as const) })).toThrow(RangeError);
    expect(() => fitSignalWeights({ ...base, labels: base.labels.map(() => 1 as const) })).toThrow(RangeError);
    expect(() => fitSignalWeights({ ...base, labels: base.labels.slice(1) })).toThrow(RangeError);
    expect(() => fitSignalWeights({ ...base, features: base.features.map((row) => [...row, 0.5]) })).toThrow(RangeError);
    expect(() => fitSignalWeights({ ...base, features: base.features.map(([first]) => [first, 1.5]) })).toThrow(RangeError);
  });

  it('throws NothingToWeightError (a property of the data, not a malformed input) when no signal lowers churn risk', () => {
    expect(() => fitSignalWeights(synthetic([-3, -2], { rows: 5_000, intercept: 0, seed: 5 }))).toThrow(NothingToWeightError);
    // The churned rows look exactly like the others: every coefficient is 0, none negative.
    expect(() => fitSignalWeights({ signalNames: ['a'], features: [[0.2], [0.8], [0.2], [0.8]], labels: [1, 1, 0, 0] })).toThrow(
      NothingToWeightError,
    );
  });
});

describe('fitSignalWeightsOffThread', () => {
  const training = synthetic([4, 2, 0, 0], { rows: 8_000, intercept: -5, seed: 1 });
  const fitted = fitSignalWeights(training);

  it('answers what the fit answers on the main thread, while the main thread goes on turning', async () => {
    let turns = 0;
    const ticker = setInterval(() => (turns += 1), 1);
    try {
      const started = Date.now();
      const offThread = await fitSignalWeightsOffThread(training);
      const elapsed = Date.now() - started;
      expect(offThread).toEqual(fitted);
      // The same fit on the main thread would leave the timer no turn until it returned.
      expect(turns).toBeGreaterThan(elapsed / 20);
    } finally {
      clearInterval(ticker);
    }
  });

  it('throws the errors the fit throws, by their class', async () => {
    const base = synthetic([2, 1], { rows: 200, intercept: -2, seed: 4 });
    await expect(fitSignalWeightsOffThread({ ...base, labels: base.labels.map(() => 0 as const) })).rejects.toThrow(RangeError);
    const nothing = fitSignalWeightsOffThread(synthetic([-3, -2], { rows: 5_000, intercept: 0, seed: 5 }));
    await expect(nothing).rejects.toThrow(NothingToWeightError);
    await expect(nothing).rejects.toThrow('no signal lowers churn risk');
  });

  it('terminates the worker and throws the reason when its signal aborts before the fit answers', async () => {
    const terminate = jest.spyOn(Worker.prototype, 'terminate');
    try {
      const gone = new AbortController();
      const fit = fitSignalWeightsOffThread(training, {}, gone.signal);
      gone.abort(new Error('client gone'));
      await expect(fit).rejects.toThrow('client gone');
      expect(terminate).toHaveBeenCalledTimes(1);
      await expect(fitSignalWeightsOffThread(training, {}, gone.signal)).rejects.toThrow('client gone');
      // Refused before a worker was started.
      expect(terminate).toHaveBeenCalledTimes(1);
    } finally {
      terminate.mockRestore();
    }
  });
});
