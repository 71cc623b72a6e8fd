// Introspection answered from memory. An operation whose root fields are only `__schema`, `__type`
// and `__typename` answers the same for the same document and variables, whoever asks, as long as
// the schema is the one served; and computing it walks the whole schema, then serializes an answer
// of hundreds of kilobytes, every time: a few clients running the playground's or a code generator's
// introspection in a loop, any key including an ingest-only one, held every other client's answers
// for seconds. The last few such answers are kept and served again without running anything (the
// access checks still run first: an operation refused is never answered from here).
// One file, installed in http-server.ts (Apollo's plugin, graphql-ws's execute): remove those lines
// and every introspection runs again, nothing else changed.
import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, BaseContext, GraphQLResponse } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import {
  DocumentNode,
  ExecutionArgs,
  ExecutionResult,
  getOperationAST,
  Kind,
  OperationDefinitionNode,
  OperationTypeNode,
  SelectionSetNode,
} from 'graphql';

/** Answers kept: the few introspection documents clients send (playground, code generators, IDEs), with room. */
const MAX_ENTRIES = 16;

/**
 * Longest JSON of an operation's variables whose answer is kept. An introspection takes none, or a
 * type's name; keys are held as long as their answers, so a large value is answered without the cache.
 */
const MAX_VARIABLES_LENGTH = 1024;

const INTROSPECTION_FIELDS = new Set(['__schema', '__type', '__typename']);

/** Whether every root field `selectionSet` selects, through fragments too, is an introspection field. */
function selectsOnlyIntrospection(document: DocumentNode, selectionSet: SelectionSetNode, spread = new Set<string>()): boolean {
  return selectionSet.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) return INTROSPECTION_FIELDS.has(selection.name.value);
    if (selection.kind === Kind.INLINE_FRAGMENT) return selectsOnlyIntrospection(document, selection.selectionSet, spread);
    // A fragment spread twice selects nothing new the second time (validation refuses cycles).
    if (spread.has(selection.name.value)) return true;
    spread.add(selection.name.value);
    const fragment = document.definitions.find(
      (definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value,
    );
    return fragment?.kind === Kind.FRAGMENT_DEFINITION && selectsOnlyIntrospection(document, fragment.selectionSet, spread);
  });
}

/** Whether `operation` is a query that selects nothing but introspection at its root. */
export function isIntrospectionOnly(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  return operation.operation === OperationTypeNode.QUERY && selectsOnlyIntrospection(document, operation.selectionSet);
}

/**
 * What an introspection's answer depends on besides the schema: its document (by the SHA-256 of its
 * text), the operation run, and the values of the variables it declares (others are ignored when it
 * runs, so they do not make another entry). Null when the variables are too large to keep.
 */
function cacheKey(
  textHash: string,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): string | null {
  // A variable left out takes its default, which one sent as null does not: they are told apart.
  const declared = (operation.variableDefinitions ?? [])
    .map((definition) => definition.variable.name.value)
    .filter((name) => variables !== null && variables !== undefined && Object.prototype.hasOwnProperty.call(variables, name));
  const values = JSON.stringify(declared.map((name) => [name, variables?.[name]]));
  if (values.length > MAX_VARIABLES_LENGTH) return null;
  return `${textHash}\u0000${operation.name?.value ?? ''}\u0000${values}`;
}

/** The answers (`data`) of the last MAX_ENTRIES introspection operations run, least recently used first. */
export class IntrospectionCache {
  private readonly answers = new Map<string, ExecutionResult['data']>();

  private get(key: string): ExecutionResult['data'] | undefined {
    const data = this.answers.get(key);
    if (data !== undefined) {
      this.answers.delete(key);
      this.answers.set(key, data);
    }
    return data;
  }

  private keep(key: string, result: { data?: ExecutionResult['data']; errors?: readonly unknown[] }): void {
    // An answer with errors (a field that failed) is not the schema's answer: it runs again.
    if (result.errors?.length || !result.data) return;
    this.answers.delete(key);
    this.answers.set(key, result.data);
    if (this.answers.size > MAX_ENTRIES) this.answers.delete(this.answers.keys().next().value as string);
  }

  /** Introspections kept (tests). */
  get size(): number {
    return this.answers.size;
  }

  /**
   * For Apollo: answers an introspection operation from the cache once the access checks
   * (`didResolveOperation`) have passed, and keeps the answer of one that ran.
   */
  apolloPlugin(): ApolloServerPlugin<BaseContext> {
    return {
      requestDidStart: async () => {
        let missed: string | null = null;
        return {
          responseForOperation: async ({ document, operation, queryHash, request }): Promise<GraphQLResponse | null> => {
            if (!operation || queryHash === undefined || !isIntrospectionOnly(document, operation)) return null;
            const key = cacheKey(queryHash, operation, request.variables);
            if (key === null) return null;
            const data = this.get(key);
            if (data !== undefined)
              return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data } } };
            missed = key;
            return null;
          },
          willSendResponse: async ({ response }) => {
            if (missed !== null && response.body.kind === 'single') this.keep(missed, response.body.singleResult);
          },
        };
      },
    };
  }

  /**
   * For graphql-ws: `execute`, answering an introspection operation from the cache (its checks ran
   * in onSubscribe), and keeping the answer of one that ran.
   */
  executing<R extends ExecutionResult | Promise<ExecutionResult>>(
    execute: (args: ExecutionArgs) => R,
  ): (args: ExecutionArgs) => R | ExecutionResult {
    return (args) => {
      const operation = getOperationAST(args.document, args.operationName);
      const text = args.document.loc?.source.body;
      if (!operation || text === undefined || !isIntrospectionOnly(args.document, operation)) return execute(args);
      const key = cacheKey(createHash('sha256').update(text).digest('hex'), operation, args.variableValues);
      if (key === null) return execute(args);
      const data = this.get(key);
      if (data !== undefined) return { data };
      const result = execute(args);
      void Promise.resolve(result).then(
        (ran) => this.keep(key, ran),
        () => undefined,
      );
      return result;
    };
  }
}
