// A Redis that stops answering with its connections open (a frozen process, a paused container, a
// network that drops packets) is not a Redis that goes away: nothing closes, and a command sent
// then waits for as long as it stays so. The API must go on as it does without Redis — queries and
// mutations answered, /readyz degraded — and its subscribers be told to resync once Redis answers.
// The writer instance reaches Redis through a relay that can stop passing bytes without closing
// anything; the reader instance, and its subscriber, reach Redis directly.
import net from 'node:net';
import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { failFastRedis, REDIS_ANSWER_TIMEOUT_MS } from '../../src/infra/redis-connection';
import { REDIS_URL, startTestServer, TestServer } from '../helpers/server';
import { isResync, record, RecordedSubscription } from './support';

/** A TCP relay to Redis that can hold every byte either way, its connections kept open. */
class FreezableRelay {
  private readonly server = net.createServer((socket) => this.relay(socket));
  private readonly sockets = new Set<net.Socket>();
  private frozen = false;
  private held: Array<() => void> = [];

  constructor(private readonly target: URL) {}

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `redis://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  freeze(): void {
    this.frozen = true;
  }

  /** Passes what was held, in the order it came, and everything after it. */
  thaw(): void {
    this.frozen = false;
    for (const pass of this.held.splice(0)) pass();
  }

  async stop(): Promise<void> {
    this.thaw();
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(client: net.Socket): void {
    const upstream = net.connect(Number(this.target.port || 6379), this.target.hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ]) {
      this.sockets.add(from);
      from.on('data', (chunk) => this.pass(() => to.write(chunk)));
      from.on('error', () => undefined);
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  }

  private pass(send: () => void): void {
    if (this.frozen) this.held.push(send);
    else send();
  }
}

const relay = new FreezableRelay(new URL(REDIS_URL));
let writer: TestServer;
let reader: TestServer;
let client: Client;
let key: string;

/** The customer of a tier change received, if the result is one. */
function changeOf(result: RecordedSubscription['results'][number]): string | undefined {
  return (result.data?.healthTierChanged as { customerId?: string } | undefined)?.customerId;
}

async function post(server: TestServer, query: string): Promise<{ status: number; body: { data?: unknown; errors?: unknown[] } }> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: unknown[] } };
}

beforeAll(async () => {
  const relayUrl = await relay.start();
  writer = await startTestServer({ label: 'redis_unanswered', env: { REDIS_URL: relayUrl, RESCORE_DEBOUNCE_MS: '0' } });
  // A key, so that every request spends its budget in Redis, as in production.
  const created = await writer.request<{ createApiKey: { key: string } }, never>(
    'mutation { createApiKey(input: { name: "relay", scopes: [ADMIN] }) { key } }',
  );
  key = created.data!.createApiKey.key;
  reader = await startTestServer({ database: writer.database, redis: true, env: { RESCORE_DEBOUNCE_MS: '0' } });
  client = createClient({
    url: reader.wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${key}` },
    onNonLazyError: () => undefined,
  });
});
afterAll(async () => {
  relay.thaw();
  await client.dispose();
  await reader.stop();
  await writer.stop();
  await relay.stop();
});

it('answers queries and mutations while Redis does not answer, says so in /readyz, and has subscribers resync once it answers again', async () => {
  const all = await record(client, 'subscription { healthTierChanged { customerId changedAt } }');
  relay.freeze();

  const scored = await post(
    writer,
    'mutation { upsertCustomer(input: { id: "cust_frozen", name: "Frozen" }) { id } refreshHealthScore(customerId: "cust_frozen") { asOf } }',
  );
  expect(scored.status).toBe(200);
  expect(scored.body.errors).toBeUndefined();
  const read = await post(writer, '{ customers(first: 1) { totalCount } }');
  expect(read.body).toEqual({ data: { customers: { totalCount: 1 } } });
  const readiness = await fetch(new URL('/readyz', writer.url));
  expect(readiness.status).toBe(200);
  expect(await readiness.json()).toMatchObject({ status: 'degraded', checks: { database: true, redis: false } });

  relay.thaw();
  // Nothing is lost silently: the change arrives (its publication was answered once Redis was), or
  // the subscriber is told to resync, and catching up from `since` finds it.
  const frozenOrResync = await all.waitFor((result) => isResync(result) || changeOf(result) === 'cust_frozen', 20_000);
  if (isResync(frozenOrResync)) {
    const since = frozenOrResync.errors!.find((error) => error.extensions?.code === 'RESYNC')!.extensions!.since as string;
    const missed = await post(reader, `{ tierChanges(since: "${since}") { edges { node { customerId } } } }`);
    expect(JSON.stringify(missed.body)).toContain('cust_frozen');
  }

  // Live events flow again.
  await post(
    writer,
    'mutation { upsertCustomer(input: { id: "cust_thawed", name: "Thawed" }) { id } refreshHealthScore(customerId: "cust_thawed") { asOf } }',
  );
  await all.waitFor(
    (result) => (result.data?.healthTierChanged as { customerId?: string } | undefined)?.customerId === 'cust_thawed',
    20_000,
  );
  all.close();
});

it('keeps a connection whose answer came while this process was too busy to read it', async () => {
  const client = failFastRedis(REDIS_URL);
  // A local connection stands in for the ping's answer. The ping sets off work in an I/O callback (as
  // a request's or a query result's is) that sends the answer, then computes for longer than the
  // timeout: the answer waits unread until it ends, and the loop's next turn runs its due timers first.
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const near = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const far = await new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  try {
    await new Promise<void>((resolve) => client.once('ready', () => resolve()));
    let reconnections = 0;
    client.on('reconnecting', () => (reconnections += 1));
    const ping = client.ping.bind(client);
    let pings = 0;
    client.ping = ((...args: Parameters<typeof ping>) => {
      if (pings++ > 0) return ping(...args);
      far.once('data', () => {
        far.write('+');
        const until = Date.now() + REDIS_ANSWER_TIMEOUT_MS * 1.5;
        while (Date.now() < until);
      });
      near.write('*');
      return new Promise<'PONG'>((resolve) => near.once('data', () => resolve('PONG')));
    }) as typeof client.ping;
    await new Promise((resolve) => setTimeout(resolve, REDIS_ANSWER_TIMEOUT_MS * 4));
    expect(pings).toBeGreaterThan(1);
    expect(reconnections).toBe(0);
    expect(client.status).toBe('ready');
  } finally {
    client.disconnect();
    near.destroy();
    far.destroy();
    server.close();
  }
});
