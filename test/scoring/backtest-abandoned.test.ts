// A model evaluation whose HTTP client goes away before its answer stops: the waiting ones leave the
// queue, the running ones stop between batches of statements, and their slots go to the next request.
// A client that stays gets its whole answer, whoever else gives up beside it.
import http from 'node:http';
import { Client } from 'pg';
import pino from 'pino';
import { startTestServer, TestServer } from '../helpers/server';
import { connect } from '../helpers/subscriptions';
import { TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';

const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const daysAgo = (days: number, hour = 12) => new Date(today - days * DAY + hour * 3_600_000).toISOString();

/** Every line the server logs, at debug and above. */
const logged: Array<{ level: number; msg: string }> = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line)) });

let server: TestServer;
/** Our own connection to the test database, to watch the server's statements. */
let watcher: Client;

/** Daily use by three users from 200 days ago; every third account fades from 120 days ago and cancels 60 days ago. */
function history(id: string, index: number) {
  const churns = index % 3 === 0;
  const events = [];
  for (let d = 200; d > (churns ? 60 : 0); d--) {
    const declining = churns && d <= 120;
    if (declining && d % 3 !== 0) continue;
    for (let u = 0; u < (declining ? 1 : 3); u++) {
      events.push({
        customerId: id,
        eventType: 'feature_used',
        feature: `f${(d + u) % 4}`,
        userId: `${id}_u${u}`,
        occurredAt: daysAgo(d, 9 + u),
      });
    }
  }
  return { churnedAt: churns ? daysAgo(60) : null, events };
}

const ACCOUNTS = 30;
/** A year of daily instants: seconds of statements per evaluation on this population. */
const YEAR = { from: daysAgo(365, 0), to: daysAgo(1, 0), stepDays: 1, horizonDays: 30 };
const BACKTEST =
  'query ($input: BacktestInput!) { backtest(input: $input) { customers churners snapshots instants auc { auc positives negatives } } }';

beforeAll(async () => {
  server = await startTestServer({ label: 'backtest_abandoned', logger });
  let events: Array<Record<string, unknown>> = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const id = `cust_ab_${i}`;
    const { churnedAt, events: own } = history(id, i);
    await server.gql(UpsertCustomerDocument, {
      input: { id, name: id, signedUpAt: daysAgo(210), arrCents: 1_000_000, ...(churnedAt ? { churnedAt, churnReason: 'faded' } : {}) },
    });
    events.push(...own);
    if (events.length > 5000 || i === ACCOUNTS - 1) {
      expect((await server.gql(TrackEngagementBatchDocument, { events: events as never })).trackEngagementBatch.errors).toEqual([]);
      events = [];
    }
  }
  await server.request('{ scoringModel { version } }');
  watcher = new Client({ connectionString: server.database.url });
  await watcher.connect();
}, 120_000);
afterAll(async () => {
  await watcher?.end();
  await server?.stop();
});

/** Statements of the server running now on the test database (only those gathering snapshots' metrics with `gathering`). */
async function runningStatements(gathering = false): Promise<number> {
  const { rows } = await watcher.query<{ running: number }>(
    `select count(*)::int as running from pg_stat_activity
     where datname = current_database() and state = 'active' and pid <> pg_backend_pid()
       and (not $1 or query like 'with p as (select%')`,
    [gathering],
  );
  return rows[0].running;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (polling) until `condition` holds, or fails after `withinMs`. */
async function eventually(condition: () => Promise<boolean>, withinMs: number, what: string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await sleep(50);
  }
}

/** No statement of the server for a whole second: the work has stopped, not paused between two batches. */
async function quietForASecond(): Promise<boolean> {
  for (let poll = 0; poll < 10; poll++) {
    if ((await runningStatements()) > 0) return false;
    await sleep(100);
  }
  return true;
}

/** Posts an operation with a bare node:http request, which the test destroys before its answer comes. */
function postToAbandon(query: string, variables: unknown): http.ClientRequest {
  const request = http.request(server.url, { method: 'POST', headers: { 'content-type': 'application/json' } });
  // Destroying it is the point: its error (socket hang up) is expected.
  request.on('error', () => undefined);
  request.on('response', () => {
    throw new Error('the abandoned request was answered before the test gave up on it');
  });
  request.end(JSON.stringify({ query, variables }));
  return request;
}

