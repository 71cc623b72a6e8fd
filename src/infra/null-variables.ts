// A variable of a nullable type may stand where a value is required when it has a default
// (`query ($id: ID = "c1") { customer(id: $id) }`): GraphQL validation accepts the document, and a
// client that leaves the variable out gets the default. Sent as an explicit null, graphql-js and
// graphql-jit both fail the field as they run it, with an error of no code that the server answered
// as an internal error and logged with its stack. It is the client's mistake: refused as
// BAD_USER_INPUT before anything runs, as every variable that does not fit where it is used.
import {
  DocumentNode,
  GraphQLError,
  GraphQLSchema,
  isNonNullType,
  Kind,
  OperationDefinitionNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { operationDocument } from './operation-fragments';

/** A BAD_USER_INPUT error for the first variable sent as null where its use needs a value; null when none is. */
export function nullForRequiredVariableError(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): GraphQLError | null {
  // Only a nullable variable with a default can stand where a value is required, so only those sent as null are looked for.
  const candidates = new Set(
    (operation.variableDefinitions ?? [])
      .filter((d) => d.defaultValue && d.type.kind !== Kind.NON_NULL_TYPE && variables[d.variable.name.value] === null)
      .map((d) => d.variable.name.value),
  );
  if (candidates.size === 0) return null;
  const typeInfo = new TypeInfo(schema);
  let refusal: GraphQLError | null = null;
  visit(
    operationDocument(document, operation),
    visitWithTypeInfo(typeInfo, {
      Variable(node, _key, parent) {
        if (refusal || !candidates.has(node.name.value)) return;
        // A variable definition's own `$name` is not a use of it.
        if (parent && !Array.isArray(parent) && (parent as { kind?: string }).kind === Kind.VARIABLE_DEFINITION) return;
        const type = typeInfo.getInputType();
        if (type && isNonNullType(type)) {
          const name = node.name.value;
          refusal = new GraphQLError(
            `Variable "$${name}" is null where a value of type "${String(type)}" is required: send a value, or leave the variable out to use its default`,
            { extensions: { code: 'BAD_USER_INPUT', argument: name } },
          );
        }
      },
    }),
  );
  return refusal;
}
