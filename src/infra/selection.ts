// What a query selects below a field, read from the resolve info: lets a resolver fetch only the
// columns asked for, or join a nested edge into its own statement instead of loading it later.
// Aliases of one field are merged and fragments flattened (every type they apply to here is an
// object type, so type conditions are not checked). `@skip` and `@include` are honoured with
// graphql-js's own `getDirectiveValues`, as its executor does: a field they exclude is not fetched.
import {
  FieldNode,
  FragmentSpreadNode,
  getDirectiveValues,
  GraphQLIncludeDirective,
  GraphQLResolveInfo,
  GraphQLSkipDirective,
  InlineFragmentNode,
  Kind,
  SelectionSetNode,
} from 'graphql';

type SelectionInfo = Pick<GraphQLResolveInfo, 'fragments' | 'variableValues'>;

/** Whether the executor includes this selection: not `@skip(if: true)`, not `@include(if: false)`. */
function included(selection: FieldNode | FragmentSpreadNode | InlineFragmentNode, variables: SelectionInfo['variableValues']): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, selection, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, selection, variables)?.if !== false;
}

/** The fields selected directly under `nodes`, by field name (not alias), each with all its nodes. */
export function subfields(nodes: readonly FieldNode[], info: SelectionInfo): Map<string, FieldNode[]> {
  const fields = new Map<string, FieldNode[]>();
  const visit = (selectionSet: SelectionSetNode | undefined, seen: Set<string>) => {
    for (const selection of selectionSet?.selections ?? []) {
      if (!included(selection, info.variableValues)) continue;
      if (selection.kind === Kind.FIELD) {
        const list = fields.get(selection.name.value);
        if (list) list.push(selection);
        else fields.set(selection.name.value, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, seen);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        visit(info.fragments[selection.name.value]?.selectionSet, seen);
      }
    }
  };
  for (const node of nodes) visit(node.selectionSet, new Set());
  return fields;
}

/** The fields selected under the resolved field, following `path` (field names) down first. */
export function selectedFields(
  info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments' | 'variableValues'>,
  path: readonly string[] = [],
): Map<string, FieldNode[]> {
  let fields = subfields(info.fieldNodes, info);
  for (const name of path) fields = subfields(fields.get(name) ?? [], info);
  return fields;
}
