// Fitted signal weights: a regularised logistic regression of "churned within the horizon" on each
// signal's risk (1 − normalised value), constrained to non-negative coefficients and turned into
// model weights, so the score ranks accounts the way the fitted churn odds do.
//
// Why ml-logistic-regression (mljs): of the logistic regressions on the npm registry it is the one
// that is maintained and light, and ml-matrix, which it is built on (its train() takes ml-matrix
// Matrices, so we import that package as installed with it), gives us the linear algebra below. It
// lacks three things we need, which we supply around it rather than writing our own optimiser:
// - No penalty option. We add an L2-type penalty by data augmentation: per signal, pairs of
//   pseudo-rows (one churned, one retained) at z = c·e_j. Each pair adds log(1 + e^{cγ}) +
//   log(1 + e^{−cγ}) to the loss, i.e. a log-F prior on γ_j: quadratic (ridge) near 0, milder on
//   large effects (Greenland & Mansournia 2015, "Penalization, bias reduction, and default priors
//   in logistic regression"). The intercept is not penalised.
// - No class weights. We fit on a balanced subsample (all churned rows up to a cap and as many
//   retained rows drawn with a fixed seed), an unbiased estimate of the class-weighted ("balanced")
//   loss, and correct the intercept back to the training prevalence (King & Zeng 2001).
// - Plain full-batch gradient ascent with a fixed step, which crawls on correlated signals. We
//   train on a whitened design (the rows times L⁻ᵀ, M = L·Lᵀ their second-moment matrix), whose
//   Hessian bound is rows/4 in every direction, so a step of 4/rows converges in few steps;
//   coefficients map back exactly (θ = L⁻ᵀ·δ). The package trains one-vs-all even for two classes,
//   so each fit runs two mirrored classifiers; the cap on rows per class bounds that cost.
// The alternatives: @stdlib/ml-incr-binary-classification has an L2 option (for SGD) but installs a
// vast tree of stdlib packages; tfjs is a framework; fmin 0.0.4 exports nothing under Node (its
// "type": "module" contradicts its UMD build); numeric is unmaintained.
import LogisticRegression from 'ml-logistic-regression';
import { CholeskyDecomposition, Matrix, inverse } from 'ml-matrix';
import { mulberry32 } from '../../demo/seeded-random';

export interface TrainingSet {
  signalNames: string[];
  /** Rows: normalised signal values 0…1 (1 = healthy), same order as signalNames; missing values already imputed by the caller. */
  features: number[][];
  /** 1 = churned within the horizon after this snapshot. */
  labels: (0 | 1)[];
}

export interface FittedWeights {
  /** ≥ 0, summing to 100, rounded to 0.1; signals that carry no risk (or are constant) get 0. */
  weights: Record<string, number>;
  /** The fitted logistic coefficients on risk = 1 − value (log-odds per unit of risk); 0 for dropped signals. */
  coefficients: Record<string, number>;
  /** Log-odds of churn at zero risk on every signal, corrected to the training set's churn share. */
  intercept: number;
  /** Rows in the training set (the fit itself uses a balanced subsample of them). */
  samples: number;
  /** Churned rows in the training set. */
  positives: number;
}

export interface FitOptions {
  /**
   * Ridge strength λ on the coefficients of the standardised risks: the fit minimises the mean log
   * loss + λ/2 · Σγ² (near 0; see the log-F note above). ≥ 0; default 0.001.
   */
  l2?: number;
  /** Gradient steps per fit (the package's numSteps); the design is whitened, so tens suffice. Default 100. */
  maxIterations?: number;
  /** Cap on rows per class in the balanced subsample, which bounds the training time. Default 5,000. */
  maxRowsPerClass?: number;
}

const DEFAULT_L2 = 0.001;
const DEFAULT_MAX_ITERATIONS = 100;
const DEFAULT_MAX_ROWS_PER_CLASS = 5_000;
/** Fixed so that the same training set always gives the same weights. */
const SAMPLE_SEED = 0x5eed_1e55;
/** Pseudo-row pairs per signal for the penalty, at most. */
const MAX_PENALTY_PAIRS = 32;
/** A risk column whose standard deviation is below this is constant: it cannot explain churn. */
const CONSTANT_COLUMN_SD = 1e-9;

/**
 * No signal's risk rises with churn in this training set (each is constant, or lower among the
 * churned rows): there is nothing to weight. A property of the data, not a malformed input.
 */
export class NothingToWeightError extends RangeError {}

/** Mean and standard deviation of one signal's risk over the training set. */
interface RiskColumn {
  mean: number;
  sd: number;
}

/** Rows of the balanced subsample and how many of them churned. */
interface BalancedSample {
  rows: number[];
  positives: number;
}

/** Intercept and coefficients (one per active signal) on the standardised risks, for the balanced subsample. */
interface StandardisedFit {
  intercept: number;
  coefficients: number[];
}

