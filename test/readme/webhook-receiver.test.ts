// The README's webhook receiver runs as written: saved as a file and started with node, it answers a
// delivery signed with the destination's secret 204 and logs its actions, and refuses a forged one.
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { readmeBlockAfter } from './readme-blocks';

const README = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
const SECRET = 'whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk=';
// Beside the tests, so that `standardwebhooks` resolves from the project's node_modules, as from the receiver's own.
const file = path.join(__dirname, `.receiver-${process.pid}.mjs`);
let receiver: ChildProcess;
let output = '';
let url = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

beforeAll(async () => {
  const source = readmeBlockAfter(README, '`HEALTHGRAPH_SIGNING_SECRET=whsec_… node receiver.mjs`:', 'js');
  expect(source).toContain('.listen(8080)');
  const port = await freePort();
  writeFileSync(file, source.replace('.listen(8080)', `.listen(${port})`));
  receiver = spawn(process.execPath, [file], { env: { ...process.env, HEALTHGRAPH_SIGNING_SECRET: SECRET } });
  receiver.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  url = `http://127.0.0.1:${port}/hooks`;
  for (let attempt = 0; ; attempt++) {
    try {
      await fetch(url, { method: 'POST', body: '{}' });
      return;
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}, 30_000);

afterAll(() => {
  receiver?.kill();
  rmSync(file, { force: true });
});

const payload = JSON.parse(readmeBlockAfter(README, 'The payload:', 'json'));

function signed(body: string, id = 'msg_1'): Record<string, string> {
  const timestamp = new Date();
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(SECRET).sign(id, timestamp, body),
  };
}

it('accepts a delivery signed with the secret (204) and reads its actions', async () => {
  const body = JSON.stringify(payload);
  const answer = await fetch(url, { method: 'POST', headers: signed(body), body });
  expect(answer.status).toBe(204);
  const [action] = payload.data.actions;
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(output).toContain(`${action.customer.id} ${action.action}`);
});

it('refuses a forged delivery, so that it is not DELIVERED', async () => {
  const body = JSON.stringify(payload);
  const forged = JSON.stringify({ ...payload, timestamp: '2026-12-01T07:00:00.000Z' });
  const answer = await fetch(url, { method: 'POST', headers: signed(body), body: forged });
  expect(answer.status).toBe(400);
});
