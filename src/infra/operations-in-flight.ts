// How many GraphQL operations one client (an API key; the key-less local admin is one client) may have
// in flight at once on an instance, over HTTP and WebSocket together. Each holds its parsed request,
// the data its resolvers load and its answer until that answer has gone; the statement limits bound
// what they hold of the pool, not of memory or of the event loop: a few hundred costly queries sent at
// once by one read key held gigabytes and delayed every other client's answers (and the health probe)
// by seconds. One past the cap waits its turn, its body not yet read (a socket and its headers are all
// it holds), in order; past WAITING_PER_CLIENT waiting it is refused at once (429 RATE_LIMITED, retry
// shortly). Waiting, not refusing, at the cap: a team's dashboards sharing one read key, or a client's
// burst of parallel requests, are answered a little later instead of failing. Subscriptions are not
// counted: one holds a small document for its life and runs when events come, bounded by the
// WebSocket caps (per connection, connections per key).

/** How soon a client refused for its operations in flight may send again: they answer within a second or two. */
export const OPERATIONS_RETRY_AFTER_SECONDS = 1;

/** Operations of one client that may wait for a turn; one more is refused. */
export const WAITING_PER_CLIENT = 200;

interface ClientTurns {
  running: number;
  /** Those waiting for a turn, first come first served: each is handed the turn of an operation that ends. */
  waiting: Array<() => void>;
}

export class OperationsInFlight {
  private readonly clients = new Map<string, ClientTurns>();

  constructor(
    readonly perClient: number,
    readonly waitingPerClient = WAITING_PER_CLIENT,
  ) {}

  /**
   * A turn of `client`: true at once below the cap, true once an operation of the client hands its
   * turn over, false at once when WAITING_PER_CLIENT already wait (nothing taken). When `signal`
   * aborts while it waits (its client went away), it leaves the queue and answers false.
   */
  async take(client: string, signal?: AbortSignal): Promise<boolean> {
    const turns = this.clients.get(client) ?? { running: 0, waiting: [] };
    this.clients.set(client, turns);
    if (turns.running < this.perClient) {
      turns.running++;
      return true;
    }
    if (turns.waiting.length >= this.waitingPerClient || signal?.aborted) return false;
    // The operation that ends hands its turn over (give): the count of running ones stays as it is.
    return new Promise<boolean>((resolve) => {
      const leave = () => {
        turns.waiting.splice(turns.waiting.indexOf(turn), 1);
        resolve(false);
      };
      const turn = () => {
        signal?.removeEventListener('abort', leave);
        resolve(true);
      };
      turns.waiting.push(turn);
      signal?.addEventListener('abort', leave, { once: true });
    });
  }

  /** An operation of `client` has been answered (or abandoned): its turn goes to the next waiting, if any. */
  give(client: string): void {
    const turns = this.clients.get(client);
    if (!turns) return;
    const next = turns.waiting.shift();
    if (next) return next();
    turns.running--;
    if (turns.running <= 0) this.clients.delete(client);
  }

  /** Why an operation past the cap and the queue is refused (RATE_LIMITED), and the `extensions` that say when to retry. */
  refusal(): { message: string; extensions: { retryAfterSeconds: number; maxOperationsInFlight: number } } {
    return {
      message:
        `this API key already has ${this.perClient} GraphQL operations in flight on this server and ${this.waitingPerClient} ` +
        'more waiting for their turn, as many as one key may: retry when they are answered',
      extensions: { retryAfterSeconds: OPERATIONS_RETRY_AFTER_SECONDS, maxOperationsInFlight: this.perClient },
    };
  }

  /** Operations `client` has in flight now, waiting ones included (tests: nothing is kept once they are answered). */
  heldBy(client: string): number {
    const turns = this.clients.get(client);
    return turns ? turns.running + turns.waiting.length : 0;
  }
}
