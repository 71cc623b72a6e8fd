// The turns of the clients' statements on the database pool: a client runs at most STATEMENTS_PER_KEY
// at once; busy clients (more than one statement running or waiting) share that many connections
// between them however many burst at once, the rest of the pool kept for lone statements; a free turn
// goes to the waiting client running the fewest; a query's statement waits a bounded time from when it
// is asked, past which it is refused unrun.
import { OperationTypeNode } from 'graphql';
import { StatementWaitTimeoutError } from '../../src/infra/errors';
import type { StatementPolicy } from '../../src/infra/sql';
import { StatementLimitOptions, StatementLimits } from '../../src/infra/statement-limits';

/** Turns are handed out once per turn of the event loop, after what was asked or ended in it: two turns on, they are. */
const settle = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Statements that start in turn and end when the test says: which have started, and a way to end one. */
function statements(options: Partial<StatementLimitOptions>) {
  const limits = new StatementLimits({ perRequest: 4, perClient: 3, poolSize: 6, queryTimeoutMs: 0, queryWaitTimeoutMs: 0, ...options });
  const started: string[] = [];
  const running = new Map<string, () => void>();
  const statement = (name: string) => () =>
    new Promise<void>((resolve) => {
      started.push(name);
      running.set(name, resolve);
    });
  /** A statement of `client` straight into its client's turns, never refused for waiting. */
  const ask = (client: string, name: string) => limits.inClientTurn(client, statement(name));
  const askMany = (client: string, count: number) => Array.from({ length: count }, (_, i) => ask(client, `${client}${i + 1}`));
  /** A statement of a request: its request's turn, then its client's, as sql.ts runs one. */
  const askIn = (request: StatementPolicy, name: string) => request.run(statement(name));
  const end = async (name: string) => {
    running.get(name)!();
    running.delete(name);
    await settle();
  };
  const endAll = async () => {
    while (running.size > 0) for (const name of [...running.keys()]) await end(name);
  };
  return { limits, started, running, ask, askMany, askIn, end, endAll };
}

/** What a statement that should be refused threw. */
const refusal = (statement: Promise<unknown>) =>
  statement.then(
    () => undefined,
    (failure: unknown) => failure,
  );

it('keeps the connections past STATEMENTS_PER_KEY free for lone statements, however many clients burst at once', async () => {
  const { limits, started, running, ask, askMany, end, endAll } = statements({ perClient: 3, poolSize: 6 });
  // Four clients burst at once: more than the three connections kept for lone statements.
  const busy = ['a', 'b', 'c', 'd'].flatMap((client) => askMany(client, 10));
  await settle();
  const busyRunning = () => [...running.keys()].filter((name) => /^[abcd]/.test(name)).length;
  // Busy from their first statement (none started alone), they hold three between them.
  expect(started).toEqual(['a1', 'b1', 'c1']);
  // Three one-row lookups of other clients start at once on the connections left.
  const lookups = [ask('x', 'x1'), ask('y', 'y1'), ask('z', 'z1')];
  await settle();
  expect(started.slice(3)).toEqual(['x1', 'y1', 'z1']);
  // The pool is full: the next lookup waits, and takes the first connection that comes free.
  lookups.push(ask('w', 'w1'));
  await settle();
  expect(started).toHaveLength(6);
  await end('x1');
  expect(started.at(-1)).toBe('w1');
  // As the busy clients' statements end, others of theirs take the turns: three at once, never more.
  for (const name of ['a1', 'b1', 'c1']) {
    await end(name);
    expect(busyRunning()).toBe(3);
  }
  // A lookup still finds the connection a lookup gave back, while the busy clients wait for theirs.
  await end('y1');
  lookups.push(ask('v', 'v1'));
  await settle();
  expect(started.at(-1)).toBe('v1');
  expect(busyRunning()).toBe(3);
  await endAll();
  await Promise.all([...busy, ...lookups]);
  expect(limits.activeClients).toBe(0);
});

