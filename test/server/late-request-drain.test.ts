// A request whose work runs off the database (suggestScoringModel's fit, in its worker thread) and is
// still running when the stopping server's drain runs out of time: the drain has no session of its to
// end, yet it is answered 503 SERVICE_UNAVAILABLE with Retry-After, saying the server is stopping,
// before the sockets go, rather than having its connection cut without an answer. A backtest whose
// statement the drain ends says the same, not that the database is unavailable. So does one sent over
// WebSocket, waiting for its turn to run, before its socket closes.
import { createClient } from 'graphql-ws';
import { Client } from 'pg';
import pino from 'pino';
import WebSocket from 'ws';
import { DRAIN_GRACE_MS } from '../../src/infra/shutdown-drain';
import { EvaluationSlots } from '../../src/scoring/backtest/evaluation-slots';
import { fitSignalWeightsOffThread } from '../../src/scoring/backtest/fit-off-thread';
import { startTestServer, TestServer } from '../helpers/server';
import { TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';

// A fit longer than the drain: it ends only as a real one does when its signal aborts (its worker terminated).
jest.mock('../../src/scoring/backtest/fit-off-thread', () => ({
  fitSignalWeightsOffThread: jest.fn(
    (_training: unknown, _options: unknown, signal: AbortSignal) =>
      new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
  ),
}));

const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const daysAgo = (days: number, hour = 12) => new Date(today - days * DAY + hour * 3_600_000).toISOString();

const logged: Array<{ level: number; msg: string }> = [];
const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) });

let server: TestServer;

beforeAll(async () => {
  // No statement timeout: the backtest's statement is to wait for its lock until the drain ends it.
  server = await startTestServer({ label: 'late_request_drain', logger, env: { QUERY_STATEMENT_TIMEOUT_MS: '0' } });
  // Daily use; every third account fades and cancels 60 days ago: churners to fit to, and accounts that stay.
  for (let i = 0; i < 9; i++) {
    const id = `cust_late_${i}`;
    const churns = i % 3 === 0;
    await server.gql(UpsertCustomerDocument, {
      input: {
        id,
        name: id,
        signedUpAt: daysAgo(210),
        arrCents: 1_000_000,
        ...(churns ? { churnedAt: daysAgo(60), churnReason: 'faded' } : {}),
      },
    });
    const events = [];
    for (let d = 200; d > (churns ? 60 : 0); d--) {
      if (churns && d <= 120 && d % 3 !== 0) continue;
      events.push({ customerId: id, eventType: 'feature_used', feature: `f${d % 4}`, userId: `${id}_u`, occurredAt: daysAgo(d, 9) });
    }
    expect((await server.gql(TrackEngagementBatchDocument, { events: events as never })).trackEngagementBatch.errors).toEqual([]);
  }
}, 120_000);

afterAll(async () => {
  await server?.app.stop();
  await server?.database.drop();
});

/** Posts `query`; its answer, with when it came. */
function post(query: string) {
  return fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  }).then(async (response) => ({
    at: Date.now(),
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.json(),
  }));
}

/** A lone root field answered 503 because the server stopped. */
const stoppedAnswer = (field: string) => ({
  status: 503,
  retryAfter: '5',
  body: {
    data: { [field]: null },
    errors: [
      expect.objectContaining({
        message: expect.stringMatching(/^the server is stopping: /),
        extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5 }),
      }),
    ],
  },
});

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 50) {
    if (waited > 30_000) throw new Error(`not within 30 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('answers a suggestScoringModel still fitting, and a backtest still in a statement, when the drain runs out: 503 SERVICE_UNAVAILABLE (the server is stopping), before the sockets go', async () => {
  const grid = `{ from: "${daysAgo(180, 0)}", to: "${daysAgo(1, 0)}", stepDays: 7 }`;
  const suggestion = post(`query { suggestScoringModel(input: ${grid}) { samples positives warnings } }`);
  await until(() => jest.mocked(fitSignalWeightsOffThread).mock.calls.length > 0, 'the fit started');
  // A backtest held in a statement: its reads wait for a lock on the customers until the drain ends its session.
  const holder = new Client({ connectionString: server.database.url });
  holder.on('error', () => undefined);
  await holder.connect();
  await holder.query('begin');
  await holder.query('lock table customer in access exclusive mode');
  const backtest = post(`query { backtest(input: ${grid}) { customers } }`);
  await until(async () => {
    const { rows } = await holder.query(
      `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
    );
    return rows.length > 0;
  }, 'the backtest waits for the lock');
  // One sent over WebSocket, waiting for an evaluation slot (the two above hold them): work off the database too.
  const evaluationsAsked = jest.spyOn(EvaluationSlots.prototype, 'run');
  const webSocket = createClient({
    url: server.wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined,
  });
  const socketClosed = new Promise<number>((resolve) => webSocket.on('closed', (event) => resolve((event as { code: number }).code)));
  const overWebSocket = new Promise<unknown[]>((resolve, reject) => {
    const results: unknown[] = [];
    webSocket.subscribe(
      { query: `query { suggestScoringModel(input: ${grid}) { samples } }` },
      { next: (result) => results.push(result), error: reject, complete: () => resolve(results) },
    );
  });
  await until(() => evaluationsAsked.mock.calls.length > 0, 'the operation sent over WebSocket waits for an evaluation slot');
  evaluationsAsked.mockRestore();
  const stopStarted = Date.now();
  const stopped = server.app.stop();

  for (const [field, answer] of [
    ['suggestScoringModel', suggestion],
    ['backtest', backtest],
  ] as const) {
    const { at, ...answered } = await answer;
    expect(answered).toEqual(stoppedAnswer(field));
    expect(at - stopStarted).toBeLessThan(DRAIN_GRACE_MS);
  }
  expect(await overWebSocket).toEqual([
    {
      data: { suggestScoringModel: null },
      errors: [stoppedAnswer('suggestScoringModel').body.errors[0]],
    },
  ]);
  expect(await socketClosed).toBe(1001);
  await webSocket.dispose();
  await holder.query('rollback');
  await holder.end();
  await stopped;
  expect(logged.map((line) => line.msg)).toContain('a request still running at the end of the drain: stopped, answered 503');
}, 120_000);
