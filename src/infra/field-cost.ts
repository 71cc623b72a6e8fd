// The cost estimate of fields that weigh more than the one a scalar counts, given to type-graphql's
// `complexity` option of the field, which graphql-query-complexity reads from the field's extensions
// (src/auth/operation-limits.ts). Lists that take no `first` (a score's signals, an action's
// deliveries) count their fields once per item they are expected to hold, as a page counts its
// `first` items. Text and JSON fields that may hold kilobytes (an NPS comment, an event's metadata)
// count what their longest answer weighs. Counted as one, either let a request under the cost limit
// answer many times what its estimate said, and a read key's few requests in flight hold the memory
// of the whole process.
import type { ComplexityEstimator } from 'graphql-query-complexity';

/** A list expected to hold about `length` items: it costs 1 + `length` × its fields. */
export function listOf(length: number): ComplexityEstimator {
  return ({ childComplexity }) => 1 + length * childComplexity;
}

/**
 * The answer one unit of cost stands for: a scalar field (a number, a date, a label), with its key and
 * punctuation, weighs a few dozen bytes of JSON.
 */
export const BYTES_PER_COST_UNIT = 100;

/**
 * The most one character of text takes in UTF-8: four bytes (an emoji, a letter outside the Basic
 * Multilingual Plane) in a JSON answer, as in the text stored. A control character is escaped into six
 * (`\u001f`): a text made of them answers up to half as much again as its weight.
 */
const MAX_BYTES_PER_CHARACTER = 4;

/** A text field of at most `maxCharacters` characters: the cost units its longest answer weighs. */
export function textOf(maxCharacters: number): number {
  return Math.ceil((maxCharacters * MAX_BYTES_PER_CHARACTER) / BYTES_PER_COST_UNIT);
}

/** A JSON field of at most `maxBytes` bytes of JSON text: the cost units its largest answer weighs. */
export function jsonOf(maxBytes: number): number {
  return Math.ceil(maxBytes / BYTES_PER_COST_UNIT);
}
