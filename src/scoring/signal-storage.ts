// How a score's signals are kept in `health_score.signals`: one positional array per signal,
// `[name, component, rawValue, value, weight, effectiveWeight, contribution, missing]`, instead of
// an object repeating its eight keys. Every scoring of every customer writes one such list, so the
// keys were most of the history: with the default model a row took 1.9 kB, 1.35 kB of it the
// signals, and the keys about 60 % of that. The API still answers objects (`decodeSignals`), and
// rows written before this format (objects) are read as they are.
import type { SignalResult } from './model';

export type StoredSignal = [
  name: string,
  component: string,
  rawValue: number | null,
  value: number | null,
  weight: number,
  effectiveWeight: number,
  contribution: number,
  missing: boolean,
];

export function encodeSignals(signals: readonly SignalResult[]): StoredSignal[] {
  return signals.map((s) => [s.name, s.component, s.rawValue, s.value, s.weight, s.effectiveWeight, s.contribution, s.missing]);
}

function decodeSignal(stored: StoredSignal | SignalResult): SignalResult {
  if (!Array.isArray(stored)) return stored;
  const [name, component, rawValue, value, weight, effectiveWeight, contribution, missing] = stored;
  return { name, component, rawValue, value, weight, effectiveWeight, contribution, missing };
}

/** The signals of a stored score, in either stored form, as the model produced them. */
export function decodeSignals(stored: ReadonlyArray<StoredSignal | SignalResult>): SignalResult[] {
  return stored.map(decodeSignal);
}