/**
 * Fits non-negative signal weights to churn labels. Active-set loop: fit, drop every signal with a
 * negative coefficient (a health signal may only lower churn risk as it rises), refit on the rest
 * until none is negative. Dropped and constant signals get weight 0; the others get weights
 * proportional to their coefficients on raw risk, summing to 100, so 100·Σwᵢvᵢ/Σwᵢ is a decreasing
 * linear function of the fitted log-odds.
 *
 * Throws RangeError on malformed input and when the labels hold only one class, and its subclass
 * NothingToWeightError when no signal is left that lowers churn risk (all dropped, or all fitted at 0).
 */
export function fitSignalWeights(training: TrainingSet, options: FitOptions = {}): FittedWeights {
  const settings = settingsOf(options);
  const positives = validateTraining(training);
  const columns = riskColumns(training.features, training.signalNames.length);
  const sample = balancedSample(training.labels, settings.maxRowsPerClass);
  let active = columns.flatMap((column, index) => (column.sd > CONSTANT_COLUMN_SD ? [index] : []));
  for (;;) {
    if (active.length === 0) throw new NothingToWeightError('no signal lowers churn risk as it rises: there is nothing to weight');
    const fit = fitStandardised(training, columns, sample, active, settings);
    const kept = active.filter((_, position) => fit.coefficients[position] >= 0);
    if (kept.length === active.length) {
      return fittedWeights(training, columns, active, fit, { sample, positives });
    }
    active = kept;
  }
}

