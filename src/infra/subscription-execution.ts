// How graphql-ws runs subscriptions here. By default it parses and validates every subscribe
// message and executes every event once per subscriber: one tier change watched by 5,000
// dashboards was 5,000 executions of the same selection over the same payload. Here:
//   - a query text of ordinary length is parsed once and a parsed document validated once (both cached);
//   - an event is executed once per distinct operation (document, operation name, variables)
//     among the subscribers it reaches, and that one result is sent to each of them.
// A result is shared only by subscribers of the same audience (`audience`, the caller's scopes): a
// field may answer by scope (a delivery's lastError is redacted for a read key), and an admin's
// answer, computed first, was sent to the read keys subscribed to the same operation.
import {
  ASTVisitor,
  createSourceEventStream,
  DocumentNode,
  execute,
  ExecutionArgs,
  ExecutionResult,
  getEnterLeaveForKind,
  GraphQLError,
  GraphQLSchema,
  Kind,
  parse,
  BREAK,
  visit,
  SingleFieldSubscriptionsRule,
  specifiedRules,
  validate,
  ValidationContext,
} from 'graphql';
import { LiveEventsLost } from './pubsub';
import { conditionalSubscriptionRootError } from './subscription-root';

/** Distinct query texts kept parsed; beyond it the oldest is forgotten (re-parsed when seen again). */
const PARSED_DOCUMENTS = 200;
/**
 * Longest query text kept parsed. The token limit does not bound a text's length (one string argument
 * can fill a WebSocket message), and 500 kept texts of a megabyte each are half a gigabyte held for good,
 * filled by one key in seconds. Clients' subscriptions are a few hundred characters; a longer text is
 * parsed each time it comes.
 */
const MAX_PARSED_TEXT_LENGTH = 16 * 1024;
/**
 * Most syntax nodes (fields, arguments, values…) of a document kept parsed, and of any subscription,
 * which holds its parsed document for its life. Its text does not bound its memory: a node, with its
 * position in the text, takes hundreds of bytes, so 16 KiB of repeated fields parsed to about a
 * megabyte, and one read key's subscriptions of such documents held gigabytes. Clients' subscriptions
 * have a few dozen.
 */
export const MAX_SUBSCRIPTION_NODES = 500;

/** The syntax nodes of `document`, counted up to one past `max` (enough to refuse it). */
export function syntaxNodesUpTo(document: DocumentNode, max: number): number {
  let nodes = 0;
  visit(document, {
    enter() {
      nodes++;
      return nodes > max ? BREAK : undefined;
    },
  });
  return nodes;
}

type MaybePromise<T> = T | Promise<T>;

/** An async iterator whose `return()` and `throw()` exist (graphql-ws ends a subscription through `return()`). */
export type EventStream<T> = AsyncIterableIterator<T> & Required<Pick<AsyncIterator<T>, 'return' | 'throw'>>;

/**
 * `iterable` with `map` applied to each value. `return()` reaches the source at once, even while a
 * `next()` is waiting for an event (an async generator would only see it after the next event), so a
 * client that unsubscribes leaves its channels immediately.
 */
export function mapAsyncIterable<T, U>(iterable: AsyncIterable<T>, map: (value: T) => MaybePromise<U>): EventStream<U> {
  const iterator = iterable[Symbol.asyncIterator]();
  const close = async (): Promise<void> => {
    try {
      await iterator.return?.();
    } catch {
      // The source is already broken; the mapping error below is the one to report.
    }
  };
  const mapResult = async (result: IteratorResult<T>): Promise<IteratorResult<U>> => {
    if (result.done) return { value: undefined, done: true };
    try {
      return { value: await map(result.value), done: false };
    } catch (error) {
      await close();
      throw error;
    }
  };
  const mapped: EventStream<U> = {
    next: async () => mapResult(await iterator.next()),
    return: async () => {
      if (iterator.return) await iterator.return();
      return { value: undefined, done: true };
    },
    throw: async (error: unknown) => {
      if (iterator.throw) return mapResult(await iterator.throw(error));
      throw error;
    },
    [Symbol.asyncIterator]: () => mapped,
  };
  return mapped;
}

