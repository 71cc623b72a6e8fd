// The offline playground in a real headless Chromium: it renders with every request going to this
// server only, and runs a live subscription that receives a tier change caused by a mutation.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { RefreshHealthScoreDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { startTestServer, TestServer } from '../helpers/server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let server: TestServer;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  server = await startTestServer({ label: 'playground', env: { RESCORE_DEBOUNCE_MS: '0' } });
});
afterAll(() => server?.stop());

it('renders offline and runs a subscription in the browser', async () => {
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
  const foreign: string[] = [];
  try {
    // Anything not addressed to this server is recorded and refused: the page must not need it.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (['127.0.0.1', 'localhost'].includes(url.hostname) || url.protocol === 'data:' || url.protocol === 'blob:')
        return route.continue();
      foreign.push(url.href);
      return route.abort();
    });
    const page = context.pages()[0] ?? (await context.newPage());
    // Every asset the page asks this server for is there.
    const missing: string[] = [];
    page.on('response', (response) => void (response.status() === 404 && missing.push(response.url())));
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: 30_000 });
    await page.waitForTimeout(1000); // introspection
    await page.click('.graphiql-query-editor .monaco-editor .view-lines');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type('subscription { healthTierChanged(customerId: "cust_browser") { customerId toTier direction', { delay: 5 });
    await page.keyboard.press('Escape');
    await page.waitForTimeout(1000); // GraphiQL re-parses after a debounce
    await page.click('.graphiql-execute-button');
    await page.waitForTimeout(1000);

    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_browser', name: 'Browser' } });
    await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_browser' });
    // Browser-side code as strings: this file is compiled without the DOM library.
    const resultText = "document.querySelector('.result-window')?.textContent ?? ''";
    await page.waitForFunction(`(${resultText}).includes('cust_browser')`, undefined, { timeout: 10_000 });
    const result = (await page.evaluate(resultText)) as string;
    expect(result.replace(/\s+/g, ' ')).toMatch(/"direction": "NEW"/);
    expect(foreign).toEqual([]);
    expect(missing).toEqual([]);
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}, 90_000);