function settingsOf(options: FitOptions): Required<FitOptions> {
  const settings = {
    l2: options.l2 ?? DEFAULT_L2,
    maxIterations: options.maxIterations ?? DEFAULT_MAX_ITERATIONS,
    maxRowsPerClass: options.maxRowsPerClass ?? DEFAULT_MAX_ROWS_PER_CLASS,
  };
  if (!(Number.isFinite(settings.l2) && settings.l2 >= 0)) throw new RangeError(`l2 must be ≥ 0, got ${settings.l2}`);
  for (const [name, value] of [
    ['maxIterations', settings.maxIterations],
    ['maxRowsPerClass', settings.maxRowsPerClass],
  ] as const) {
    if (!(Number.isInteger(value) && value > 0)) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return settings;
}

/** Checks shapes, values and labels; returns the number of churned rows. */
function validateTraining(training: TrainingSet): number {
  const { signalNames, features, labels } = training;
  if (signalNames.length === 0) throw new RangeError('no signals to weight');
  if (new Set(signalNames).size !== signalNames.length) throw new RangeError('signal names must be unique');
  if (features.length !== labels.length) {
    throw new RangeError(`${features.length} feature rows but ${labels.length} labels`);
  }
  features.forEach((row, index) => {
    if (row.length !== signalNames.length) {
      throw new RangeError(`row ${index} has ${row.length} values for ${signalNames.length} signals`);
    }
    if (!row.every((value) => value >= 0 && value <= 1)) throw new RangeError(`row ${index} has a value outside 0…1`);
  });
  let positives = 0;
  for (const label of labels) {
    if (label !== 0 && label !== 1) throw new RangeError(`labels must be 0 or 1, got ${String(label)}`);
    positives += label;
  }
  if (positives === 0 || positives === labels.length) {
    throw new RangeError(`cannot fit churn weights without both churned and retained rows: ${positives} of ${labels.length} rows churned`);
  }
  return positives;
}

function riskColumns(features: number[][], width: number): RiskColumn[] {
  return Array.from({ length: width }, (_, column) => {
    let sum = 0;
    let sumOfSquares = 0;
    for (const row of features) {
      const risk = 1 - row[column];
      sum += risk;
      sumOfSquares += risk * risk;
    }
    const mean = sum / features.length;
    return { mean, sd: Math.sqrt(Math.max(0, sumOfSquares / features.length - mean * mean)) };
  });
}

/** As many churned as retained rows (the smaller class, at most `maxRowsPerClass`), drawn with a fixed seed. */
function balancedSample(labels: (0 | 1)[], maxRowsPerClass: number): BalancedSample {
  const churned: number[] = [];
  const retained: number[] = [];
  labels.forEach((label, row) => (label === 1 ? churned : retained).push(row));
  const perClass = Math.min(churned.length, retained.length, maxRowsPerClass);
  const random = mulberry32(SAMPLE_SEED);
  return {
    rows: [...drawWithoutReplacement(churned, perClass, random), ...drawWithoutReplacement(retained, perClass, random)],
    positives: perClass,
  };
}

/** The first `count` items of a partial Fisher–Yates shuffle of a copy of `items`. */
function drawWithoutReplacement(items: number[], count: number, random: () => number): number[] {
  const pool = [...items];
  for (let index = 0; index < count; index += 1) {
    const pick = index + Math.floor(random() * (pool.length - index));
    [pool[index], pool[pick]] = [pool[pick], pool[index]];
  }
  return pool.slice(0, count);
}

/** One logistic fit on the active signals' standardised risks, with an intercept column and the penalty rows. */
function fitStandardised(
  training: TrainingSet,
  columns: RiskColumn[],
  sample: BalancedSample,
  active: number[],
  settings: Required<FitOptions>,
): StandardisedFit {
  const design: number[][] = [];
  const target: number[] = [];
  for (const row of sample.rows) {
    const values = training.features[row];
    design.push([1, ...active.map((column) => (1 - values[column] - columns[column].mean) / columns[column].sd)]);
    target.push(training.labels[row]);
  }
  appendPenaltyRows(design, target, active.length, settings.l2 * sample.rows.length);
  const [intercept, ...coefficients] = trainWhitened(new Matrix(design), Matrix.columnVector(target), settings.maxIterations);
  return { intercept, coefficients };
}

/**
 * Pairs of pseudo-rows that put λ·n/2 · γ_j² (near 0) on each coefficient's summed loss: m pairs at
 * z = c·e_j add m·c²/4 · γ_j², so m·c² = 2λn. c ≤ 1 keeps the penalty quadratic over the usual
 * range of γ; past MAX_PENALTY_PAIRS, c grows instead (a strong penalty then turns linear, like a
 * lasso, beyond |γ| ≈ 1/c) so that the rows added stay few.
 */
function appendPenaltyRows(design: number[][], target: number[], signals: number, penaltyTimesRows: number): void {
  if (penaltyTimesRows === 0) return;
  const pairs = Math.min(Math.ceil(2 * penaltyTimesRows), MAX_PENALTY_PAIRS);
  const distance = Math.sqrt((2 * penaltyTimesRows) / pairs);
  for (let signal = 0; signal < signals; signal += 1) {
    const row = Array.from({ length: signals + 1 }, (_, column) => (column === signal + 1 ? distance : 0));
    for (let pair = 0; pair < pairs; pair += 1) {
      design.push(row, row);
      target.push(0, 1);
    }
  }
}

/** Trains on the whitened design and maps the coefficients back to the design's columns. */
function trainWhitened(design: Matrix, target: Matrix, steps: number): number[] {
  const secondMoment = design.transpose().mmul(design).div(design.rows);
  const cholesky = new CholeskyDecomposition(secondMoment);
  if (!cholesky.isPositiveDefinite()) {
    throw new RangeError('the signals are perfectly collinear in the training rows: fit with l2 > 0');
  }
  const unwhiten = inverse(cholesky.lowerTriangularMatrix).transpose();
  const model = new LogisticRegression({ numSteps: steps, learningRate: 4 / design.rows });
  model.train(design.mmul(unwhiten), target);
  // One-vs-all: classifier 0 models P(label ≠ 0), the churn probability.
  return unwhiten.mmul(model.classifiers[0].weights.transpose()).to1DArray();
}

function fittedWeights(
  training: TrainingSet,
  columns: RiskColumn[],
  active: number[],
  fit: StandardisedFit,
  counts: { sample: BalancedSample; positives: number },
): FittedWeights {
  const onRisk = columns.map(() => 0);
  let intercept =
    fit.intercept + logit(counts.positives / training.labels.length) - logit(counts.sample.positives / counts.sample.rows.length);
  active.forEach((column, position) => {
    onRisk[column] = fit.coefficients[position] / columns[column].sd;
    intercept -= onRisk[column] * columns[column].mean;
  });
  const percentages = percentagesInTenths(onRisk);
  return {
    weights: Object.fromEntries(training.signalNames.map((name, column) => [name, percentages[column]])),
    coefficients: Object.fromEntries(training.signalNames.map((name, column) => [name, onRisk[column]])),
    intercept,
    samples: training.labels.length,
    positives: counts.positives,
  };
}

/** Shares of 100 rounded to 0.1 that still sum to exactly 100 (largest remainder). */
function percentagesInTenths(values: number[]): number[] {
  const total = values.reduce((sum, value) => sum + value, 0);
  if (!(total > 0)) throw new NothingToWeightError('no signal carries churn risk: every fitted coefficient is 0');
  const exact = values.map((value) => (value / total) * 1000);
  const tenths = exact.map(Math.floor);
  const shortfall = 1000 - tenths.reduce((sum, value) => sum + value, 0);
  const byRemainder = exact.map((value, index) => ({ index, remainder: value - tenths[index] })).sort((a, b) => b.remainder - a.remainder);
  for (const { index } of byRemainder.slice(0, shortfall)) tenths[index] += 1;
  return tenths.map((value) => value / 10);
}

function logit(probability: number): number {
  return Math.log(probability / (1 - probability));
}
