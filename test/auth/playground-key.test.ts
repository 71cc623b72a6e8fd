// The playground once keys exist, in a real headless Chromium: without a key its requests get 401;
// with one entered in its key field, its queries (HTTP) and subscriptions (graphql-ws) carry it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { createKey, post } from '../helpers/auth';
import { startTestServer, TestServer } from '../helpers/server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let server: TestServer;
let admin: { key: string; id: string };

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  server = await startTestServer({ label: 'playground_key', env: { RESCORE_DEBOUNCE_MS: '0' } });
  admin = await createKey(server, ['admin']);
});
afterAll(() => server?.stop());

it('sends the key entered in its key field with queries and subscriptions', async () => {
  const reader = await createKey(server, ['read'], admin.key, 'browser');
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'healthgraph-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const statuses: number[] = [];
    page.on('response', (response) => {
      if (response.request().method() === 'POST' && new URL(response.url()).pathname === '/graphql') statuses.push(response.status());
    });
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: 30_000 });
    await page.waitForTimeout(1000); // introspection
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([401]));

    statuses.length = 0;
    await page.fill('#hg-api-key-input', reader.key);
    await Promise.all([page.waitForEvent('load'), page.click('#hg-api-key button[type="submit"]')]);
    await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: 30_000 });
    await page.waitForTimeout(1000); // introspection, with the key
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([200]));

    await page.click('.graphiql-query-editor .monaco-editor .view-lines');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type('subscription { healthTierChanged(customerId: "cust_key_browser") { customerId toTier direction', {
      delay: 5,
    });
    await page.keyboard.press('Escape');
    await page.waitForTimeout(1000); // GraphiQL re-parses after a debounce
    await page.click('.graphiql-execute-button');
    await page.waitForTimeout(1000);

    await post(server.url, 'mutation { upsertCustomer(input: { id: "cust_key_browser", name: "Browser" }) { id } }', undefined, admin.key);
    await post(server.url, 'mutation { refreshHealthScore(customerId: "cust_key_browser") { score } }', undefined, admin.key);
    // Browser-side code as strings: this file is compiled without the DOM library.
    const resultText = "document.querySelector('.result-window')?.textContent ?? ''";
    await page.waitForFunction(`(${resultText}).includes('cust_key_browser')`, undefined, { timeout: 10_000 });
    expect(((await page.evaluate(resultText)) as string).replace(/\s+/g, ' ')).toMatch(/"direction": "NEW"/);
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}, 90_000);
