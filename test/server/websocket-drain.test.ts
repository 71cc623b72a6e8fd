// A stopping server keeps a WebSocket open while a query or mutation sent on it still runs: the
// operation answers (its result, or SERVICE_UNAVAILABLE once the drain ends its session and rolls its
// write back), then the socket closes 1001. A socket with only subscriptions closes at once; the
// subscriptions of a socket kept open are completed at once, and it takes no new operation.
import { Client as PgClient } from 'pg';
import { Client, createClient, FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { DRAIN_GRACE_MS } from '../../src/infra/shutdown-drain';
import { startTestServer, TestServer } from '../helpers/server';

/** What one graphql-ws client saw: its operations' messages in order, and how its socket closed. */
interface WatchedClient {
  client: Client;
  seen: string[];
  closed: Promise<{ code: number; reason: string; at: number }>;
  /** Sends `query` under the client's next id; its results, in order, once it completes or fails. */
  run(label: string, query: string): Promise<FormattedExecutionResult<Record<string, unknown>, unknown>[]>;
}

function watchedClient(wsUrl: string): WatchedClient {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, onNonLazyError: () => undefined });
  const seen: string[] = [];
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    client.on('closed', (event) => {
      const { code, reason } = event as { code: number; reason: string };
      resolve({ code, reason, at: Date.now() });
    }),
  );
  const run = (label: string, query: string) =>
    new Promise<FormattedExecutionResult<Record<string, unknown>, unknown>[]>((resolve, reject) => {
      const results: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
      client.subscribe(
        { query },
        {
          next: (result) => {
            seen.push(`${label} next`);
            results.push(result);
          },
          error: (error) => {
            seen.push(`${label} error`);
            // A socket closed before the operation ended: its close, not the whole event.
            const { code, reason } = error as { code?: number; reason?: string };
            reject(code === undefined ? error : new Error(`socket closed ${code} ${reason}`));
          },
          complete: () => {
            seen.push(`${label} complete`);
            resolve(results);
          },
        },
      );
    });
  return { client, seen, closed, run };
}

/** A transaction holding customer `id`'s row locked until `release` (a rollback). */
async function lockCustomer(server: TestServer, id: string): Promise<{ holder: PgClient; release(): Promise<void> }> {
  const holder = new PgClient({ connectionString: server.database.url });
  holder.on('error', () => undefined);
  await holder.connect();
  await holder.query('begin');
  await holder.query('select id from customer where id = $1 for update', [id]);
  return {
    holder,
    async release() {
      await holder.query('rollback');
      await holder.end();
    },
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 50) {
    if (waited > 30_000) throw new Error(`not within 30 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once a statement other than the holder's waits for a lock. */
function someoneWaitsForALock(holder: PgClient): Promise<void> {
  return until(async () => {
    const { rows } = await holder.query(
      `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
    );
    return rows.length > 0;
  }, 'the mutation waits for the lock');
}

const renameMutation = (id: string, name: string) => `mutation { upsertCustomer(input: { id: "${id}", name: "${name}" }) { id name } }`;

async function nameOf(server: TestServer, id: string): Promise<string> {
  const holder = new PgClient({ connectionString: server.database.url });
  await holder.connect();
  try {
    const { rows } = await holder.query<{ name: string }>('select name from customer where id = $1', [id]);
    return rows[0].name;
  } finally {
    await holder.end();
  }
}

describe('a mutation still running when the server stops, and done within the drain', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ label: 'ws_drain_done' });
    await server.gql(renameMutation('c1', 'Before'));
  }, 60_000);
  afterAll(() => server?.database.drop());

  it('is answered, then completed, and only then is its socket closed 1001; sockets with only subscriptions close at once', async () => {
    const writer = watchedClient(server.wsUrl);
    const listener = watchedClient(server.wsUrl);
    const lock = await lockCustomer(server, 'c1');
    const listening = listener.run('subscription', 'subscription { healthTierChanged { id } }');
    const writerListening = writer.run('subscription', 'subscription { healthScoreUpdated { score } }');
    const mutation = writer.run('mutation', renameMutation('c1', 'X'));
    await someoneWaitsForALock(lock.holder);

    const stopStarted = Date.now();
    const stopped = server.app.stop();
    // The socket with only a subscription goes at once, its subscription ended with it: while the
    // mutation beside it still waits for the lock this test holds, not with the drain's end.
    const listenerClosed = await listener.closed;
    expect(listenerClosed).toEqual({ code: 1001, reason: 'Going away', at: expect.any(Number) });
    expect(writer.seen.filter((seen) => seen.startsWith('mutation'))).toEqual([]);
    await listening.catch(() => undefined);
    // The writer's subscription is completed at once, its socket kept open for the mutation.
    await writerListening;
    expect(writer.seen).toEqual(['subscription complete']);
    // A new operation on it is refused: the server is stopping.
    await expect(writer.run('late query', '{ customers(first: 1) { totalCount } }')).rejects.toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) }),
    ]);

    await new Promise((resolve) => setTimeout(resolve, 1000));
    await lock.release();
    expect(await mutation).toEqual([{ data: { upsertCustomer: { id: 'c1', name: 'X' } } }]);
    const closed = await writer.closed;
    expect(closed).toEqual({ code: 1001, reason: 'Going away', at: expect.any(Number) });
    expect(closed.at - stopStarted).toBeLessThan(DRAIN_GRACE_MS);
    expect(writer.seen).toEqual(['subscription complete', 'late query error', 'mutation next', 'mutation complete']);
    await stopped;
    await writer.client.dispose();
    await listener.client.dispose();
  }, 60_000);
});

describe('a mutation still running when the drain runs out', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ label: 'ws_drain_late' });
    await server.gql(renameMutation('c1', 'Before'));
  }, 60_000);
  afterAll(() => server?.database.drop());

  it('is rolled back and answered SERVICE_UNAVAILABLE before its socket closes 1001', async () => {
    const writer = watchedClient(server.wsUrl);
    const lock = await lockCustomer(server, 'c1');
    const mutation = writer.run('mutation', renameMutation('c1', 'X'));
    await someoneWaitsForALock(lock.holder);

    const stopStarted = Date.now();
    const stopped = server.app.stop();
    const [result] = await mutation;
    expect(result).toEqual({
      data: { upsertCustomer: null },
      errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) })],
    });
    const closed = await writer.closed;
    expect(closed).toEqual({ code: 1001, reason: 'Going away', at: expect.any(Number) });
    // Closed once the answer was sent, soon after the drain's time, not left to a later timeout (the
    // few seconds' allowance is for a loaded machine).
    expect(closed.at - stopStarted).toBeLessThan(DRAIN_GRACE_MS + 5_000);
    expect(writer.seen).toEqual(['mutation next', 'mutation complete']);
    await lock.release();
    await stopped;
    // Its write rolled back: nothing was written that its client was not told of.
    expect(await nameOf(server, 'c1')).toBe('Before');
    await writer.client.dispose();
  }, 60_000);
});
