// Typed domain errors, mapped once to GraphQL `extensions.code` in the error formatter.
// Services throw these; nothing matches on message strings. The error contract of a response:
//   - BAD_USER_INPUT, NOT_FOUND, …: the domain error's own code and message;
//   - SERVICE_UNAVAILABLE: the database cannot be reached, the instance is stopping, or a query's
//     statement waited too long for a connection; HTTP 503 with
//     Retry-After when nothing else answered (answersNothing), else 200 with the code on the failed fields;
//   - INTERNAL_SERVER_ERROR: masked, with the request id under which it was logged.
// No response carries a stack trace unless NODE_ENV=development.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES as STATUS_TEXT } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from './logger';
import { answersGraphQLResponseJson } from './response-media-type';
import { cutText } from './text-rules';

/**
 * The service cannot start as configured, and the message says what to change (set DATABASE_URL,
 * create a key): `npm start` and the image print it without a stack trace and exit with code 2.
 */
export class StartupRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupRefusal';
  }
}

/**
 * A command line a command cannot run (an unknown argument, a missing or bad value): the message is
 * one line saying what to type; the command prints it and exits with code 2 before any database
 * work (runCommand), as a refused start does.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  /**
   * graphql-js copies an original error's `extensions` into the GraphQLError it wraps it in, so the
   * code reaches clients even where Apollo's formatter does not run (graphql-ws subscriptions).
   */
  get extensions(): Record<string, unknown> {
    return { ...this.details, code: this.code };
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
}

export class InvalidInputError extends DomainError {
  readonly code = 'BAD_USER_INPUT';
}

/**
 * A statement of a read-only operation ran past its time (`QUERY_STATEMENT_TIMEOUT_MS`) and was
 * cancelled: the field that needed it has no value, the fields beside it are answered.
 */
export class StatementTimeoutError extends DomainError {
  readonly code = 'STATEMENT_TIMEOUT';
  constructor(timeoutMs: number) {
    super(
      `a database statement of this query ran longer than ${timeoutMs} ms and was cancelled: ask for less ` +
        '(a narrower filter or date range, or no totalCount) or retry later',
      { timeoutMs },
    );
  }
}

/** Throws `InvalidInputError` when `condition` is false. */
export function ensure(condition: unknown, message: string, details?: Record<string, unknown>): asserts condition {
  if (!condition) throw new InvalidInputError(message, details);
}

/**
 * Runs `write`; a violation of the table's check constraint `constraint` (a rule between a stored
 * value and a given one, which only the database sees whole) is answered as BAD_USER_INPUT on `argument`.
 */
export async function answeringCheckAsInput<T>(
  write: () => Promise<T>,
  check: { constraint: string; message: string; argument: string },
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const { code, constraint } = error as { code?: unknown; constraint?: unknown };
    if (code === '23514' && constraint === check.constraint) throw new InvalidInputError(check.message, { argument: check.argument });
    throw error;
  }
}

/** Seconds a client is asked to wait (`Retry-After`) before retrying after SERVICE_UNAVAILABLE. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The instance began to stop before it finished what was asked, and the message says what became of
 * it: SERVICE_UNAVAILABLE, HTTP 503 with Retry-After, as a request rolled back at the end of the
 * drain is answered. Send it again: another instance, or this one once started again, takes it.
 */
export class ServiceStoppingError extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, { ...details, retryAfterSeconds: RETRY_AFTER_SECONDS });
  }
}

/**
 * A statement of a read-only operation waited for a database connection past its time
 * (`QUERY_STATEMENT_WAIT_TIMEOUT_MS`) and was not run: the connections the clients may use were all
 * busy. Nothing is wrong with what was asked: retry after `retryAfterSeconds`.
 */
export class StatementWaitTimeoutError extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
  constructor(waitTimeoutMs: number) {
    super(
      `no database connection came free for a statement of this query within ${waitTimeoutMs} ms (the server is busy): ` +
        'it did not run; retry later',
      { waitTimeoutMs, retryAfterSeconds: RETRY_AFTER_SECONDS },
    );
  }
}

