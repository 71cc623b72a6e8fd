// A graphql-ws client over a real WebSocket, collecting the events of one subscription.
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface Subscription<T> {
  events: T[];
  /** Resolves when `count` events have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  close(): Promise<void>;
}

export function connect(wsUrl: string): Client {
  return createClient({ url: wsUrl, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, onNonLazyError: () => undefined });
}

export async function subscribe<T, V extends Record<string, unknown>>(
  client: Client,
  document: TypedDocumentNode<T, V>,
  variables?: V,
): Promise<Subscription<T>> {
  const events: T[] = [];
  const waiters: Array<() => void> = [];
  let failure: unknown;
  const dispose = client.subscribe<T>(
    { query: print(document), variables },
    {
      next: (result) => {
        // A resync event (live events may have been lost, src/infra/pubsub.ts) is not a failure of
        // the subscription, which stays open; test/hardening/live-resync.test.ts checks them.
        const errors = result.errors?.filter((error) => error.extensions?.code !== 'RESYNC');
        if (errors?.length) failure = errors;
        if (result.data) events.push(result.data as T);
        waiters.splice(0).forEach((wake) => wake());
      },
      error: (error) => {
        failure = error;
        waiters.splice(0).forEach((wake) => wake());
      },
      complete: () => undefined,
    },
  );
  // The server subscribes to its PubSub asynchronously: give it a moment to be listening.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return {
    events,
    async waitFor(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        if (failure) throw new Error(`subscription failed: ${JSON.stringify(failure)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} events, got ${events.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return events;
    },
    async close() {
      dispose();
    },
  };
}
