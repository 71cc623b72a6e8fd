// The turns of the clients' statements on the database pool: a client runs at most STATEMENTS_PER_KEY
// at once; busy clients (more than one statement running or waiting) share that many connections
// between them, the rest of the pool kept for lone statements; a free turn goes to the waiting client
// running the fewest; a query's statement waits a bounded time from when it is asked, past which it is
// refused unrun.
import { OperationTypeNode } from 'graphql';
import { StatementWaitTimeoutError } from '../../src/infra/errors';
import type { StatementPolicy } from '../../src/infra/sql';
import { StatementLimitOptions, StatementLimits } from '../../src/infra/statement-limits';

const settle = () => new Promise((resolve) => setImmediate(resolve));
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

it('keeps the connections past STATEMENTS_PER_KEY free for lone statements, however many clients are busy', async () => {
  const { started, running, ask, askMany, end } = statements({ perClient: 3, poolSize: 6 });
  const busy = [...askMany('a', 10), ...askMany('b', 10)];
  await settle();
  // Each busy client's first came alone, and so started; then the busy ones hold three between them.
  expect(started).toEqual(['a1', 'a2', 'a3', 'b1']);
  // Two lone statements of other clients start at once on the connections left.
  void ask('c', 'c1');
  void ask('d', 'd1');
  await settle();
  expect(started).toEqual(['a1', 'a2', 'a3', 'b1', 'c1', 'd1']);
  // The pool is full: the next lone statement waits, and takes the first connection that comes free.
  void ask('e', 'e1');
  await end('a1');
  expect(started.at(-1)).toBe('e1');
  // The busy clients held three between them (a2, a3, b1): one more starts when one of those ends,
  // of the client running the fewest.
  await end('a2');
  expect(started.at(-1)).toBe('a4');
  await end('b1');
  expect(started.at(-1)).toBe('b2');
  // A lone statement still finds a connection while the busy clients wait for theirs.
  await end('c1');
  void ask('f', 'f1');
  await settle();
  expect(started.at(-1)).toBe('f1');
  expect([...running.keys()].filter((name) => /^[ab]/.test(name))).toHaveLength(3);
  while (running.size > 0) for (const name of [...running.keys()]) await end(name);
  await Promise.all(busy);
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