/** graphql-js 16's SingleFieldSubscriptionsRule, after conditionalSubscriptionRootError (which it would throw on). */
export function singleFieldSubscriptionsRule(context: ValidationContext): ASTVisitor {
  const specified = SingleFieldSubscriptionsRule(context);
  const { enter } = getEnterLeaveForKind(specified, Kind.OPERATION_DEFINITION);
  return {
    OperationDefinition(node, ...rest) {
      const error = conditionalSubscriptionRootError(node, (name) => context.getFragment(name));
      if (error) context.reportError(error);
      else enter?.call(specified, node, ...rest);
    },
  };
}

/** GraphQL's own rules, with the subscription rule above in place of version 16's. */
const SUBSCRIPTION_RULES = specifiedRules.map((rule) => (rule === SingleFieldSubscriptionsRule ? singleFieldSubscriptionsRule : rule));

function isAsyncIterable<T>(value: AsyncIterable<T> | ExecutionResult): value is AsyncIterable<T> {
  return typeof (value as Partial<AsyncIterable<T>>)[Symbol.asyncIterator] === 'function';
}

export interface SubscriptionExecution {
  parse: typeof parse;
  validate: typeof validate;
  subscribe(args: ExecutionArgs): Promise<EventStream<ExecutionResult> | ExecutionResult>;
}

export interface SubscriptionExecutionOptions {
  /**
   * The context an event (`payload`) is executed with, from the subscription's (made once, as it
   * subscribed). Each event needs its own: with the subscription's, its loaders and entity manager served every
   * later event what its first events had loaded (a renamed customer kept its old name for the
   * subscription's life) and held everything it ever loaded.
   */
  eventContext?: (subscriptionContext: unknown, payload: unknown) => unknown;
  /**
   * What an event's answer may depend on besides the operation, from the subscription's context
   * (the caller's scopes): subscribers of one operation share an execution only within an audience.
   */
  audience?: (subscriptionContext: unknown) => string;
}

/** The parse, validate and subscribe functions graphql-ws is given (`useServer` options). */
export function subscriptionExecution({
  eventContext = (context) => context,
  audience = () => '',
}: SubscriptionExecutionOptions = {}): SubscriptionExecution {
  const parsed = new Map<string, DocumentNode>();
  const validated = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, ReadonlyArray<GraphQLError>>>();
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  // Per event payload (the object the PubSub hands every local subscriber of a channel), the result
  // for each operation key (and audience). Held only as long as some subscriber still holds the payload.
  const results = new WeakMap<object, Map<string, MaybePromise<ExecutionResult>>>();

  const operationKey = (args: ExecutionArgs): string => {
    let id = documentIds.get(args.document);
    if (id === undefined) documentIds.set(args.document, (id = nextDocumentId++));
    return `${id}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? null)}\u0000${audience(args.contextValue)}`;
  };

  return {
    parse(source, options) {
      if (typeof source !== 'string' || options || source.length > MAX_PARSED_TEXT_LENGTH) return parse(source, options);
      let document = parsed.get(source);
      if (!document) {
        document = parse(source);
        if (syntaxNodesUpTo(document, MAX_SUBSCRIPTION_NODES) > MAX_SUBSCRIPTION_NODES) return document;
        if (parsed.size >= PARSED_DOCUMENTS) parsed.delete(parsed.keys().next().value as string);
        parsed.set(source, document);
      }
      return document;
    },

    validate(schema, document, ...rest) {
      if (rest.length > 0) return validate(schema, document, ...rest);
      let bySchema = validated.get(schema);
      if (!bySchema) validated.set(schema, (bySchema = new WeakMap()));
      let errors = bySchema.get(document);
      if (!errors) bySchema.set(document, (errors = validate(schema, document, SUBSCRIPTION_RULES)));
      return errors;
    },

    async subscribe(args) {
      const source = await createSourceEventStream(args);
      // An ExecutionResult here carries the errors of a subscription that could not start.
      if (!isAsyncIterable(source)) return source;
      const key = operationKey(args);
      const run = (payload: unknown) => execute({ ...args, contextValue: eventContext(args.contextValue, payload), rootValue: payload });
      return mapAsyncIterable(source, (payload) => {
        // Not an event: the PubSub telling this subscriber that events may have been lost (pubsub.ts).
        if (payload instanceof LiveEventsLost) return payload.result;
        if (payload === null || typeof payload !== 'object') return run(payload);
        let byOperation = results.get(payload);
        if (!byOperation) results.set(payload, (byOperation = new Map()));
        let result = byOperation.get(key);
        if (!result) byOperation.set(key, (result = run(payload)));
        return result;
      });
    },
  };
}
