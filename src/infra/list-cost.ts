// The cost estimate of a list that takes no `first` (a score's signals, its penalties): the fields
// selected in it count once per item it is expected to hold, as a page's count `first` times
// (src/auth/operation-limits.ts). Counted as one item, a page of 500 scores with their signals and
// penalties was estimated at a tenth of what it answered, and one key's few dozen of them at once held
// gigabytes. Given to type-graphql's `complexity` option of the field, which graphql-query-complexity
// reads from the field's extensions.
import type { ComplexityEstimator } from 'graphql-query-complexity';

/** A list expected to hold about `length` items: it costs 1 + `length` × its fields. */
export function listOf(length: number): ComplexityEstimator {
  return ({ childComplexity }) => 1 + length * childComplexity;
}