/** Ten evaluations (five backtests, five suggestions) of a year of daily instants in one request: both slots and all eight queued places. */
const TEN_EVALUATIONS = `query ($backtest: BacktestInput!, $suggest: SuggestScoringModelInput!) {
  ${Array.from({ length: 5 }, (_, i) => `b${i}: backtest(input: $backtest) { customers } s${i}: suggestScoringModel(input: $suggest) { samples }`).join('\n  ')}
}`;

it('stops the evaluations of a client that went away, and gives their slots and queue places to the next request', async () => {
  const reference = await server.request<{ backtest: unknown }, unknown>(BACKTEST, { input: YEAR });
  expect(reference.errors).toBeUndefined();
  await eventually(async () => (await runningStatements()) === 0, 10_000, 'the reference backtest is over');
  const warningsBefore = logged.filter((line) => line.level >= 40).length;

  const abandoned = postToAbandon(TEN_EVALUATIONS, { backtest: YEAR, suggest: YEAR });
  await eventually(async () => (await runningStatements(true)) > 0, 30_000, 'the evaluations are gathering');
  // Queue full: two run, eight wait.
  const refused = await server.request(BACKTEST, { input: YEAR });
  expect(refused.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
  abandoned.destroy();

  // Ten evaluations of a year each are tens of seconds of statements here; they stop within a batch or two.
  await eventually(quietForASecond, 15_000, 'no statement of the abandoned evaluations is left running');
  // Both slots are free at once: a backtest is admitted and runs to its whole answer.
  const next = await server.request<{ backtest: unknown }, unknown>(BACKTEST, { input: YEAR });
  expect(next.errors).toBeUndefined();
  expect(next.data).toEqual(reference.data);
  expect(logged.some((line) => line.msg === 'GraphQL request abandoned by its client')).toBe(true);
  // Nothing logged as a warning or an error: an abandoned request is no failure of the server.
  expect(logged.filter((line) => line.level >= 40).slice(warningsBefore)).toEqual([]);
}, 120_000);

it('answers a client that stays in full while another one beside it goes away', async () => {
  const reference = await server.request<{ backtest: unknown }, unknown>(BACKTEST, { input: YEAR });
  const abandoned = postToAbandon(
    `query ($input: BacktestInput!) { ${Array.from({ length: 4 }, (_, i) => `b${i}: backtest(input: $input) { customers }`).join(' ')} }`,
    { input: YEAR },
  );
  await eventually(async () => (await runningStatements(true)) > 0, 30_000, 'the abandoned backtests are gathering');
  const staying = server.request<{ backtest: unknown }, unknown>(BACKTEST, { input: YEAR });
  await sleep(200);
  abandoned.destroy();
  const answer = await staying;
  expect(answer.errors).toBeUndefined();
  expect(answer.data).toEqual(reference.data);
}, 120_000);

it('stops the evaluations sent over a WebSocket that closes before their answer, and frees their slots', async () => {
  const reference = await server.request<{ backtest: unknown }, unknown>(BACKTEST, { input: YEAR });
  await eventually(async () => (await runningStatements()) === 0, 10_000, 'the reference backtest is over');
  const client = connect(server.wsUrl);
  // Backtests only: their statements run without a pause until they stop (a fit pauses in its thread).
  const tenBacktests = `query ($input: BacktestInput!) { ${Array.from({ length: 10 }, (_, i) => `b${i}: backtest(input: $input) { customers }`).join(' ')} }`;
  client.subscribe(
    { query: tenBacktests, variables: { input: YEAR } },
    { next: () => undefined, error: () => undefined, complete: () => undefined },
  );
  await eventually(async () => (await runningStatements(true)) > 0, 30_000, 'the evaluations are gathering');
  const refused = await server.request(BACKTEST, { input: YEAR });
  expect(refused.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
  await client.dispose();

  await eventually(quietForASecond, 15_000, 'no statement of the abandoned evaluations is left running');
  const next = await server.request<{ backtest: unknown }, unknown>(BACKTEST, { input: YEAR });
  expect(next.errors).toBeUndefined();
  expect(next.data).toEqual(reference.data);
}, 120_000);
