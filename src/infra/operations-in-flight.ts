// How many GraphQL operations one client (an API key; the key-less local admin is one client) may have
// in flight at once on an instance, over HTTP and WebSocket together. Each holds its parsed request,
// the data its resolvers load and its answer until that answer has gone; the statement limits bound
// what they hold of the pool, not of memory or of the event loop: a few hundred costly queries sent at
// once by one read key held gigabytes and delayed every other client's answers (and the health probe)
// by seconds. One past the cap is refused at once (429 RATE_LIMITED, retry shortly), before its body
// is read. Subscriptions are not counted: one holds a small document for its life and runs when events
// come, bounded by the WebSocket caps (per connection, connections per key).

/** How soon a client refused for its operations in flight may send again: they answer within a second or two. */
export const OPERATIONS_RETRY_AFTER_SECONDS = 1;

export class OperationsInFlight {
  private readonly held = new Map<string, number>();

  constructor(readonly perClient: number) {}

  /** Counts one more operation of `client` and returns true; returns false, counting nothing, at the cap. */
  take(client: string): boolean {
    const held = this.held.get(client) ?? 0;
    if (held >= this.perClient) return false;
    this.held.set(client, held + 1);
    return true;
  }

  /** An operation of `client` has been answered (or abandoned). */
  give(client: string): void {
    const held = (this.held.get(client) ?? 0) - 1;
    if (held > 0) this.held.set(client, held);
    else this.held.delete(client);
  }

  /** Why an operation past the cap is refused (RATE_LIMITED), and the `extensions` that say when to retry. */
  refusal(): { message: string; extensions: { retryAfterSeconds: number; maxOperationsInFlight: number } } {
    return {
      message: `this API key already has ${this.perClient} GraphQL operations in flight on this server, as many as one key may: retry when they are answered`,
      extensions: { retryAfterSeconds: OPERATIONS_RETRY_AFTER_SECONDS, maxOperationsInFlight: this.perClient },
    };
  }

  /** Operations `client` has in flight now (tests: nothing is kept once they are answered). */
  heldBy(client: string): number {
    return this.held.get(client) ?? 0;
  }
}
