// Queries run as compiled code (graphql-jit) instead of graphql-js's interpreter, which walks the
// schema for every field of every row: on a dashboard page of 50 customers that walk cost about as
// much as everything else together. Apollo accepts another executor only through its gateway
// interface, so this is a "gateway" serving our own schema. Queries and mutations of one root field
// are compiled; subscriptions (served by graphql-ws), mutations of several fields, operations with a
// variable inside a JSON literal, requests that leave out a variable of an input object's field or
// send an array for an input object, documents seen once and requests with invalid variables still
// run through graphql-js, so their answers (and errors) are graphql-js's own.
import type { GatewayExecutor, GatewayInterface, GatewaySchemaLoadOrUpdateCallback } from '@apollo/server-gateway-interface';
import {
  DocumentNode,
  execute,
  GraphQLError,
  getNamedType,
  getNullableType,
  GraphQLInputObjectType,
  GraphQLInputType,
  GraphQLSchema,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  OperationDefinitionNode,
  printSchema,
  TypeInfo,
  typeFromAST,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { withCode } from './errors';
import { operationDocument } from './operation-fragments';
import { variableRefusal } from './variable-refusals';

/** A document is compiled the second time it is run: one-off documents are not worth compiling (a few ms each). */
const COMPILE_AFTER_RUNS = 2;

/** An operation as graphql-jit compiled it. */
interface CompiledOperation {
  query: CompiledQuery;
  /** See variablesOfInputFields: a request that leaves one of these out runs through graphql-js. */
  inputFieldVariables: readonly string[];
  /** See arrayForInputObject: a request whose variables hold one runs through graphql-js. */
  inputObjectVariables: ReadonlyArray<readonly [string, GraphQLInputType]>;
}

interface DocumentState {
  runs: number;
  /** Compiled operations by name ('' for an anonymous one); null when graphql-jit refused it. */
  compiled: Map<string, CompiledOperation | null>;
}

/**
 * graphql-jit's errors inherit from GraphQLError without being built by it (no `extensions` object,
 * which Apollo's error formatting reads): rebuilt as graphql-js errors, with the domain error
 * (NOT_FOUND, BAD_USER_INPUT…) the formatter looks for kept as `originalError`.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const rebuilt = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions ?? undefined,
  });
  (rebuilt as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}

/**
 * No list any argument takes holds more items than a batch of events (10,000). A longer one is
 * refused before the variables are coerced: coercing is the costliest step of such a request, and
 * graphql-jit's compiled coercion builds an error for every invalid item of the list, without a cap,
 * on the event loop (330,000 empty objects held the server for seconds).
 */
const MAX_LIST_VARIABLE_ITEMS = 10_000;

/** The first variable holding a list longer than MAX_LIST_VARIABLE_ITEMS, at any depth, or undefined. */
function variableWithOversizedList(variables: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(variables)) {
    const pending: unknown[] = [value];
    while (pending.length > 0) {
      const next = pending.pop();
      if (Array.isArray(next)) {
        if (next.length > MAX_LIST_VARIABLE_ITEMS) return name;
        pending.push(...next.filter((item) => item !== null && typeof item === 'object'));
      } else if (next !== null && typeof next === 'object') {
        for (const item of Object.values(next)) if (item !== null && typeof item === 'object') pending.push(item);
      }
    }
  }
  return undefined;
}

