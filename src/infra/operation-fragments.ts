// One operation of a document as a document of its own: the operation and the fragments it spreads,
// directly or through other fragments. A document may hold several operations, and a check of one
// (its variables, what graphql-jit would do with it) must not read another's fragments: a variable
// of the same name may stand elsewhere there.
import { DocumentNode, FragmentDefinitionNode, Kind, OperationDefinitionNode, visit } from 'graphql';

export function operationDocument(document: DocumentNode, operation: OperationDefinitionNode): DocumentNode {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const reached = new Map<string, FragmentDefinitionNode>();
  const pending: Array<OperationDefinitionNode | FragmentDefinitionNode> = [operation];
  while (pending.length > 0) {
    visit(pending.pop()!, {
      FragmentSpread(node) {
        const fragment = fragments.get(node.name.value);
        if (fragment && !reached.has(node.name.value)) {
          reached.set(node.name.value, fragment);
          pending.push(fragment);
        }
      },
    });
  }
  return { ...document, definitions: [operation, ...reached.values()] };
}
