// A separate process holding many graphql-ws clients (one WebSocket each) for the live fan-out
// benchmark. The parent tells it, over IPC, to connect, to (re)subscribe each client with its own
// arguments, and to report what arrived: receive times on the system-wide monotonic clock
// (process.hrtime), so they compare with the parent's send times.
import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

const SUBSCRIPTION = `subscription ($customerId: ID, $tiers: [String!], $direction: TierDirection) {
  healthTierChanged(customerId: $customerId, tiers: $tiers, direction: $direction) { id customerId fromTier toTier toScore direction changedAt }
}`;

export interface SubscriberSpec {
  customerId?: string;
  tiers?: string[];
}

export type ParentMessage =
  | { type: 'connect'; url: string; count: number }
  | { type: 'subscribe'; specs: SubscriberSpec[] }
  | { type: 'reset' }
  | { type: 'report' }
  | { type: 'progress' }
  | { type: 'close' };

export interface ClientReport {
  received: number;
  distinctCustomers: number;
  /** Events that do not match the client's own filter. */
  wrong: number;
}

export type ChildMessage =
  | { type: 'connected'; count: number; failed: number; seconds: number }
  | { type: 'subscribed'; count: number }
  | { type: 'report'; clients: ClientReport[]; receiveTimesMsByCustomer: Record<string, number[]>; lastReceiveMs: number; errors: string[] }
  | { type: 'progress'; received: number; lastReceiveMs: number }
  | { type: 'closed' };

interface Slot {
  client: Client;
  spec: SubscriberSpec;
  dispose?: () => void;
  received: number;
  customers: Set<string>;
  wrong: number;
}

const slots: Slot[] = [];
let receiveTimes: Record<string, number[]> = {};
let lastReceiveMs = 0;
const errors: string[] = [];
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function connectAll(url: string, count: number): Promise<void> {
  const started = Date.now();
  let failed = 0;
  // In waves, so the server's accept backlog is never flooded.
  for (let start = 0; start < count; start += 250) {
    await Promise.all(
      Array.from(
        { length: Math.min(250, count - start) },
        () =>
          new Promise<void>((resolve) => {
            const client = createClient({
              url,
              webSocketImpl: WebSocket,
              lazy: false,
              retryAttempts: 0,
              on: {
                connected: () => resolve(),
                error: (error) => {
                  failed++;
                  if (errors.length < 10) errors.push(String((error as Error)?.message ?? error));
                  resolve();
                },
              },
            });
            slots.push({ client, spec: {}, received: 0, customers: new Set(), wrong: 0 });
          }),
      ),
    );
  }
  send({ type: 'connected', count: slots.length - failed, failed, seconds: (Date.now() - started) / 1000 });
}

function subscribeAll(specs: SubscriberSpec[]): void {
  slots.forEach((slot, index) => {
    slot.dispose?.();
    slot.spec = specs[index % specs.length];
    slot.dispose = slot.client.subscribe<{ healthTierChanged: { customerId: string; toTier: string } }>(
      { query: SUBSCRIPTION, variables: { ...slot.spec } },
      {
        next: (result) => {
          const at = nowMs();
          const change = result.data?.healthTierChanged;
          if (!change) {
            if (errors.length < 10) errors.push(JSON.stringify(result.errors));
            return;
          }
          slot.received++;
          slot.customers.add(change.customerId);
          if (
            (slot.spec.customerId && slot.spec.customerId !== change.customerId) ||
            (slot.spec.tiers && !slot.spec.tiers.includes(change.toTier))
          )
            slot.wrong++;
          (receiveTimes[change.customerId] ??= []).push(at);
          lastReceiveMs = Math.max(lastReceiveMs, at);
        },
        error: (error) => {
          if (errors.length < 10) errors.push(String((error as Error)?.message ?? JSON.stringify(error)));
        },
        complete: () => undefined,
      },
    );
  });
  send({ type: 'subscribed', count: slots.length });
}

process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'connect':
      void connectAll(message.url, message.count);
      break;
    case 'subscribe':
      subscribeAll(message.specs);
      break;
    case 'reset':
      receiveTimes = {};
      lastReceiveMs = 0;
      for (const slot of slots) {
        slot.received = 0;
        slot.customers.clear();
        slot.wrong = 0;
      }
      break;
    case 'report':
      send({
        type: 'report',
        clients: slots.map((s) => ({ received: s.received, distinctCustomers: s.customers.size, wrong: s.wrong })),
        receiveTimesMsByCustomer: receiveTimes,
        lastReceiveMs,
        errors: errors.splice(0),
      });
      break;
    case 'progress':
      send({ type: 'progress', received: slots.reduce((total, s) => total + s.received, 0), lastReceiveMs });
      break;
    case 'close':
      void Promise.all(slots.map((s) => s.client.dispose())).then(() => {
        send({ type: 'closed' });
        process.exit(0);
      });
      break;
  }
});