const VARIABLE_ERROR = /^(Variable "\$|Too many errors processing variables)/;

/**
 * Variable errors as BAD_USER_INPUT: graphql-js's own carry no code, among them the one it adds when
 * it stops after 50 ("Too many errors processing variables"), which would otherwise be masked.
 */
function variableErrors(errors: readonly GraphQLError[]): GraphQLError[] {
  return errors.map((error) => (VARIABLE_ERROR.test(error.message) ? withCode(error, 'BAD_USER_INPUT') : error));
}

/**
 * A mutation of one root field. Only those are compiled: when a root mutation field of several is
 * refused, graphql-js stops there (its error nulls `data`, and the fields after it do not run), while
 * graphql-jit's compiled code ran them anyway and wrote what the answer did not show.
 */
function isSingleField(operation: OperationDefinitionNode): boolean {
  const [first, ...rest] = operation.selectionSet.selections;
  return rest.length === 0 && first.kind === Kind.FIELD;
}

/**
 * graphql-jit writes an argument's literal into the code it generates as JSON, then turns strings
 * that start with its markers for values JSON cannot hold (`"__MAGIC_DATE__…<text>"`) into code
 * (`new Date(<text>)`). The markers are public: a string literal holding one ran the client's text
 * as JavaScript in the server from the document's second run on.
 */
const GRAPHQL_JIT_MARKER = '__MAGIC_';

/**
 * Why an operation must run through graphql-js every time (graphql-jit would answer or write
 * otherwise than graphql-js did on its first run), or null when it may be compiled:
 * - `a variable inside a scalar literal` (`metadata: { a: $v }`, a JSON value): graphql-jit reads such
 *   a literal once, when it compiles, without the variables: from the second run on `$v` was
 *   dropped (its key stored missing, or null in a list), and the checks of the value it held (a
 *   depth limit) skipped. graphql-js hands the variables to the scalar's `parseLiteral` on every run.
 *   A variable in a position of known input type (an argument, an input object's field, a list's
 *   item) is read per run by both.
 * - `graphql-jit's marker in a literal` (GRAPHQL_JIT_MARKER), in a string or a name.
 * - `a variable's default`: graphql-jit writes it into its code as plain JSON, so a DateTime default
 *   reached the resolvers as a string from the second run on, and was refused.
 * - `@skip or @include`: graphql-jit marks a fragment as seen before reading its condition, and
 *   keeps a spread's condition on the fragment's fields in the shared document, so a fragment spread
 *   twice, once skipped, lost its fields (in the document's other operations too); and a skipped
 *   field moved the keys of the answer.
 * - `a __proto__ key in a literal`: graphql-jit rebuilds a literal as a JavaScript object literal,
 *   where `__proto__` sets the prototype, so the key was dropped from what was stored.
 * - `an underscore in a response key`: graphql-jit names each field's resolve info by its response
 *   path joined with `_`, so `currentScore_customer: customers` and `customer { currentScore }`
 *   shared one and a resolver read the other field's selection; and it writes answers as object
 *   literals, where an alias `__proto__` vanished. No field of the schema has an underscore, so a
 *   key without one names one path.
 * - `a variable named after an Object.prototype member`: graphql-jit keeps the variables in a plain
 *   object, so `$__proto__` was dropped (a filter ignored, a field cleared), and a `$constructor`
 *   left out read the inherited member.
 * - `a negative zero`: graphql-jit writes literals as JSON, which has no -0.
 */
export function reasonToInterpret(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): string | null {
  if ((operation.variableDefinitions ?? []).some((definition) => definition.defaultValue)) return "a variable's default";
  const typeInfo = new TypeInfo(schema);
  let reason: string | null = null;
  // Every rule is asked of every node (documents are small, and this runs once per compilation); the reason kept is the last found.
  visit(
    operationDocument(document, operation),
    visitWithTypeInfo(typeInfo, {
      Variable(node, _key, parent) {
        // A variable definition's own `$name` is not a use of it.
        if (parent && !Array.isArray(parent) && (parent as { kind?: string }).kind === Kind.VARIABLE_DEFINITION) return;
        if (!typeInfo.getInputType()) reason = 'a variable inside a scalar literal';
      },
      ListValue(node) {
        // A list in a scalar's position (`metadata: [$v]`) is the scalar's literal: TypeInfo gives its
        // items the scalar's type, so the Variable rule above does not see them as inside a literal.
        const type = typeInfo.getInputType();
        if (type && !isListType(getNullableType(type)) && node.values.some((value) => value.kind === Kind.VARIABLE))
          reason = 'a variable inside a scalar literal';
      },
      StringValue(node) {
        if (node.value.includes(GRAPHQL_JIT_MARKER)) reason = "graphql-jit's marker in a literal";
      },
      Name(node) {
        if (node.value.includes(GRAPHQL_JIT_MARKER)) reason = "graphql-jit's marker in a literal";
      },
      ObjectField(node) {
        if (node.name.value === '__proto__') reason = 'a __proto__ key in a literal';
      },
      Directive(node) {
        if (node.name.value === 'skip' || node.name.value === 'include') reason = '@skip or @include';
      },
      Field(node) {
        const key = (node.alias ?? node.name).value;
        if (key !== '__typename' && key.includes('_')) reason = 'an underscore in a response key';
      },
      VariableDefinition(node) {
        if (Object.prototype.hasOwnProperty.call(Object.prototype, node.variable.name.value))
          reason = 'a variable named after an Object.prototype member';
      },
      IntValue(node) {
        if (Object.is(Number(node.value), -0)) reason = 'a negative zero';
      },
      FloatValue(node) {
        if (Object.is(Number(node.value), -0)) reason = 'a negative zero';
      },
    }),
  );
  return reason;
}

/**
 * The variables without a default that stand for an input object's field in a literal
 * (`input: { id: $id, csmOwner: $csmOwner }`), the usual shape of a generated client's mutation.
 * A client leaves out the variables it has no value for; graphql-js then leaves the field out, as
 * the GraphQL specification says, and a field left out keeps its stored value. graphql-jit's
 * compiled code sets it to null instead, which clears it: from the second time a document was
 * sent, an update wiped the fields it did not name. A variable of an argument or a list item is
 * read alike by both.
 */
export function variablesOfInputFields(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const defaulted = new Set(
    (operation.variableDefinitions ?? [])
      .filter((definition) => definition.defaultValue)
      .map((definition) => definition.variable.name.value),
  );
  const names = new Set<string>();
  visit(operationDocument(document, operation), {
    ObjectField(node) {
      if (node.value.kind === Kind.VARIABLE && !defaulted.has(node.value.name.value)) names.add(node.value.name.value);
    },
  });
  return [...names];
}

/** Whether `variables` leaves out one of `names`. */
function leavesOut(variables: Record<string, unknown>, names: readonly string[]): boolean {
  return names.some((name) => !Object.prototype.hasOwnProperty.call(variables, name) || variables[name] === undefined);
}

/** The fields of an input object that may hold input objects themselves, by input type. */
const inputObjectFieldsByType = new WeakMap<GraphQLInputObjectType, ReadonlyArray<readonly [string, GraphQLInputType]>>();

function fieldsHoldingInputObjects(type: GraphQLInputObjectType): ReadonlyArray<readonly [string, GraphQLInputType]> {
  let fields = inputObjectFieldsByType.get(type);
  if (!fields) {
    fields = Object.values(type.getFields())
      .filter((field) => isInputObjectType(getNamedType(field.type)))
      .map((field) => [field.name, field.type] as const);
    inputObjectFieldsByType.set(type, fields);
  }
  return fields;
}

/**
 * Whether `value`, of `type`, holds an array where an input object goes, at any depth. graphql-jit
 * takes any JavaScript object for an input object, an array too (`typeof [] === 'object'`), where
 * graphql-js refuses it ("to be an object"): an empty list sent for an input object whose fields are
 * all optional (`filter: []`) was read as `{}` from a document's second run on, and cleared a
 * destination's filter. Only the fields that may hold input objects are walked, so a batch of
 * events (no nested input objects) costs one look at each item.
 */
function arrayForInputObject(type: GraphQLInputType, value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (isNonNullType(type)) return arrayForInputObject(type.ofType, value);
  if (isListType(type)) {
    const itemType: GraphQLInputType = type.ofType;
    // A value that is not a list stands for a list of one, for graphql-jit and graphql-js alike.
    return Array.isArray(value) ? value.some((item) => arrayForInputObject(itemType, item)) : arrayForInputObject(itemType, value);
  }
  if (!isInputObjectType(type)) return false;
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object') return false;
  const fields = value as Record<string, unknown>;
  return fieldsHoldingInputObjects(type).some(([name, fieldType]) => arrayForInputObject(fieldType, fields[name]));
}

/** The operation's variables whose type holds an input object, with their types. */
function variablesOfInputObjects(schema: GraphQLSchema, operation: OperationDefinitionNode): Array<readonly [string, GraphQLInputType]> {
  const variables: Array<readonly [string, GraphQLInputType]> = [];
  for (const definition of operation.variableDefinitions ?? []) {
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    if (type && isInputObjectType(getNamedType(type))) variables.push([definition.variable.name.value, type]);
  }
  return variables;
}

export function compiledQueryGateway(schema: GraphQLSchema): GatewayInterface {
  // Keyed by the parsed document, which Apollo's document cache hands back for a repeated query;
  // an entry goes when Apollo evicts the document.
  const documents = new WeakMap<DocumentNode, DocumentState>();

  const compiledFor = (
    document: DocumentNode,
    operation: OperationDefinitionNode,
    operationName: string | null,
  ): CompiledOperation | null => {
    let state = documents.get(document);
    if (!state) documents.set(document, (state = { runs: 0, compiled: new Map() }));
    if (++state.runs < COMPILE_AFTER_RUNS) return null;
    const key = operationName ?? '';
    let compiled = state.compiled.get(key);
    if (compiled === undefined) {
      const result = reasonToInterpret(schema, document, operation) ? null : compileQuery(schema, document, operationName ?? undefined);
      compiled =
        result && isCompiledQuery(result)
          ? {
              query: result,
              inputFieldVariables: variablesOfInputFields(document, operation),
              inputObjectVariables: variablesOfInputObjects(schema, operation),
            }
          : null;
      state.compiled.set(key, compiled);
    }
    return compiled;
  };

  const executor: GatewayExecutor = async (request) => {
    const { document, operation, operationName, context } = request;
    const variables = request.request.variables ?? {};
    const oversized = variableWithOversizedList(variables);
    if (oversized !== undefined) {
      const message = `$${oversized} holds a list of more than ${MAX_LIST_VARIABLE_ITEMS.toLocaleString('en-US')} items`;
      return { errors: [new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', argument: oversized } })] };
    }
    const refusal = operation ? variableRefusal(schema, document, operation, variables) : null;
    if (refusal) return { errors: [refusal] };
    if (operation?.operation === 'query' || (operation?.operation === 'mutation' && isSingleField(operation))) {
      const compiled = compiledFor(document, operation, operationName);
      const compiledReadsAlike =
        compiled &&
        !leavesOut(variables, compiled.inputFieldVariables) &&
        !compiled.inputObjectVariables.some(([name, type]) => arrayForInputObject(type, variables[name]));
      if (compiled && compiledReadsAlike) {
        // graphql-jit coerces the variables with code compiled for this operation: for a batch of
        // 5,000 input objects that is several times cheaper than graphql-js's generic walk. When
        // they do not coerce it answers without `data` and before running anything (so a mutation
        // has not run): the request then goes to graphql-js, whose variable errors Apollo answers
        // as BAD_USER_INPUT, with graphql-js's own messages.
        const result = await compiled.query.query(undefined, context, variables);
        if ('data' in result) return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
      }
    }
    // Without an operation Apollo could resolve, graphql-js is given the name the client sent, so it
    // answers with its own error (an unknown or missing operation name) instead of running another one.
    const name = operation ? operationName : request.request.operationName;
    const result = await execute({ schema, document, contextValue: context, variableValues: variables, operationName: name });
    // No `data` at all: the variables did not coerce (or the operation was not found); nothing ran.
    return 'data' in result || !result.errors ? result : { ...result, errors: variableErrors(result.errors) };
  };

  return {
    async load() {
      return { executor };
    },
    onSchemaLoadOrUpdate(callback: GatewaySchemaLoadOrUpdateCallback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    async stop() {},
  };
}
