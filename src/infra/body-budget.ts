// What the GraphQL request bodies of one client (API key) may hold in memory at once on an instance.
// A body is read whole before it is parsed, and its bytes, its text and the values parsed from it stay
// in memory until the request is answered: MAX_BODY_BYTES bounds one body, not how many one key sends
// at once, and a few dozen of the largest sent together by one read key would hold gigabytes and
// delay every other client's answers. A body that would take a client past its budget is refused
// (429 RATE_LIMITED, retry later) as soon as that is known: from its Content-Length before anything
// is read, or at the chunk that crosses it. A GraphQL operation sent over WebSocket (a query or a
// mutation in a `subscribe` message, up to WS_MAX_MESSAGE_BYTES) is held the same way until its
// answer goes, and takes from the same budget (src/auth/websocket-guard.ts).

/**
 * Bodies of the largest size (MAX_BODY_BYTES) one key may have in flight at once: a client sending
 * its batches two at a time is never refused, and a key holds at most this many times one body's memory.
 */
export const BODIES_IN_FLIGHT_PER_KEY = 2;

/** How soon a client whose bodies are over its BodyBudget may send again: its bodies in flight take a second or two to answer. */
export const BODY_BUDGET_RETRY_AFTER_SECONDS = 1;

/** Bytes of request bodies each client may hold at once, counted from when they arrive until their request is answered. */
export class BodyBudget {
  private readonly held = new Map<string, number>();

  constructor(readonly bytesPerClient: number) {}

  /** Takes `bytes` of `client`'s budget and returns true; returns false, taking nothing, when they do not fit. */
  take(client: string, bytes: number): boolean {
    const held = this.held.get(client) ?? 0;
    if (held + bytes > this.bytesPerClient) return false;
    this.held.set(client, held + bytes);
    return true;
  }

  /** Gives back `bytes` that `client` took. */
  give(client: string, bytes: number): void {
    const held = (this.held.get(client) ?? 0) - bytes;
    if (held > 0) this.held.set(client, held);
    else this.held.delete(client);
  }

  /** Why a body that did not fit is refused (RATE_LIMITED), and the `extensions` that say when to retry. */
  refusal(): { message: string; extensions: { retryAfterSeconds: number; maxBytesInFlight: number } } {
    return {
      message: `with this one, the bodies of this API key's requests being read or run would exceed the ${this.bytesPerClient} bytes one key may hold at once: retry when they are answered`,
      extensions: { retryAfterSeconds: BODY_BUDGET_RETRY_AFTER_SECONDS, maxBytesInFlight: this.bytesPerClient },
    };
  }

  /** Bytes `client` holds now (tests: nothing is kept once its requests are answered). */
  heldBy(client: string): number {
    return this.held.get(client) ?? 0;
  }
}
