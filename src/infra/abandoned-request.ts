// Work that only one HTTP client waits for stops when that client goes away. The HTTP server gives
// each GraphQL request an AbortSignal (on the context, `signal`) that aborts when the response closes
// before it was sent; long work (the model evaluations) checks it between its steps and stops.
import type http from 'node:http';
import { DomainError } from './errors';

/**
 * The reason an abandoned request's signal carries, and what the work it stops throws. Nobody reads
 * the answer it ends up in; a domain error, so the error formatter does not log it as unexpected.
 */
export class RequestAbandonedError extends DomainError {
  readonly code = 'CLIENT_CLOSED_REQUEST';
  constructor() {
    super('the client closed the connection before its answer: the work for it stopped');
  }
}

/**
 * A signal aborted (with a RequestAbandonedError) when `res` closes before it finished: the client
 * closed the connection, or it broke. `onAbandoned` is told once, when that happens.
 */
export function abandonmentSignal(res: http.ServerResponse, onAbandoned?: () => void): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (res.writableFinished) return;
    controller.abort(new RequestAbandonedError());
    onAbandoned?.();
  });
  return controller.signal;
}

/** The signal of work that no client can abandon this way (a WebSocket operation, a script): it never aborts. */
export const NEVER_ABANDONED: AbortSignal = new AbortController().signal;
