// The operation check of what an ingest mutation's answer may show of a record its idempotency key
// finds already stored (the rule: src/ingest/stored-record-readback.ts). It runs with the scope walk
// (operation-scopes.ts), before anything runs, so a refused mutation leaves the whole operation
// unwritten, the mutations before it in the document included; unlike the walk it reads the
// database, only for a caller without `read` whose answer selects more than the record's identity.
import {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  getArgumentValues,
  getVariableValues,
  GraphQLField,
  GraphQLSchema,
  Kind,
  OperationDefinitionNode,
  OperationTypeNode,
  SelectionSetNode,
} from 'graphql';
import { Extensions } from 'type-graphql';
import { fieldsBeyondRequest, StoredRecordReadback, storedRecordRefusal } from '../ingest/stored-record-readback';
import type { Db } from '../infra/sql';
import type { ForbiddenErrorAt } from './operation-scopes';
import { hasScope, Principal } from './principal';
import { Scope } from './scopes';

/** Marks a mutation whose `input` may match a stored record, and how its answer may show that record. */
export function AnswersStoredRecord<Input>(readback: StoredRecordReadback<Input>): MethodDecorator {
  return Extensions({ storedRecordReadback: readback }) as MethodDecorator;
}

function readbackOf(field: GraphQLField<unknown, unknown> | undefined): StoredRecordReadback<unknown> | undefined {
  return field?.extensions?.storedRecordReadback as StoredRecordReadback<unknown> | undefined;
}

/**
 * The fields under `selectionSet`, fragments expanded, whatever their `@skip`/`@include` say (as the
 * scope walk counts them: a condition is no reason to leave a field unchecked).
 */
function fieldsUnder(selectionSet: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>): FieldNode[] {
  const fields: FieldNode[] = [];
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): void => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        visit(fragments.get(selection.name.value)?.selectionSet);
      }
    }
  };
  visit(selectionSet);
  return fields;
}

/**
 * One FORBIDDEN refusal per mutation of the operation whose answer would show, to a principal without
 * `read`, fields of a record already stored under its input's key that the request does not decide;
 * [] when there is none. Variables or arguments that do not coerce are left to execution, which
 * refuses them before any resolver runs.
 */
export async function storedReadbackErrors(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  principal: Principal | undefined,
  variables: Record<string, unknown>,
  db: () => Db,
): Promise<ForbiddenErrorAt[]> {
  const mutationType = schema.getMutationType();
  if (operation.operation !== OperationTypeNode.MUTATION || !mutationType || hasScope(principal, Scope.READ)) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const candidates = fieldsUnder(operation.selectionSet, fragments).filter((node) => readbackOf(mutationType.getFields()[node.name.value]));
  if (candidates.length === 0) return [];
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (!coerced.coerced) return [];
  const refusals: ForbiddenErrorAt[] = [];
  for (const node of candidates) {
    const field = mutationType.getFields()[node.name.value];
    const readback = readbackOf(field)!;
    const selected = fieldsUnder(node.selectionSet, fragments).map((answerField) => answerField.name.value);
    let input: unknown;
    try {
      input = getArgumentValues(field, node, coerced.coerced).input;
    } catch {
      continue;
    }
    const beyond = fieldsBeyondRequest(readback, input, selected);
    if (beyond.length === 0 || !(await readback.isStored(db(), input))) continue;
    refusals.push({ path: [node.alias?.value ?? node.name.value], error: storedRecordRefusal(readback, beyond) });
  }
  return refusals;
}
