// An `ID` may be sent as a JSON number, which graphql-js and graphql-jit both read as the integer's
// decimal text. Past 2^53 the number has lost digits before either sees it (JSON.parse reads
// 12345678901234567890 as 12345678901234567000, and 1e21 is written "1e+21"), so the id would name
// another customer than the one sent, or create it. Such a variable is refused, as Int and SafeInt
// refuse an integer they cannot hold; in a document's literal the digits are kept as written.
import {
  GraphQLError,
  GraphQLID,
  GraphQLInputType,
  GraphQLSchema,
  isInputObjectType,
  isListType,
  isNonNullType,
  OperationDefinitionNode,
  typeFromAST,
} from 'graphql';

/** Whether a value of `type` can hold an ID anywhere, by named type (the schema's types are few and fixed). */
const holdsIdByType = new WeakMap<object, boolean>();

function holdsId(type: GraphQLInputType): boolean {
  if (isNonNullType(type) || isListType(type)) return holdsId(type.ofType as GraphQLInputType);
  if (type.name === GraphQLID.name) return true;
  if (!isInputObjectType(type)) return false;
  let holds = holdsIdByType.get(type);
  if (holds === undefined) {
    holdsIdByType.set(type, false); // a recursive input type holds an ID only through its other fields
    holds = Object.values(type.getFields()).some((field) => holdsId(field.type));
    holdsIdByType.set(type, holds);
  }
  return holds;
}

/** The path of the first ID in `value` given as an integer past 2^53, or null. */
function unsafeIdPath(type: GraphQLInputType, value: unknown, path: string): string | null {
  if (value === null || value === undefined || !holdsId(type)) return null;
  if (isNonNullType(type)) return unsafeIdPath(type.ofType as GraphQLInputType, value, path);
  if (isListType(type)) {
    const itemType = type.ofType as GraphQLInputType;
    if (!Array.isArray(value)) return unsafeIdPath(itemType, value, path);
    for (let index = 0; index < value.length; index++) {
      const found = unsafeIdPath(itemType, value[index], `${path}[${index}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (isInputObjectType(type)) {
    if (typeof value !== 'object' || Array.isArray(value)) return null;
    for (const [name, field] of Object.entries(type.getFields())) {
      const found = unsafeIdPath(field.type, (value as Record<string, unknown>)[name], `${path}.${name}`);
      if (found !== null) return found;
    }
    return null;
  }
  return typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) ? path : null;
}

/** A BAD_USER_INPUT error for the first variable holding an ID as an integer past 2^53; null when none does. */
export function unsafeIdVariableError(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): GraphQLError | null {
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    const path = type ? unsafeIdPath(type, variables[name], name) : null;
    if (path !== null) {
      return new GraphQLError(
        `Variable "$${name}" got an ID at "${path}" as a number past 2^53, whose digits JSON has already lost: send the id as a string`,
        { extensions: { code: 'BAD_USER_INPUT', argument: name } },
      );
    }
  }
  return null;
}
