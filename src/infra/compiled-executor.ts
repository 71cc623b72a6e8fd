// Queries run as compiled code (graphql-jit) instead of graphql-js's interpreter, which walks the
// schema for every field of every row: on a dashboard page of 50 customers that walk cost about as
// much as everything else together. Apollo accepts another executor only through its gateway
// interface, so this is a "gateway" serving our own schema. Mutations, documents seen once and
// requests with invalid variables still run through graphql-js, so their answers (and errors) are
// graphql-js's own.
import type { GatewayExecutor, GatewayInterface, GatewaySchemaLoadOrUpdateCallback } from '@apollo/server-gateway-interface';
import { DocumentNode, execute, getVariableValues, GraphQLError, GraphQLSchema, printSchema } from 'graphql';
import { CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

/** A document is compiled the second time it is run: one-off documents are not worth compiling (a few ms each). */
const COMPILE_AFTER_RUNS = 2;

interface DocumentState {
  runs: number;
  /** Compiled operations by name ('' for an anonymous one); null when graphql-jit refused it. */
  compiled: Map<string, CompiledQuery | null>;
}

/**
 * graphql-jit's errors inherit from GraphQLError without being built by it (no `extensions` object,
 * which Apollo's error formatting reads): rebuilt as graphql-js errors, with the domain error
 * (NOT_FOUND, BAD_USER_INPUT…) the formatter looks for kept as `originalError`.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const rebuilt = new GraphQLError(error.message, { path: error.path, originalError: error.originalError, extensions: error.extensions ?? undefined });
  (rebuilt as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}

export function compiledQueryGateway(schema: GraphQLSchema): GatewayInterface {
  // Keyed by the parsed document, which Apollo's document cache hands back for a repeated query;
  // an entry goes when Apollo evicts the document.
  const documents = new WeakMap<DocumentNode, DocumentState>();

  const compiledFor = (document: DocumentNode, operationName: string | null): CompiledQuery | null => {
    let state = documents.get(document);
    if (!state) documents.set(document, (state = { runs: 0, compiled: new Map() }));
    if (++state.runs < COMPILE_AFTER_RUNS) return null;
    const key = operationName ?? '';
    let compiled = state.compiled.get(key);
    if (compiled === undefined) {
      const result = compileQuery(schema, document, operationName ?? undefined);
      compiled = isCompiledQuery(result) ? result : null;
      state.compiled.set(key, compiled);
    }
    return compiled;
  };

  const executor: GatewayExecutor = async (request) => {
    const { document, operation, operationName, context } = request;
    const variables = request.request.variables ?? {};
    if (operation?.operation === 'query') {
      const compiled = compiledFor(document, operationName);
      // Invalid variables are left to graphql-js, whose errors Apollo answers as BAD_USER_INPUT.
      if (compiled && !getVariableValues(schema, operation.variableDefinitions ?? [], variables).errors) {
        const result = await compiled.query(undefined, context, variables);
        return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
      }
    }
    return execute({ schema, document, contextValue: context, variableValues: variables, operationName });
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
