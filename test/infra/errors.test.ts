// What an error is answered with when the database goes away under a statement: the server stopped
// while the statement ran gives no SQLSTATE, only the driver's "Connection terminated unexpectedly",
// which knex prefixes with the statement. It is an outage (SERVICE_UNAVAILABLE, HTTP 503), not a fault.
import net from 'node:net';
import knex, { Knex } from 'knex';
import { classifyError, driverMessage, isDatabaseOutage } from '../../src/infra/errors';
import { ADMIN_URL } from '../helpers/database';

/** A TCP proxy to the test PostgreSQL whose connections can be cut, as a server stopped at once cuts them. */
async function cuttableProxy(): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const target = new URL(ADMIN_URL);
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as net.AddressInfo).port,
    cut: () => sockets.forEach((socket) => socket.destroy()),
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}

describe('a statement whose connection is cut', () => {
  let proxy: Awaited<ReturnType<typeof cuttableProxy>>;
  let db: Knex;
  beforeAll(async () => {
    proxy = await cuttableProxy();
    const url = new URL(ADMIN_URL);
    url.host = `127.0.0.1:${proxy.port}`;
    db = knex({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 1 } });
  });
  afterAll(async () => {
    await db.destroy();
    await proxy.close();
  });

  it('is an outage (SERVICE_UNAVAILABLE), though knex wrote the statement before the driver message', async () => {
    const running = db.raw('select pg_sleep(5)');
    setTimeout(() => proxy.cut(), 300);
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