/**
 * Values PostgreSQL cannot take, which can only come from the caller: invalid_text_representation,
 * invalid_datetime_format, datetime_field_overflow, numeric_value_out_of_range, and the characters
 * text cannot hold (character_not_in_repertoire: a NUL in a parameter; untranslatable_character:
 * `\u0000` in JSON). Inputs are checked before they reach SQL; this catches what a check missed.
 */
const INVALID_VALUE_SQLSTATES = new Set(['22P02', '22007', '22008', '22003', '22021', '22P05']);

/**
 * A database that cannot serve right now: connection exceptions (08…, but not 08P01, a malformed
 * message), shutting down or restarting (57P01–57P03), out of connections (53300), the database
 * closed to connections or gone (55000 when connecting, 3D000).
 */
const UNAVAILABLE_SQLSTATES = new Set(['08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300', '3D000']);
/** The socket to the database failed. */
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/**
 * node-postgres and knex report a lost or unobtainable connection with plain errors that carry no
 * code: these are their documented messages (pg `Client`, knex's pool), matched exactly, or after
 * the statement knex writes before the message of a statement's error (`<sql> - Connection
 * terminated unexpectedly`: a server stopped while the statement ran).
 */
const UNAVAILABLE_DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
  /^timeout expired$/,
  /^Knex: Timeout acquiring a connection/,
];

/** The driver's own message of an error knex prefixed with its statement (`<sql> - <message>`), else the message. */
function driverMessages(message: string): string[] {
  const at = message.lastIndexOf(' - ');
  return at < 0 ? [message] : [message, message.slice(at + 3)];
}

/**
 * An error's message without the statement knex writes before a driver's (`<sql> - <message>`), for
 * where the statement must not go: it is internal, and long enough to push the reason out of a
 * stored text (a full run's `error`, which read-scope keys list). Only a database error carries one
 * (a SQLSTATE or a socket's code, or a driver's message of a lost connection); another is as it is.
 */
export function driverMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const fromDatabase = errorChain(error).some(
    (link) => typeof (link as { code?: unknown }).code === 'string' || isDatabaseUnavailable(link),
  );
  return fromDatabase ? driverMessages(message).at(-1)! : message;
}

/** Characters of an error's message a log line keeps before its reason (see loggedError). */
export const LOGGED_MESSAGE_CHARS = 300;

/**
 * An unexpected error as its log line carries it: its type, its SQLSTATE (or a socket's code) when
 * one is in its chain, its GraphQL path, and its message and stack with the message cut to its first
 * LOGGED_MESSAGE_CHARS characters and the driver's reason: knex puts the whole statement in the
 * message (`<sql> - <reason>`), and a multi-kilobyte statement written into every such line (twice,
 * in the stack) buries the reason.
 */
export function loggedError(error: unknown): Record<string, unknown> {
  const message = error instanceof Error ? error.message : String(error);
  const reason = driverMessage(error);
  const cut =
    message.length <= LOGGED_MESSAGE_CHARS
      ? message
      : `${message.slice(0, LOGGED_MESSAGE_CHARS)} … ${reason.length <= LOGGED_MESSAGE_CHARS ? reason : `${reason.slice(0, LOGGED_MESSAGE_CHARS)} …`}`;
  const code = errorChain(error)
    .map((link) => (link as { code?: unknown }).code)
    .find((linkCode): linkCode is string => typeof linkCode === 'string');
  const stack = error instanceof Error ? error.stack : undefined;
  // The stack opens with the message; its frames start at the first "\n    at ".
  const frames = stack === undefined ? -1 : stack.indexOf('\n    at ');
  const path = (error as { path?: unknown } | null)?.path;
  return {
    type: error instanceof Error ? error.constructor.name : typeof error,
    message: cut,
    ...(code === undefined ? {} : { code }),
    ...(path === undefined ? {} : { path }),
    ...(frames < 0 ? {} : { stack: `${cut}${stack!.slice(frames)}` }),
  };
}

