// The offline playground in a real headless Chromium: it renders with every request going to this
// server only, runs a live subscription that receives a tier change caused by a mutation, and opens
// a link's query (`/graphql?query=…`) in its editor.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrowserContext, chromium } from 'playwright-core';
import { RefreshHealthScoreDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { startTestServer, TestServer } from '../helpers/server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let server: TestServer;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  server = await startTestServer({ label: 'playground', env: { RESCORE_DEBOUNCE_MS: '0' } });
});
afterAll(() => server?.stop());

/** A headless Chromium with a fresh profile, closed and removed once `use` has run. */
async function inBrowser(use: (context: BrowserContext) => Promise<void>): Promise<void> {
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
    await use(context);
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

// Browser-side code as strings: this file is compiled without the DOM library.
const QUERY_EDITOR_TEXT = "document.querySelector('.graphiql-query-editor .view-lines')?.textContent ?? ''";

it('renders offline and runs a subscription in the browser', async () => {
  const foreign: string[] = [];
  await inBrowser(async (context) => {
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
    const resultText = "document.querySelector('.result-window')?.textContent ?? ''";
    await page.waitForFunction(`(${resultText}).includes('cust_browser')`, undefined, { timeout: 10_000 });
    const result = (await page.evaluate(resultText)) as string;
    expect(result.replace(/\s+/g, ' ')).toMatch(/"direction": "NEW"/);
    expect(foreign).toEqual([]);
    expect(missing).toEqual([]);
  });
}, 90_000);

it("opens a link's query and variables in the editor, unrun, read by the page and never written into its markup", async () => {
  // Text that would end the page's script, were the server to write the URL's query into it.
  const query = 'query Linked($first: Int) { customers(first: $first) { totalCount } } # </SCRIPT><script>window.injected = 1</script>';
  const url = `${server.url}?query=${encodeURIComponent(query)}&variables=${encodeURIComponent('{"first": 3}')}`;
  await inBrowser(async (context) => {
    const page = context.pages()[0] ?? (await context.newPage());
    const posted: string[] = [];
    page.on('request', (request) => void (request.method() === 'POST' && posted.push(request.postData() ?? '')));
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(`(${QUERY_EDITOR_TEXT}).includes('Linked')`, undefined, { timeout: 30_000 });
    await page.waitForTimeout(1000); // introspection
    expect(((await page.evaluate(QUERY_EDITOR_TEXT)) as string).replace(/\s+/g, ' ')).toContain('query Linked($first: Int)');
    // The editors' text: the query's, then the variables'.
    const editors = (await page.evaluate("[...document.querySelectorAll('.view-lines')].map((lines) => lines.textContent)")) as string[];
    expect(editors.map((text) => text.replace(/\s+/g, ' '))).toEqual(expect.arrayContaining([expect.stringContaining('{"first": 3}')]));
    expect(await page.evaluate('window.injected')).toBeUndefined();
    // Only the playground's introspection was sent: the linked operation waits for its run button.
    expect(posted.filter((body) => body.includes('Linked'))).toEqual([]);
  });
}, 90_000);

it("does not open a link's query that holds a mutation, which would run with the stored key, and says why", async () => {
  // A harmless query first, the mutation after it: the run button would offer either.
  const query = 'query Harmless { __typename }\nmutation Staged { revokeApiKey(id: "1") { id } }';
  const url = `${server.url}?query=${encodeURIComponent(query)}&variables=${encodeURIComponent('{"id": "1"}')}`;
  await inBrowser(async (context) => {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: 30_000 });
    await page.waitForTimeout(1000); // introspection
    expect(await page.textContent('#hg-link-refused')).toContain('it holds a mutation');
    const editors = (await page.evaluate("[...document.querySelectorAll('.view-lines')].map((lines) => lines.textContent)")) as string[];
    expect(editors.join(' ')).not.toMatch(/Harmless|Staged|"id"/);
  });
}, 90_000);
