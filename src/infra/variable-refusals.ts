// The checks of a request's variables that GraphQL's own coercion does not make, run before anything
// executes, over HTTP (compiled-executor.ts) and WebSocket alike.
import {
  DocumentNode,
  ExecutionArgs,
  ExecutionResult,
  getOperationAST,
  GraphQLError,
  GraphQLSchema,
  OperationDefinitionNode,
} from 'graphql';
import { unsafeIdVariableError } from './id-variables';
import { nullForRequiredVariableError } from './null-variables';

/** A BAD_USER_INPUT error for the first variable these checks refuse; null when they pass. */
export function variableRefusal(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): GraphQLError | null {
  return unsafeIdVariableError(schema, operation, variables) ?? nullForRequiredVariableError(schema, document, operation, variables);
}

/**
 * graphql-ws's execute and subscribe, which read the variables as graphql-js does: a refused variable
 * is answered in a `next` result as BAD_USER_INPUT (as any variable that does not fit its type),
 * before anything runs.
 */
export function refusingBadVariables<R>(run: (args: ExecutionArgs) => R): (args: ExecutionArgs) => R | ExecutionResult {
  return (args) => {
    const operation = getOperationAST(args.document, args.operationName);
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const error = operation ? variableRefusal(args.schema, args.document, operation, variables) : null;
    return error ? { errors: [error] } : run(args);
  };
}