/** The error and what it wraps (GraphQL's originalError, `cause`, MikroORM's `previous`), outermost first. */
function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current && typeof current === 'object' && chain.length < 8;) {
    chain.push(current);
    const next = current as { originalError?: unknown; cause?: unknown; previous?: unknown };
    current = next.originalError ?? next.cause ?? next.previous;
  }
  return chain;
}

function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code)) return true;
    if (code === '55000' && typeof message === 'string' && message.includes('not currently accepting connections')) return true;
  }
  // PostgreSQL's own errors carry a SQLSTATE, and their messages may quote the values of the statement.
  if (code !== undefined || typeof message !== 'string') return false;
  return driverMessages(message).some((text) => UNAVAILABLE_DRIVER_MESSAGES.some((pattern) => pattern.test(text)));
}

/** Whether an error, or what it wraps (the ORM wraps the driver's), carries PostgreSQL's SQLSTATE `state`. */
export function hasSqlState(error: unknown, state: string): boolean {
  return errorChain(error).some((link) => (link as { code?: unknown }).code === state);
}

/** Whether an error (or what it wraps) says the database cannot serve now: an outage, not a fault. */
export function isDatabaseOutage(error: unknown): boolean {
  return errorChain(error).some(isDatabaseUnavailable);
}

/**
 * The code an error is answered with: a domain error's own; SERVICE_UNAVAILABLE for a database that
 * cannot serve; BAD_USER_INPUT for a value PostgreSQL refused or type-graphql's argument validation;
 * undefined when it is unexpected (masked as INTERNAL_SERVER_ERROR unless GraphQL itself coded it).
 */
export function classifyError(error: unknown): string | undefined {
  const chain = errorChain(error);
  const domainError = chain.find((link): link is DomainError => link instanceof DomainError);
  if (domainError) return domainError.code;
  for (const link of chain) {
    if (isDatabaseUnavailable(link)) return 'SERVICE_UNAVAILABLE';
    const sqlState = (link as { code?: unknown }).code;
    if (typeof sqlState === 'string' && INVALID_VALUE_SQLSTATES.has(sqlState)) return 'BAD_USER_INPUT';
    if ((link as { name?: unknown }).name === 'ArgumentValidationError') return 'BAD_USER_INPUT';
  }
  return undefined;
}

/** What a request is answered while the database cannot serve it. */
export function databaseUnavailableError(): GraphQLError {
  return new GraphQLError('the database is unavailable: retry later', {
    extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: RETRY_AFTER_SECONDS },
  });
}

/** A fresh id for a request, returned as `x-request-id` and logged with its masked errors. */
export function newRequestId(): string {
  return randomUUID();
}

/**
 * A whole HTTP answer refusing a request, written on a socket that Node's HTTP server does not
 * answer itself (a refused upgrade or connection, a request its parser refused): a GraphQL error
 * with its code, a request id and `nosniff`, as every other refusal, and the connection closed after it.
 */
export function rawHttpRefusal(status: number, code: string, message: string, headers: Record<string, string> = {}): string {
  const body = JSON.stringify({
    errors: [{ message, extensions: { code, ...('retry-after' in headers ? { retryAfterSeconds: Number(headers['retry-after']) } : {}) } }],
  });
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
    // As every answer of the request handler (http-server.ts): a JSON refusal is never sniffed as a page.
    'x-content-type-options: nosniff\r\n' +
    `${extra}content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${newRequestId()}\r\n\r\n${body}`
  );
}

/** The request id of each error met during a request (set by `errorContractPlugin`, read by the formatter). */
const requestIds = new WeakMap<object, string>();

export interface ErrorFormatterOptions {
  /** Where masked errors are logged, with their request id. */
  logger: Logger;
  /** Keep `extensions.stacktrace` (Apollo's development aid). Default: NODE_ENV=development, set explicitly. */
  exposeStackTraces?: boolean;
}