it('counts a statement that started alone with the busy ones once its client asks for more: busy clients start nothing more meanwhile', async () => {
  const { limits, started, running, ask, askMany, end, endAll } = statements({ perClient: 3, poolSize: 6 });
  const alone = ask('a', 'a1');
  await settle();
  const burst = askMany('b', 10);
  await settle();
  expect(started).toEqual(['a1', 'b1', 'b2', 'b3']);
  // a1 cannot be taken back: the busy clients hold four until one ends, and the next of a waits.
  const more = ask('a', 'a2');
  await settle();
  expect(started).toHaveLength(4);
  // Two connections are left to lone statements.
  const lookups = [ask('x', 'x1'), ask('y', 'y1')];
  await settle();
  expect(started.slice(4)).toEqual(['x1', 'y1']);
  // One busy statement ending leaves three busy: nothing busy starts until they are fewer.
  await end('b1');
  expect(started).toHaveLength(6);
  // a1 ends: a2, now its client's only one, starts as a lone statement, and b's fourth in the busy turn.
  await end('a1');
  expect(started.slice(6)).toEqual(['a2', 'b4']);
  expect([...running.keys()].filter((name) => /^b/.test(name))).toHaveLength(3);
  await endAll();
  await Promise.all([alone, more, ...burst, ...lookups]);
  expect(limits.activeClients).toBe(0);
});

it('hands a free connection to the waiting client that runs the fewest: a lone statement before a busy client’s next', async () => {
  const { limits, started, ask, askMany, end, endAll } = statements({ perClient: 4, poolSize: 4 });
  const heavy = askMany('a', 20);
  await settle();
  expect(started).toEqual(['a1', 'a2', 'a3', 'a4']);
  const light = ask('c', 'c1');
  await settle();
  expect(started).toHaveLength(4);
  // The heavy client's fifth waited longer, but it runs three: the client running none goes first.
  await end('a1');
  expect(started.at(-1)).toBe('c1');
  await end('c1');
  await light;
  expect(started.at(-1)).toBe('a5');
  await endAll();
  await Promise.all(heavy);
  expect(limits.activeClients).toBe(0);
});

it('refuses a query’s statement that waited past its time with SERVICE_UNAVAILABLE, unrun, and starts the ones behind it in order', async () => {
  const { limits, started, ask, askIn, end } = statements({ perClient: 1, poolSize: 2, queryWaitTimeoutMs: 50 });
  const first = ask('a', 'a1');
  const refused = askIn(limits.newRequest('a', OperationTypeNode.QUERY), 'a2');
  const next = ask('a', 'a3');
  await settle();
  const error = await refusal(refused);
  expect(error).toBeInstanceOf(StatementWaitTimeoutError);
  expect((error as StatementWaitTimeoutError).extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', waitTimeoutMs: 50, retryAfterSeconds: 5 });
  expect(started).toEqual(['a1']);
  await end('a1');
  await first;
  expect(started).toEqual(['a1', 'a3']);
  await end('a3');
  await next;
  expect(limits.activeClients).toBe(0);
});

it('counts a query’s statement’s wait from when it is asked: its wait for its own request’s turn, then its client’s', async () => {
  const { limits, started, askIn, end, endAll } = statements({ perRequest: 1, perClient: 1, poolSize: 6, queryWaitTimeoutMs: 300 });
  const request = limits.newRequest('a', OperationTypeNode.QUERY);
  const askedAt = Date.now();
  const first = askIn(request, 'r1');
  const second = askIn(request, 'r2');
  await settle();
  expect(started).toEqual(['r1']);
  // Another request of the client asks meanwhile, and is next in the client's line.
  await sleep(100);
  const other = askIn(limits.newRequest('a', OperationTypeNode.QUERY), 'q1');
  await sleep(100);
  // r2 has waited 200 ms for its request's turn; it now waits for its client's, behind q1.
  await end('r1');
  expect(started).toEqual(['r1', 'q1']);
  const error = await refusal(second);
  expect(error).toBeInstanceOf(StatementWaitTimeoutError);
  expect((error as StatementWaitTimeoutError).extensions.waitTimeoutMs).toBe(300);
  // Refused 300 ms after it asked, not 300 ms after it reached its client's line.
  expect(Date.now() - askedAt).toBeLessThan(450);
  await endAll();
  await Promise.all([first, other]);
  expect(started).toEqual(['r1', 'q1']);
  expect(limits.activeClients).toBe(0);
});

it('refuses a query’s statement still waiting for its own request’s turn at its time, and runs the request’s next', async () => {
  const { limits, started, askIn, end, endAll } = statements({ perRequest: 1, queryWaitTimeoutMs: 100 });
  const request = limits.newRequest('a', OperationTypeNode.QUERY);
  const first = askIn(request, 'r1');
  const refused = askIn(request, 'r2');
  const error = await refusal(refused);
  expect(error).toBeInstanceOf(StatementWaitTimeoutError);
  expect(started).toEqual(['r1']);
  const later = askIn(request, 'r3');
  await end('r1');
  expect(started).toEqual(['r1', 'r3']);
  await endAll();
  await Promise.all([first, later]);
  expect(limits.activeClients).toBe(0);
});
