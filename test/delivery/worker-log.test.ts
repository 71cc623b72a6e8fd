// The delivery worker's log lines (graphile-worker's messages, forwarded to the service's log) are
// JSON objects a log pipeline can ingest: each key once (Elasticsearch, among others, refuses a
// document naming a field twice).
import { Writable } from 'node:stream';
import pino from 'pino';
import { startTestServer, TestServer } from '../helpers/server';
import { DELIVERY_TEST_ENV } from './support';

const lines: string[] = [];
const stream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((line) => line !== ''),
    );
    done();
  },
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ label: 'delivery_worker_log', env: DELIVERY_TEST_ENV, logger: pino({ level: 'debug' }, stream) });
}, 120_000);
afterAll(() => server?.stop());

it('names each field of a worker log line once', async () => {
  for (let attempt = 0; attempt < 50 && !lines.some((line) => line.includes('Worker connected')); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const workerLines = lines.filter((line) => line.includes('Worker connected'));
  expect(workerLines.length).toBeGreaterThan(0);
  for (const line of workerLines) {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.module).toBe('delivery-worker');
    expect(line.match(/"module":/g)).toHaveLength(1);
  }
});