/** Apollo `formatError`: domain errors keep their code; unexpected ones are masked and logged under a request id. */
export function graphQLErrorFormatter(
  options: ErrorFormatterOptions,
): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  // Apollo itself shows stack traces whenever NODE_ENV is not production or test; here only on request.
  const exposeStackTraces = options.exposeStackTraces ?? process.env.NODE_ENV === 'development';
  return (formatted, error) => {
    const result = formatGraphQLError(formatted, error);
    if (result.extensions?.code === 'INTERNAL_SERVER_ERROR') {
      const requestId = (error && typeof error === 'object' && requestIds.get(error)) || newRequestId();
      options.logger.error({ err: loggedError(error), requestId }, 'unexpected error');
      return { ...result, extensions: { ...result.extensions, requestId } };
    }
    if (!exposeStackTraces && result.extensions && 'stacktrace' in result.extensions) {
      const { stacktrace: _stacktrace, ...extensions } = result.extensions;
      return { ...result, extensions };
    }
    return result;
  };
}

/** `error` with `code` in its extensions, unless it has one: every error a client gets names its kind. */
export function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions?.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

/**
 * A subscription result (graphql-ws `onNext`) with its errors formatted as over HTTP; undefined when
 * it has none (graphql-ws then sends the result as it is). An error of no field (no path) raised by
 * GraphQL itself (no cause, or a scalar's own refusal) is the request's: its variables did not fit
 * their types (the document was validated before, and a resolver's error has its field's path),
 * BAD_USER_INPUT as over HTTP. Anything else unexpected stays masked.
 */
export function formatSubscriptionResult(
  result: { errors?: ReadonlyArray<GraphQLError> },
  format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): { errors: GraphQLFormattedError[] } | undefined {
  if (!result.errors) return undefined;
  const ofTheRequest = (error: GraphQLError) =>
    error.path === undefined && (!error.originalError || error.originalError instanceof GraphQLError);
  const coded = result.errors.map((error) => (ofTheRequest(error) ? withCode(error, 'BAD_USER_INPUT') : error));
  return { ...result, errors: coded.map((error) => format(error.toJSON(), error)) };
}

/**
 * Longest error message answered. GraphQL's own messages quote the refused value in full (a variable
 * of a megabyte, refused, came back twice over); past this a message is cut, its start kept.
 */
export const MAX_ERROR_MESSAGE_LENGTH = 1000;

function withMessageCut(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (formatted.message.length <= MAX_ERROR_MESSAGE_LENGTH) return formatted;
  const suffix = ` … (${formatted.message.length - MAX_ERROR_MESSAGE_LENGTH} more characters)`;
  return { ...formatted, message: cutText(formatted.message, MAX_ERROR_MESSAGE_LENGTH - suffix.length) + suffix };
}

/**
 * What a document graphql-js gave up validating is answered with, over HTTP and WebSocket alike;
 * undefined for any other error. graphql-js gives up checking that fields of one name merge when a
 * document repeats one too often, with a bare "Validation aborted.": the walk before validation
 * (src/auth/repeated-fields.ts) refuses such documents first, and any it let through is told the same.
 */
export function abortedValidationRefusal(message: string): { message: string; extensions: { code: string; limit: string } } | undefined {
  if (message !== 'Validation aborted.') return undefined;
  return {
    message: 'the operation repeats fields too often to be checked (fields of one name must merge): select each field once',
    extensions: { code: 'OPERATION_LIMIT_EXCEEDED', limit: 'repeated fields' },
  };
}

/** The code, message and extensions an error is answered with. */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  return withMessageCut(formatErrorParts(formatted, error));
}

