// How a score's signals are kept in `health_score.signals`: one positional array per signal,
// `[name, component, rawValue, value, weight, effectiveWeight, contribution, missing]`, instead of
// an object repeating its eight keys. Every scoring of every customer writes one such list, so the
// repeated keys were most of a row's signals, and the signals most of the row (bench/README.md). The
// API still answers objects (`decodeSignals`), and rows written before this format (objects) are
// read as they are.
// Penalties (`health_score.penalties`) are kept the same way, `[name, rawValue, points, applied]`,
// with a fifth element only for a penalty its `onlyWhen` held back: the conditions that did not hold,
// each `[position in onlyWhen, value]` (the model version of the row tells the rest; `true` in rows
// written before they were kept). A model with a dozen red flags otherwise writes rows past
// PostgreSQL's 2 kB TOAST threshold, and every full run then compresses most of them on insert.
// Rows written before the fifth element read as not held back. A penalty kept by the model's
// `penaltyHysteresis` (applied only because it applied at the previous scoring) has a sixth element,
// `true`, after a null fifth one.
import type { PenaltyResult, SignalResult } from './model';

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

type StoredCondition = [condition: number, value: number];

export type StoredPenalty = [
  name: string,
  rawValue: number | null,
  points: number,
  applied: boolean,
  heldBack?: true | StoredCondition[] | null,
  kept?: true,
];

export function encodePenalties(penalties: readonly PenaltyResult[]): StoredPenalty[] {
  return penalties.map((p): StoredPenalty => {
    if (p.heldBack)
      return [p.name, p.rawValue, p.points, p.applied, (p.heldBackBy ?? []).map((c): StoredCondition => [c.condition, c.value])];
    return p.kept ? [p.name, p.rawValue, p.points, p.applied, null, true] : [p.name, p.rawValue, p.points, p.applied];
  });
}

/** A penalty as rows written before the positional form hold it (no `heldBack` before it was kept). */
type PenaltyObject = Omit<PenaltyResult, 'heldBack'> & { heldBack?: boolean };

function decodePenalty(stored: StoredPenalty | PenaltyObject): PenaltyResult {
  if (!Array.isArray(stored)) return { heldBack: false, ...stored };
  const [name, rawValue, points, applied, heldBack, kept] = stored;
  if (kept) return { name, rawValue, points, applied, heldBack: false, kept: true };
  if (heldBack === undefined || heldBack === null) return { name, rawValue, points, applied, heldBack: false };
  if (heldBack === true) return { name, rawValue, points, applied, heldBack: true };
  return { name, rawValue, points, applied, heldBack: true, heldBackBy: heldBack.map(([condition, value]) => ({ condition, value })) };
}

/** The penalties of a stored score, in either stored form, as the model produced them. */
export function decodePenalties(stored: ReadonlyArray<StoredPenalty | PenaltyObject>): PenaltyResult[] {
  return stored.map(decodePenalty);
}

/**
 * SQL for the names of the penalties a stored score applied (a `text[]`), from either stored form of
 * a `health_score.penalties` value (`column`): positional, or objects in rows written before 1
 * December 2026. Only the names travel, not the whole list.
 */
export function appliedPenaltyNames(column: string): string {
  // Most scores apply no penalty: a list without the word `true` holds none applied, and is not parsed.
  return `case when strpos(${column}::text, 'true') = 0 then '{}'::text[]
    else array(select coalesce(x.p ->> 0, x.p ->> 'name') from json_array_elements(${column}) as x(p)
               where coalesce(x.p ->> 3, x.p ->> 'applied') = 'true') end`;
}
