// What the dashboard writes of the data itself, in headless Chromium against its own seeded server:
// the time axis of a history of one score.
import type { Page } from 'playwright-core';
import type { TestServer } from '../helpers/server';
import type { Browser } from './browser';
import { closeSeededDashboard, openSeededDashboard, pageHelpers } from './page-helpers';

const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

let server: TestServer;
let origin: string;
let browser: Browser;
let page: Page;

const { api, visit } = pageHelpers(() => ({ server, page, origin }));

beforeAll(async () => {
  ({ server, origin, browser, page } = await openSeededDashboard('dashboard_text', {
    customers: 40,
    days: 30,
    seed: 29,
    historyDays: 2,
    collapsed: 4,
  }));
  // Every text drawn on a canvas (uPlot's axis labels), kept for the chart's test. An init script
  // is the devtools protocol's, not an inline script: the page's Content-Security-Policy allows it.
  await browser.context.addInitScript({
    content: `{
      const fillText = CanvasRenderingContext2D.prototype.fillText;
      window.drawnTexts = [];
      CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
        window.drawnTexts.push(String(text));
        return fillText.call(this, text, ...rest);
      };
    }`,
  });
}, 300_000);

afterAll(() => closeSeededDashboard({ server, browser }));

async function createCustomer(input: Record<string, unknown>): Promise<void> {
  await api('mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', { input });
}

it('draws the time axis of a history of one score around that score, not years away', async () => {
  await createCustomer({ id: 'one-score', name: 'One Score Co' });
  const { refreshHealthScore } = await api<{ refreshHealthScore: { asOf: string } }>(
    'mutation { refreshHealthScore(customerId: "one-score") { asOf } }',
  );
  await visit('#/customers/one-score');
  await page.waitForSelector('.chart canvas');
  expect(await page.locator('.chart [role=img]').getAttribute('aria-label')).toMatch(/^Score history: 1 score from /);
  const asOf = Date.parse(refreshHealthScore.asOf);
  // The days the time axis writes (6 Dec 2026), once it is drawn.
  const drawnDays = async () =>
    (await page.evaluate(() => (globalThis as any).drawnTexts as string[]))
      .map((label) => /^(\d{1,2}) ([A-Z][a-z]{2}) (\d{4,})$/.exec(label))
      .filter((match) => match !== null)
      .map((match) => Date.UTC(Number(match[3]), MONTHS.indexOf(match[2]), Number(match[1])));
  for (let waited = 0; (await drawnDays()).length === 0 && waited < 5000; waited += 100) await page.waitForTimeout(100);
  expect((await drawnDays()).length).toBeGreaterThan(0);
  for (const day of await drawnDays()) expect(Math.abs(day - asOf)).toBeLessThan(8 * DAY_MS);
}, 60_000);
