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

/** What a WebSocket operation's signal listens to: its socket's `close`. */
interface ClosingSocket {
  once(event: 'close', listener: () => void): unknown;
}

/**
 * The signals of the operations of WebSocket connections: one per operation (a query sent over
 * WebSocket holds an evaluation slot as one sent over HTTP does), aborted when its socket closes
 * before the operation ended, as an HTTP request's when its response closes unsent; and, as an HTTP
 * request's, when `drainEnded` aborts (the stopping server's drain ran out of time: the work still
 * running stops and answers SERVICE_UNAVAILABLE, before its socket closes).
 */
export class WebSocketOperationSignals {
  private readonly bySocket = new WeakMap<ClosingSocket, Map<string, AbortController>>();
  /** The operations of the sockets still open, for the end of the drain. */
  private readonly open = new Set<Map<string, AbortController>>();

  constructor(private readonly drainEnded?: AbortSignal) {
    drainEnded?.addEventListener(
      'abort',
      () => {
        for (const operations of this.open) for (const controller of operations.values()) controller.abort(drainEnded.reason);
      },
      { once: true },
    );
  }

  /** The signal of operation `id` of `socket`, which aborts if the socket closes before `ended`. */
  signal(socket: ClosingSocket, id: string): AbortSignal {
    let operations = this.bySocket.get(socket);
    if (!operations) {
      const open = new Map<string, AbortController>();
      this.bySocket.set(socket, open);
      this.open.add(open);
      socket.once('close', () => {
        this.open.delete(open);
        for (const controller of open.values()) controller.abort(new RequestAbandonedError());
        open.clear();
      });
      operations = open;
    }
    const controller = new AbortController();
    if (this.drainEnded?.aborted) controller.abort(this.drainEnded.reason);
    operations.set(id, controller);
    return controller.signal;
  }

  /** Operation `id` ended (answered): a later close of its socket abandons nothing of it. */
  ended(socket: ClosingSocket, id: string): void {
    this.bySocket.get(socket)?.delete(id);
  }
}
