// What the open subscriptions of one API key hold on an instance, over all its connections. A
// subscription keeps its parsed document (every syntax node, with its place in the text) and its
// execution state for its life. The caps of one socket (WS_MAX_SUBSCRIPTIONS_PER_CONNECTION, the
// 500 nodes of a document) times the sockets a key may open (WS_MAX_CONNECTIONS_PER_KEY) let one read
// key hold gigabytes and slow every other client; these caps bound the key as a whole.
import { SubscriptionLimitError } from './auth.errors';

export interface SubscriptionsPerKeyLimits {
  /** Subscriptions one key may have open at once (`WS_MAX_SUBSCRIPTIONS_PER_KEY`). */
  maxSubscriptions: number;
  /** Syntax nodes their documents may hold together (`WS_MAX_SUBSCRIPTION_NODES_PER_KEY`). */
  maxNodes: number;
}

interface Held {
  subscriptions: number;
  nodes: number;
}

/** The subscriptions each client (API key) holds open, and the syntax nodes of their documents. */
export class SubscriptionsPerKey {
  private readonly held = new Map<string, Held>();

  constructor(private readonly limits: SubscriptionsPerKeyLimits) {}

  /**
   * Takes one subscription of `nodes` syntax nodes for `client` and returns null; or, taking nothing,
   * the refusal when it would take the client past either cap.
   */
  take(client: string, nodes: number): SubscriptionLimitError | null {
    const held = this.held.get(client) ?? { subscriptions: 0, nodes: 0 };
    const { maxSubscriptions, maxNodes } = this.limits;
    if (held.subscriptions >= maxSubscriptions) {
      return new SubscriptionLimitError(
        `this API key has ${maxSubscriptions} subscriptions open on this instance, as many as it may (WS_MAX_SUBSCRIPTIONS_PER_KEY): end one first`,
        { limit: 'subscriptions per key', max: maxSubscriptions },
      );
    }
    if (held.nodes + nodes > maxNodes) {
      return new SubscriptionLimitError(
        `the documents of this API key's open subscriptions would hold more than ${maxNodes} syntax nodes on this instance ` +
          `(WS_MAX_SUBSCRIPTION_NODES_PER_KEY; they hold ${held.nodes}, this one ${nodes}): end some first, or select fewer fields`,
        { limit: 'subscription nodes per key', max: maxNodes, found: held.nodes + nodes },
      );
    }
    this.held.set(client, { subscriptions: held.subscriptions + 1, nodes: held.nodes + nodes });
    return null;
  }

  /** Gives back one subscription of `nodes` nodes that `client` took. */
  give(client: string, nodes: number): void {
    const held = this.held.get(client);
    if (!held) return;
    if (held.subscriptions <= 1) this.held.delete(client);
    else this.held.set(client, { subscriptions: held.subscriptions - 1, nodes: held.nodes - nodes });
  }

  /** What `client` holds now (tests: nothing is kept once its subscriptions end). */
  heldBy(client: string): Held {
    return this.held.get(client) ?? { subscriptions: 0, nodes: 0 };
  }
}