function formatErrorParts(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  const code = classifyError(original);
  const located = { locations: formatted.locations, path: formatted.path };
  const domainError = errorChain(original).find((link): link is DomainError => link instanceof DomainError);
  if (domainError) {
    return {
      ...formatted,
      message: domainError.message,
      extensions: { ...formatted.extensions, ...domainError.details, code: domainError.code },
    };
  }
  const aborted = formatted.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' ? abortedValidationRefusal(formatted.message) : undefined;
  if (aborted) return { ...formatted, message: aborted.message, extensions: { ...formatted.extensions, ...aborted.extensions } };
  if (code === 'SERVICE_UNAVAILABLE') {
    const unavailable = databaseUnavailableError();
    return { message: unavailable.message, ...located, extensions: unavailable.extensions };
  }
  if (code === 'BAD_USER_INPUT' && (original as { name?: unknown } | undefined)?.name === 'ArgumentValidationError') {
    return { ...formatted, extensions: { ...formatted.extensions, code } };
  }
  if (code === 'BAD_USER_INPUT') return { message: 'invalid value in the request', ...located, extensions: { code } };
  const given = formatted.extensions?.code;
  // Apollo's own refusals of a malformed request (a persisted query whose hash does not match, an
  // unknown persisted-query version) carry an HTTP 4xx status and no code: the client's mistake.
  const status = error instanceof GraphQLError ? (error.extensions?.http as { status?: number } | undefined)?.status : undefined;
  if ((given === undefined || given === 'INTERNAL_SERVER_ERROR') && status !== undefined && status >= 400 && status < 500) {
    return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_REQUEST' } };
  }
  if (given === 'INTERNAL_SERVER_ERROR' || given === undefined) {
    return { message: 'Internal server error', ...located, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
  return formatted;
}

/**
 * The answer to a request that failed outside GraphQL execution: 503 with Retry-After when the
 * database is unavailable, else a masked 500 whose request id is the one it is logged under.
 */
export function unexpectedHttpFailure(
  error: unknown,
  logger: Logger,
): { status: number; headers: Record<string, string>; body: { errors: unknown[] } } {
  const requestId = newRequestId();
  if (classifyError(error) === 'SERVICE_UNAVAILABLE') {
    logger.warn({ err: error, requestId }, 'request failed: database unavailable');
    const body = {
      errors: [
        {
          message: 'the database is unavailable: retry later',
          extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: RETRY_AFTER_SECONDS },
        },
      ],
    };
    return { status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS), 'x-request-id': requestId }, body };
  }
  logger.error({ err: loggedError(error), requestId }, 'request failed');
  return {
    status: 500,
    headers: { 'x-request-id': requestId },
    body: { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] },
  };
}

/** What decides a response's status: its `data` and the paths of its errors. */
interface ExecutionOutcome {
  data?: Record<string, unknown> | null;
  errors?: ReadonlyArray<{ path?: ReadonlyArray<string | number> }>;
}

/**
 * Whether a response answers nothing, so that an outage met on the way is the request's (HTTP 503):
 * no `data` (nothing ran), or, to an `application/json` client, every root field `null` with an error
 * of its own (a null root field without one is an answer, `healthScore` of a customer not scored
 * yet). A root field that answered, a mutation among them, makes it the fields' failure, answered 200
 * with the code on each: a client that follows `Retry-After` resends the whole document, and the
 * mutations that committed in it would be written twice. `application/graphql-response+json` MUST be
 * answered 2xx whenever `data` is not null (GraphQL over HTTP).
 */
export function answersNothing(outcome: ExecutionOutcome, graphqlResponseJson: boolean): boolean {
  if (outcome.data == null) return true;
  if (graphqlResponseJson) return false;
  const failed = new Set(outcome.errors?.map((error) => error.path?.[0]));
  return Object.entries(outcome.data).every(([field, value]) => value === null && failed.has(field));
}

/**
 * The HTTP side of the error contract, as an Apollo plugin: every response carries `x-request-id`
 * (the id its masked errors are logged under), and one that met a SERVICE_UNAVAILABLE error and
 * answers nothing else (answersNothing) is a 503 with `Retry-After`, so clients and proxies retry
 * instead of treating it as a GraphQL answer.
 */
export function errorContractPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      const requestId = newRequestId();
      let unavailable = false;
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            requestIds.set(error, requestId);
            if (classifyError(error) === 'SERVICE_UNAVAILABLE') unavailable = true;
          }
        },
        async willSendResponse({ request, response }) {
          response.http.headers.set('x-request-id', requestId);
          const outcome = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          if (unavailable && answersNothing(outcome, answersGraphQLResponseJson(request.http?.headers.get('accept')))) {
            response.http.status = 503;
            response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
          }
        },
      };
    },
  };
}
