// Refusals of the access layer: domain errors (errors.ts maps them to their code, and their
// `extensions` carry it through graphql-ws, where Apollo's formatter does not run).
import { GraphQLError } from 'graphql';
import { DomainError } from '../infra/errors';

abstract class AccessError extends DomainError {
  /** As a GraphQLError, for the places that hand errors to a transport directly (graphql-ws hooks). */
  toGraphQLError(): GraphQLError {
    return new GraphQLError(this.message, { originalError: this, extensions: this.extensions });
  }
}

/** The key lacks the scope an operation needs; nothing was run. */
export class ForbiddenError extends AccessError {
  readonly code = 'FORBIDDEN';
}

/** The key was revoked while its operation ran: what the operation asks after that is refused. */
export class RevokedKeyError extends AccessError {
  readonly code = 'UNAUTHENTICATED';
}

/** The operation is deeper, wider, longer or costlier than the configured limits; nothing was run. */
export class OperationLimitError extends AccessError {
  readonly code = 'OPERATION_LIMIT_EXCEEDED';
}

/**
 * The document is refused before it is parsed, as GraphQL's validation would refuse it after: parsing
 * it would exhaust the stack (a value nested thousands of levels deep).
 */
export class DocumentValidationError extends AccessError {
  readonly code = 'GRAPHQL_VALIDATION_FAILED';
}

/** The key has used its request budget; `retryAfterSeconds` says when it may try again. */
export class RateLimitedError extends AccessError {
  readonly code = 'RATE_LIMITED';
}

/** The WebSocket connection has as many operations open as it may. */
export class SubscriptionLimitError extends AccessError {
  readonly code = 'SUBSCRIPTION_LIMIT_EXCEEDED';
}
