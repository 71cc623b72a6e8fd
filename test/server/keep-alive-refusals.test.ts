// Requests refused from their headers, one after another on one keep-alive connection, to the service
// as a process: each has the rest of its body read and dropped, and leaves nothing behind on the
// connection however many it carries (a listener left per request on its socket made Node warn of a
// leak on the server's stderr).
import net from 'node:net';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { MAIN_COMMAND, serviceEnv, ServiceProcess, startServiceProcess } from '../helpers/service-process';

const MAX_BODY_BYTES = 1024;
let database: TestDatabase;
let service: ServiceProcess;
beforeAll(async () => {
  database = await createTestDatabase('keep_alive_refusals');
  service = await startServiceProcess(MAIN_COMMAND, serviceEnv(database.url, { MAX_BODY_BYTES: String(MAX_BODY_BYTES) }), 90_000);
}, 120_000);
afterAll(async () => {
  if (service && service.child.exitCode === null) {
    service.child.kill('SIGTERM');
    await service.exited;
  }
  await database.drop();
});

it('answers 413 to each of 30 oversized bodies on one connection, reads the rest of each, and warns of no listener leak', async () => {
  const socket = net.connect({ port: Number(new URL(service.url).port), host: '127.0.0.1' });
  await new Promise((resolve) => socket.once('connect', resolve));
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const answered = () => (received.match(/HTTP\/1\.1 413/g) ?? []).length;
  const body = JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(4 * MAX_BODY_BYTES) });
  try {
    for (let i = 1; i <= 30; i++) {
      socket.write(
        `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
      );
      // The answer comes from the headers alone, before the body is sent.
      const deadline = Date.now() + 5000;
      while (answered() < i && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(answered()).toBe(i);
      socket.write(body);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(socket.destroyed).toBe(false);
    expect(service.output()).not.toContain('MaxListenersExceededWarning');
  } finally {
    socket.destroy();
  }
});
