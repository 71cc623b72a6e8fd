// A check of subscription documents that graphql-js 16 lacks (its SingleFieldSubscriptionsRule throws
// instead), run by the WebSocket validation (subscription-execution.ts).
import { FragmentDefinitionNode, GraphQLError, Kind, OperationDefinitionNode, SelectionSetNode } from 'graphql';

export type FragmentOf = (name: string) => FragmentDefinitionNode | null | undefined;

/** Whether a selection, or a fragment it spreads, carries `@skip` or `@include` at its own level. */
function carriesCondition(selectionSet: SelectionSetNode, fragmentOf: FragmentOf, seen = new Set<string>()): boolean {
  return selectionSet.selections.some((selection) => {
    if (selection.directives?.some((directive) => directive.name.value === 'skip' || directive.name.value === 'include')) return true;
    if (selection.kind === Kind.INLINE_FRAGMENT) return carriesCondition(selection.selectionSet, fragmentOf, seen);
    if (selection.kind !== Kind.FRAGMENT_SPREAD || seen.has(selection.name.value)) return false;
    seen.add(selection.name.value);
    const fragment = fragmentOf(selection.name.value);
    return fragment != null && carriesCondition(fragment.selectionSet, fragmentOf, seen);
  });
}

/**
 * The validation error of a subscription whose root selection carries `@skip` or `@include` (the
 * GraphQL spec's "Single Root Field", checked by graphql-js from version 17); null for any other
 * operation. graphql-js 16's SingleFieldSubscriptionsRule collects the root fields without
 * variables: `@include(if: $var)` threw out of validation (answered as a variable "not provided",
 * GRAPHQL_PARSE_FAILED), and a skipped root field passed, then threw a TypeError
 * in subscribe, which closed the client's socket with every other operation on it.
 */
export function conditionalSubscriptionRootError(operation: OperationDefinitionNode, fragmentOf: FragmentOf): GraphQLError | null {
  if (operation.operation !== 'subscription' || !carriesCondition(operation.selectionSet, fragmentOf)) return null;
  const name = operation.name ? `Subscription "${operation.name.value}"` : 'Anonymous Subscription';
  return new GraphQLError(`${name} must not use @skip or @include directives in the top level selection.`, { nodes: operation });
}
