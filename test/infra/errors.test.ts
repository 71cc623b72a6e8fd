// What an error is answered with when the database goes away under a statement: the server stopped
// while the statement ran gives no SQLSTATE, only the driver's "Connection terminated unexpectedly",
// which knex prefixes with the statement. It is an outage (SERVICE_UNAVAILABLE, HTTP 503), not a fault.
import net from 'node:net';
import knex, { Knex } from 'knex';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from '../../src/database';
import { answersNothing, classifyError, driverMessage, isDatabaseOutage } from '../../src/infra/errors';
import { Db, inTransaction, query } from '../../src/infra/sql';
import { ADMIN_URL } from '../helpers/database';

/**
 * A TCP proxy to the test PostgreSQL whose connections can be cut, as a server stopped at once cuts
 * them: as the client sends a statement holding `text` (`cutAt`), which never arrives, or once such a
 * statement has reached the server and runs (`cutWhileRunning`).
 */
async function cuttableProxy(): Promise<{
  port: number;
  url(): string;
  cutWhileRunning(text: string): void;
  cutAt(text: string): void;
  close(): Promise<void>;
}> {
  const target = new URL(ADMIN_URL);
  const sockets = new Set<net.Socket>();
  let cutAt: string | undefined;
  let cutAfter: string | undefined;
  const cut = () => sockets.forEach((socket) => socket.destroy());
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => {
      if (cutAt !== undefined && chunk.includes(cutAt)) {
        cutAt = undefined;
        cut();
      } else {
        upstream.write(chunk);
        if (cutAfter !== undefined && chunk.includes(cutAfter)) {
          cutAfter = undefined;
          // The statement is on its way: cut once the server has had it a moment.
          setTimeout(cut, 200);
        }
      }
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as net.AddressInfo).port;
  return {
    port,
    url: () => {
      const url = new URL(ADMIN_URL);
      url.host = `127.0.0.1:${port}`;
      return url.toString();
    },
    cutWhileRunning: (text) => (cutAfter = text),
    cutAt: (text) => (cutAt = text),
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}

describe('a statement whose connection is cut', () => {
  let proxy: Awaited<ReturnType<typeof cuttableProxy>>;
  let db: Knex;
  beforeAll(async () => {
    proxy = await cuttableProxy();
    db = knex({ client: 'pg', connection: proxy.url(), pool: { min: 0, max: 1 } });
  });
  afterAll(async () => {
    await db.destroy();
    await proxy.close();
  });

  it('is an outage (SERVICE_UNAVAILABLE), though knex wrote the statement before the driver message', async () => {
    // Cut once the statement is sent, not at a fixed time: on a loaded machine a timer could fire
    // while the connection was still being opened, before knex had written any statement.
    proxy.cutWhileRunning('pg_sleep');
    const running = db.raw('select pg_sleep(5)');
    const error = await running.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect((error as Error).message).toMatch(/^select pg_sleep\(5\) - Connection terminated unexpectedly$/);
    expect(isDatabaseOutage(error)).toBe(true);
    expect(classifyError(error)).toBe('SERVICE_UNAVAILABLE');
    // Stored (a full run's error), it is the driver's message: not the statement.
    expect(driverMessage(error)).toBe('Connection terminated unexpectedly');
  });

  it('still reads a statement that failed for another reason as no outage, whatever the values written into it', async () => {
    const error = await db.raw("select 'x - Connection terminated' :: int").then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(isDatabaseOutage(error)).toBe(false);
    // invalid_text_representation: a value only the caller can have sent.
    expect(classifyError(error)).toBe('BAD_USER_INPUT');
  });
});

it("leaves the message of an error that did not come from the database as it is, ' - ' and all", () => {
  expect(driverMessage(new TypeError('weights - 2 of them - do not add up'))).toBe('weights - 2 of them - do not add up');
});

describe('a transaction whose connection is lost as it begins', () => {
  let proxy: Awaited<ReturnType<typeof cuttableProxy>>;
  let orm: MikroORM;
  beforeAll(async () => {
    proxy = await cuttableProxy();
    orm = await MikroORM.init(ormOptions(proxy.url(), 1));
  });
  afterAll(async () => {
    await orm.close(true);
    await proxy.close();
  });

  it('is an outage (SERVICE_UNAVAILABLE), not knex\'s "Transaction query already complete" at its first statement', async () => {
    // The pool holds the connection, which the BEGIN of the next transaction finds cut.
    await query(orm.em.fork() as Db, 'select 1');
    proxy.cutAt('BEGIN');
    let reached = false;
    const error = await inTransaction(orm.em.fork() as Db, async (tx) => {
      reached = true;
      return query(tx, 'select 1');
    }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(driverMessage(error)).not.toMatch(/Transaction query already complete/);
    expect(classifyError(error)).toBe('SERVICE_UNAVAILABLE');
    expect(reached).toBe(false);
    // The pool gives a working connection next.
    expect(await query(orm.em.fork() as Db, 'select 1 as one')).toEqual([{ one: 1 }]);
  });
});

describe("a response that answers nothing, whose outage is the request's (HTTP 503)", () => {
  const lone = { data: { refreshAllHealthScores: null }, errors: [{ path: ['refreshAllHealthScores'] }] };

  it('is one without data, to either media type', () => {
    for (const graphqlResponseJson of [false, true]) {
      expect(answersNothing({ errors: [{}] }, graphqlResponseJson)).toBe(true);
      expect(answersNothing({ data: null, errors: [{}] }, graphqlResponseJson)).toBe(true);
    }
  });

  it('is one whose root fields all failed, to application/json alone: graphql-response+json with data is 2xx', () => {
    expect(answersNothing(lone, false)).toBe(true);
    expect(answersNothing({ data: { a: null, b: null }, errors: [{ path: ['a'] }, { path: ['b', 'edges', 0] }] }, false)).toBe(true);
    expect(answersNothing(lone, true)).toBe(false);
  });

  it('is not one where a root field answered, a null without an error (a customer not scored yet) included', () => {
    expect(answersNothing({ data: { committed: { id: 'c1' }, refreshAllHealthScores: null }, errors: lone.errors }, false)).toBe(false);
    expect(answersNothing({ data: { healthScore: null, refreshAllHealthScores: null }, errors: lone.errors }, false)).toBe(false);
  });
});
