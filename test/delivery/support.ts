// Real receivers for delivery tests: an HTTP endpoint that verifies Standard Webhooks signatures
// with the `standardwebhooks` library (and can be stopped, slowed or held), and accounts whose tier
// worsens so the critical playbook decides team and customer actions.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { TestServer } from '../helpers/server';

export const SIGNING_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

export interface Received {
  id: string;
  body: any;
  headers: http.IncomingHttpHeaders;
}

/** A request as it arrived, before the receiver answered it (held, slowed or refused alike). */
export interface Arrival {
  id: string;
  /** When its body had arrived whole, ms since the epoch. */
  at: number;
  /** The body as sent (not verified). */
  body: any;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Every request, in the order they arrived, whatever the answer. */
  arrivals: Arrival[];
  /** Requests refused because their signature did not verify. */
  badSignatures: number;
  /** While set, requests wait for `release()` before being answered. */
  hold: boolean;
  release(): void;
  /** Requests held right now. */
  waiting(): number;
  /** Answers every request with this status (default 204). */
  status: number;
  /** The body of an answer that is not a 2xx (default `not now`). */
  errorBody: string;
  /** Headers of an answer that is not a 2xx (`Retry-After`, say). */
  errorHeaders: Record<string, string>;
  /** How long each answer waits once the request has arrived, ms (default 0). */
  answerDelayMs: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** An HTTP receiver; with `secret`, each body is verified and only verified ones are recorded. */
export async function startReceiver(secret?: string, port = 0): Promise<Receiver> {
  const waiting: Array<() => void> = [];
  const webhook = secret ? new Webhook(secret) : null;
  let server: http.Server;
  const receiver: Receiver = {
    url: '',
    received: [],
    arrivals: [],
    badSignatures: 0,
    hold: false,
    status: 204,
    errorBody: 'not now',
    errorHeaders: {},
    answerDelayMs: 0,
    waiting: () => waiting.length,
    release() {
      receiver.hold = false;
      waiting.splice(0).forEach((go) => go());
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    start: () => listen(),
  };
  const listen = () =>
    new Promise<void>((resolve) => {
      server = http.createServer((request, response) => {
        let body = '';
        request.on('data', (chunk) => (body += chunk));
        request.on('end', async () => {
          receiver.arrivals.push({ id: String(request.headers['webhook-id'] ?? ''), at: Date.now(), body: parseJson(body) });
          if (receiver.hold) await new Promise<void>((go) => waiting.push(go));
          if (receiver.answerDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, receiver.answerDelayMs));
          if (receiver.status < 200 || receiver.status >= 300) {
            response.writeHead(receiver.status, receiver.errorHeaders).end(receiver.errorBody);
            return;
          }
          try {
            const parsed = webhook ? webhook.verify(body, request.headers as Record<string, string>) : JSON.parse(body);
            receiver.received.push({ id: String(request.headers['webhook-id'] ?? ''), body: parsed, headers: request.headers });
            response.writeHead(receiver.status).end();
          } catch {
            receiver.badSignatures += 1;
            response.writeHead(400).end('bad signature');
          }
        });
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        receiver.url = `http://127.0.0.1:${port}/hooks`;
        resolve();
      });
    });
  await listen();
  return receiver;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs a GraphQL operation and fails on any error. */
export async function ok<T = any>(server: TestServer, query: string, variables?: Record<string, unknown>): Promise<T> {
  const result = await server.request<T, Record<string, unknown> | undefined>(query, variables);
  if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data as T;
}

const DAY = 86_400_000;

/**
 * Accounts active every day until 26 days ago and silent since (longer than a holiday), scored
 * healthy as of 30 days ago (a backfill: history only). The next scoring now finds their tier worsened.
 */
export async function seedDecliningAccounts(
  server: TestServer,
  ids: string[],
  extra: { csmOwner?: string; contactEmail?: string; arrCents?: number } = {},
): Promise<void> {
  const now = Date.now();
  const at = (days: number, hour: number) => new Date(Math.floor((now - days * DAY) / DAY) * DAY + hour * 3_600_000).toISOString();
  for (const id of ids) {
    await ok(server, `mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }`, {
      input: {
        id,
        name: `Account ${id}`,
        arrCents: extra.arrCents ?? 8_000_000,
        seats: 10,
        signedUpAt: at(200, 0),
        csmOwner: extra.csmOwner ?? 'kate',
        contactEmail: extra.contactEmail ?? `${id}@customer.example`,
      },
    });
  }
  const events = ids.flatMap((customerId) =>
    Array.from({ length: 150 }, (_, i) => i + 26).flatMap((d) => [
      { customerId, eventType: 'login', userId: `u${d % 4}`, occurredAt: at(d, 9) },
      { customerId, eventType: 'feature_used', feature: `f${d % 6}`, userId: `u${d % 3}`, occurredAt: at(d, 11) },
    ]),
  );
  for (let i = 0; i < events.length; i += 5000) {
    await ok(server, `mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }`, {
      events: events.slice(i, i + 5000),
    });
  }
  for (const id of ids)
    await ok(server, `mutation($id: ID!, $asOf: DateTime) { refreshHealthScore(customerId: $id, asOf: $asOf) { tier } }`, {
      id,
      asOf: at(30, 12),
    });
}

/** Scores the accounts now: their tier worsens and the critical (or at_risk) playbook decides. */
export async function scoreNow(server: TestServer, ids: string[]): Promise<void> {
  for (const id of ids) await ok(server, `mutation($id: ID!) { refreshHealthScore(customerId: $id) { tier } }`, { id });
}

export const DELIVERY_TEST_ENV = {
  RESCORE_DEBOUNCE_MS: '0',
  DELIVERY_RETRY_BASE_MS: '100',
  DELIVERY_RETRY_MAX_DELAY_MS: '300',
  DELIVERY_POLL_INTERVAL_MS: '50',
  DELIVERY_TIMEOUT_MS: '3000',
  // The receivers are in-process servers on loopback.
  DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true',
};
