// Typed domain errors, mapped once to GraphQL `extensions.code` in the error formatter.
// Services throw these; nothing matches on message strings.
import { GraphQLError, GraphQLFormattedError } from 'graphql';

export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
}

export class InvalidInputError extends DomainError {
  readonly code = 'BAD_USER_INPUT';
}

/** Throws `InvalidInputError` when `condition` is false. */
export function ensure(condition: unknown, message: string, details?: Record<string, unknown>): asserts condition {
  if (!condition) throw new InvalidInputError(message, details);
}

/** invalid_text_representation, invalid_datetime_format, datetime_field_overflow, numeric_value_out_of_range. */
const INVALID_VALUE_SQLSTATES = new Set(['22P02', '22007', '22008', '22003']);

/** Apollo `formatError`: domain errors keep their code; unexpected ones are masked. */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof DomainError) {
    return {
      ...formatted,
      message: original.message,
      extensions: { ...formatted.extensions, ...original.details, code: original.code },
    };
  }
  // A value PostgreSQL cannot cast (a forged cursor, an out-of-range number) is the caller's input.
  const sqlState = (original as { code?: unknown } | undefined)?.code;
  if (typeof sqlState === 'string' && INVALID_VALUE_SQLSTATES.has(sqlState)) {
    return { ...formatted, message: 'invalid value in the request', extensions: { code: 'BAD_USER_INPUT' } };
  }
  // type-graphql's argument validation errors
  if (original && (original as { name?: string }).name === 'ArgumentValidationError') {
    return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_USER_INPUT' } };
  }
  const code = formatted.extensions?.code;
  if (code === 'INTERNAL_SERVER_ERROR' || code === undefined) {
    return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
  return formatted;
}
