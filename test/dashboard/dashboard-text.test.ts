// What the dashboard writes of the data itself, in headless Chromium against its own seeded server:
// right-to-left names with Latin words and digits in their own order wherever they are shown, the
// time axis of a history of one score and of scores within a day, every score of the chart in a
// table, a cancelled account's date and reason, a count of one in the singular (and "None." for a
// drill-down with nothing in its window), the days of the
// Changes screen and the outreach log (typed key by key, out of range, in the link), days counted
// in the browser's time zone and moving with the day on a page left open, and money.
import type { Locator, Page, Request } from 'playwright-core';
import { sql } from '../helpers/database';
import type { TestServer } from '../helpers/server';
import { openBrowser, type Browser } from './browser';
import { collapse, healthyActiveCustomers } from './collapse';
import { closeSeededDashboard, openSeededDashboard, pageHelpers } from './page-helpers';

const DAY_MS = 86_400_000;
/** Hebrew with a Latin word and a number, as an Israeli company is often named. */
const RTL_NAME = 'אופק Systems בע״מ 123';
const RTL_CSM = 'דנה Cohen 2';
const RTL_PLAN = 'מתקדם Plus 3';
/** The ticket subject, NPS respondent and comment, event feature and user of that customer. */
const RTL_RECORDS = ['תקלה API 500', 'רון Levi 7', 'מעולה great 10', 'דוחות reports 4', 'משתמש user 9'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

let server: TestServer;
let origin: string;
let browser: Browser;
let page: Page;
let rtlId: string;

const { api, waitForText, visit, text } = pageHelpers(() => ({ server, page, origin }));

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

/** Where the first occurrence of `part` in `element`'s text is drawn: its left edge, in px. */
function leftOf(element: Locator, part: string): Promise<number> {
  return element.evaluate((root: any, wanted: string) => {
    const walker = root.ownerDocument.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.data.indexOf(wanted);
      if (at < 0) continue;
      const range = root.ownerDocument.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + wanted.length);
      return range.getBoundingClientRect().left;
    }
    throw new Error(`"${wanted}" is not in the element`);
  }, part);
}

/**
 * Whether `text` (a Hebrew word, then a Latin one, then more) reads right to left in `element`: its
 * first word drawn to the right of its second, as a right-to-left paragraph orders them (a
 * left-to-right one draws the Hebrew word first, on the left, and moves a number after a later
 * Hebrew word ahead of it).
 */
async function readsRightToLeft(element: Locator, text: string): Promise<boolean> {
  const [hebrew, latin] = text.split(' ');
  return (await leftOf(element, hebrew)) > (await leftOf(element, latin));
}

/** The texts in `main` holding one of `parts` that are not isolated in a <bdi> or an element of dir="auto". */
function unisolated(parts: string[]): Promise<string[]> {
  return page.locator('main').evaluate((main: any, wanted: string[]) => {
    const walker = main.ownerDocument.createTreeWalker(main, 4 /* NodeFilter.SHOW_TEXT */);
    const found: string[] = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode())
      if (wanted.some((part) => node.data.includes(part)) && !node.parentElement.closest('bdi, [dir=auto]')) found.push(node.data);
    return found;
  }, parts);
}

async function createCustomer(input: Record<string, unknown>): Promise<void> {
  await api('mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }', { input });
}

/** Puts `day` in a date field at once and leaves the field, which applies it (or says why not). */
async function enterDay(field: Locator, day: string): Promise<void> {
  await field.fill(day);
  await field.blur();
}

/** The variables of each request `operation` the page sends from now on, until `stop` is called. */
function variablesSent(target: Page, operation: string): { sent: Array<Record<string, unknown>>; stop(): void } {
  const sent: Array<Record<string, unknown>> = [];
  const onRequest = (request: Request) => {
    const body = request.method() === 'POST' ? request.postDataJSON() : null;
    if (body?.operationName === operation) sent.push(body.variables);
  };
  target.on('request', onRequest);
  return { sent, stop: () => target.off('request', onRequest) };
}

/** The page's own local midnight `daysAgo` days before its today, as it sends instants: how every day of the dashboard starts. */
function localMidnight(target: Page, daysAgo: number): Promise<string> {
  return target.evaluate((days) => {
    const day = new Date();
    day.setHours(0, 0, 0, 0);
    day.setDate(day.getDate() - days);
    return day.toISOString();
  }, daysAgo);
}

it('writes right-to-left names, CSMs, plans and records with Latin words and digits in their own order on every screen', async () => {
  [rtlId] = await healthyActiveCustomers(server, 1);
  await createCustomer({ id: rtlId, name: RTL_NAME, csmOwner: RTL_CSM, plan: RTL_PLAN });
  const [subject, respondent, comment, feature, user] = RTL_RECORDS;
  await api(
    `mutation($id: ID!, $subject: String!, $respondent: String!, $comment: String!, $feature: String!, $user: String!) {
      recordSupportTicket(input: { customerId: $id, externalId: "rtl-1", subject: $subject }) { id }
      submitNpsResponse(input: { customerId: $id, score: 9, respondent: $respondent, comment: $comment }) { id }
      trackEngagement(input: { customerId: $id, eventType: "login", feature: $feature, userId: $user }) { id }
    }`,
    { id: rtlId, subject, respondent, comment, feature, user },
  );
  // The overview open as the account collapses: its tier change arrives in the live feed.
  await visit('');
  await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
  await collapse(server, rtlId, 'rtl');
  const rescored = await api<{ refreshHealthScore: { tier: string } }>(`mutation { refreshHealthScore(customerId: "${rtlId}") { tier } }`);
  expect(['at_risk', 'critical']).toContain(rescored.refreshHealthScore.tier);
  const feedLink = page.locator(`[data-testid=live-feed] a[href="#/customers/${rtlId}"]`).first();
  await feedLink.waitFor({ timeout: 5000 });
  expect(await readsRightToLeft(feedLink, RTL_NAME)).toBe(true);
  expect(await unisolated([RTL_NAME])).toEqual([]);

  await visit('#/worklist');
  const row = page.locator(`[data-testid=worklist] tr[data-customer-id="${rtlId}"]`);
  await row.waitFor();
  expect(await readsRightToLeft(row.locator('th a'), RTL_NAME)).toBe(true);
  expect(await readsRightToLeft(row.locator('td').first(), RTL_CSM)).toBe(true);
  expect(await unisolated([RTL_NAME, RTL_CSM])).toEqual([]);

  await visit(`#/customers/${rtlId}`);
  await page.waitForSelector('[data-testid=tickets] tbody tr');
  await page.waitForSelector('[data-testid=nps-answers] tbody tr');
  expect(await readsRightToLeft(page.locator('main h1'), RTL_NAME)).toBe(true);
  expect(await readsRightToLeft(page.locator('[data-testid=customer-facts]'), RTL_PLAN)).toBe(true);
  for (const record of [subject, respondent, comment])
    expect(await readsRightToLeft(page.locator('main tbody', { hasText: record }).first(), record)).toBe(true);
  expect(await unisolated([RTL_NAME, RTL_CSM, RTL_PLAN, subject, respondent, comment])).toEqual([]);
  await page.locator('[data-signal=silence] button').click();
  await page.waitForSelector('[data-testid=raw-events] tbody tr');
  expect(await readsRightToLeft(page.locator('[data-testid=raw-events] tbody'), feature)).toBe(true);
  expect(await readsRightToLeft(page.locator('[data-testid=raw-events] tbody'), user)).toBe(true);
  expect(await unisolated([feature, user])).toEqual([]);

  await visit(`#/customers?search=${encodeURIComponent(rtlId)}`);
  const found = page.locator(`[data-testid=customers] a[href="#/customers/${rtlId}"]`);
  await found.waitFor();
  expect(await readsRightToLeft(found, RTL_NAME)).toBe(true);
  expect(await unisolated([RTL_NAME, RTL_CSM, RTL_PLAN])).toEqual([]);

  await visit('#/changes');
  const changeLink = page.locator(`[data-testid=changes] a[href="#/customers/${rtlId}"]`).first();
  await changeLink.waitFor();
  expect(await readsRightToLeft(changeLink, RTL_NAME)).toBe(true);
  expect(await unisolated([RTL_NAME])).toEqual([]);
}, 90_000);

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

it("says when a cancelled account cancelled and why on its page, and nothing of the kind for another's", async () => {
  const churnedAt = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - 20 * DAY_MS + 12 * 3_600_000);
  const reason = 'moved to a competitor';
  await createCustomer({ id: 'cancelled-co', name: 'Cancelled Co', churnedAt: churnedAt.toISOString(), churnReason: reason });
  await createCustomer({ id: 'cancelled-no-reason', name: 'Quiet Exit', churnedAt: churnedAt.toISOString() });
  const day = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium' }).format(churnedAt);
  await visit('#/customers/cancelled-co');
  await waitForText('[data-testid=churned]', `Cancelled on ${day} — ${reason}`);
  await visit('#/customers/cancelled-no-reason');
  await waitForText('[data-testid=churned]', `Cancelled on ${day}`);
  await visit(`#/customers/${rtlId}`);
  await page.waitForSelector('[data-testid=customer-facts]');
  expect(await page.locator('[data-testid=churned]').count()).toBe(0);
}, 60_000);

it('writes "from 1 answer" for an NPS of one answer, and "answers" for more', async () => {
  await visit('');
  await page.waitForSelector('[data-testid=tier-table]');
  expect(await text('main .card p.figure:has([data-testid=nps])')).toMatch(/^NPS -?\d+ from \d+ answers$/);
  await createCustomer({ id: 'single-answer', name: 'Single Answer Co', csmOwner: 'Solo Owner' });
  await api('mutation { submitNpsResponse(input: { customerId: "single-answer", score: 0 }) { id } }');
  await page.getByLabel('CSM owner').fill('Solo Owner');
  await page.getByLabel('CSM owner').dispatchEvent('change');
  await waitForText('main .card p.figure:has([data-testid=nps])', 'NPS -100 from 1 answer');
}, 60_000);

/** Answers the page's requests of `operation` with `data` until the returned function is called. */
async function answerWith(operation: string, data: unknown): Promise<() => Promise<void>> {
  await page.route('**/graphql', (route) =>
    route.request().postDataJSON()?.operationName === operation
      ? route.fulfill({ contentType: 'application/json', body: JSON.stringify({ data }) })
      : route.fallback(),
  );
  return () => page.unrouteAll({ behavior: 'wait' });
}

it('writes a count of one in the singular wherever it counts: customers in tiers, a search, events, a what-if, a backtest', async () => {
  await createCustomer({ id: 'count-one', name: 'Count One Co', csmOwner: 'Count Owner' });
  await api('mutation { trackEngagement(input: { customerId: "count-one", eventType: "login" }) { id } }');
  await api('mutation { refreshHealthScore(customerId: "count-one") { score } }');
  await visit('');
  await page.waitForSelector('[data-testid=tier-table]');
  await page.getByLabel('CSM owner').fill('Count Owner');
  await page.getByLabel('CSM owner').dispatchEvent('change');
  await waitForText('main .card p.figure:has([data-testid=customers-in-tiers])', /^1 customer · average score \d/);

  await visit('#/customers?search=count-one');
  await waitForText('[data-testid=customers-found]', '1 customer matches “count-one”.');

  await visit('#/customers/count-one');
  await page.locator('[data-signal=silence] button').click();
  await waitForText('[data-testid=raw-events] caption', '1 event');

  // The server's answers for one account, which the seeded book never gives.
  const change = { customerId: 'count-one', name: 'Count One Co', arrCents: 100_000, fromTier: 'healthy', toTier: 'critical', toScore: 20 };
  const tiers = [
    { tier: 'healthy', label: 'Healthy', count: 1 },
    { tier: 'critical', label: 'Critical', count: 1 },
  ];
  let stop = await answerWith('PreviewScoringModel', {
    previewScoringModel: {
      changed: 1,
      current: tiers,
      proposed: tiers,
      changes: [change],
      changesPageInfo: { hasNextPage: false, endCursor: '1' },
    },
  });
  try {
    await visit('#/model');
    await page.getByRole('button', { name: 'Preview' }).click();
    await waitForText('[data-testid=preview-status]', 'Preview ready: 1 account would change tier.');
    expect(await text('[data-testid=preview] p')).toBe('1 account would change tier.');
  } finally {
    await stop();
  }
  stop = await answerWith('Backtest', {
    backtest: {
      customers: 1,
      churners: 1,
      instants: 1,
      horizonDays: 1,
      recall: [],
      precision: { precision: 1, flaggedSnapshots: 1, truePositives: 1 },
      auc: { auc: 0.5, leadDays: 1 },
      leadTime: { detected: 1, medianDays: 1, p25Days: 1, p75Days: 1 },
      falseAlarms: { rate: 0, ratePer90Days: 0 },
      tierChurnRates: [],
    },
  });
  try {
    await page.getByRole('button', { name: 'Run backtest' }).click();
    await waitForText('[data-testid=backtest-status]', 'Backtest done: 1 account, AUC 0.50.');
    expect(await text('[data-testid=backtest] p')).toBe(
      '1 account, 1 churned, 1 instant; horizon 1 day. AUC 0.50 (1 day ahead), precision 100\u00a0%, false alarms 0\u00a0% per 90 days, median lead 1 day.',
    );
  } finally {
    await stop();
  }
}, 60_000);

it('says "None." under the drill-down of a signal whose window holds no NPS answer, as the other lists do', async () => {
  await visit('#/customers/count-one');
  await page.locator('[data-signal=nps] button').click();
  await waitForText('[data-testid=drill-down] p.muted', 'None.');
  expect(await page.locator('[data-testid=raw-nps]').count()).toBe(0);
}, 60_000);

it("refuses a Changes date before 1970 in words, keeping the last valid one, instead of showing the server's bounds", async () => {
  await visit('#/changes');
  await page.waitForSelector('[data-testid=changes] tbody tr');
  const since = page.getByLabel('Since', { exact: true });
  expect(await since.getAttribute('min')).toBe('1970-01-01');
  await enterDay(since, '1960-01-01');
  await waitForText('main [role=alert]', /1 Jan 1970/);
  expect(await since.getAttribute('aria-invalid')).toBe('true');
  expect(await text('main')).not.toMatch(/must be between/);
  expect(await text('main h1')).toBe('Changes since yesterday');
  expect(await page.locator('[data-testid=changes] tbody tr').count()).toBeGreaterThan(0);
  // The first day there is, at local midnight (before 1970 in UTC east of Greenwich), lists from 1970 on.
  await enterDay(since, '1970-01-01');
  await waitForText('main h1', 'Changes since 1 Jan 1970');
  await page.locator('main [role=alert]').waitFor({ state: 'detached' });
  await page.waitForSelector('[data-testid=changes] tbody tr');
}, 60_000);

it('refuses a Since day before 1970 in a link as it refuses one typed, keeping the last valid day', async () => {
  await visit('#/changes?since=1900-01-01');
  await waitForText('main [role=alert]', /1 Jan 1970.*the list still uses yesterday/);
  expect(await text('main h1')).toBe('Changes since yesterday');
  const since = page.getByLabel('Since', { exact: true });
  expect(await since.inputValue()).toBe('1900-01-01');
  expect(await since.getAttribute('aria-invalid')).toBe('true');
  // The link names the day the list uses.
  expect(new URL(page.url()).hash).toBe('#/changes');
  await page.waitForSelector('[data-testid=changes] tbody tr');

  // Edited by hand from a valid day: the list keeps that day, as it does for a day typed.
  await visit('#/changes?since=2026-01-05');
  await waitForText('main h1', 'Changes since 5 Jan 2026');
  await page.evaluate("location.hash = '#/changes?since=1950-06-01'");
  await waitForText('main [role=alert]', /the list still uses 5 Jan 2026/);
  expect(await text('main h1')).toBe('Changes since 5 Jan 2026');
  expect(new URL(page.url()).hash).toBe('#/changes?since=2026-01-05');
  // A valid day then ends the refusal.
  await enterDay(since, '2026-02-01');
  await waitForText('main h1', 'Changes since 1 Feb 2026');
  await page.locator('main [role=alert]').waitFor({ state: 'detached' });
}, 60_000);

it('writes money one way: a payment in its currency, grouped, on the customer page and on the Changes screen alike', async () => {
  await createCustomer({ id: 'money-co', name: 'Money Co', arrCents: 15_000_000, csmOwner: 'Money Owner' });
  await api(
    `mutation {
      a: recordPayment(input: { customerId: "money-co", externalId: "usd", amountCents: 1250000, currency: "USD", status: FAILED, dueAt: "${new Date(Date.now() - DAY_MS).toISOString()}" }) { id }
      b: recordPayment(input: { customerId: "money-co", externalId: "bhd", amountCents: 1500000, currency: "BHD", status: PAID }) { id }
    }`,
  );
  await visit('#/customers/money-co');
  await page.waitForSelector('[data-testid=payments] tbody tr');
  const amounts = await page.locator('[data-testid=payments] tbody tr td:nth-child(2)').allInnerTexts();
  expect(amounts.sort()).toEqual(['$12,500.00', 'BHD\u00a01,500.000'].sort());
  expect(await text('[data-testid=customer-arr]')).toBe('150,000');
  await visit('#/changes?csmOwner=Money%20Owner');
  const failed = page.locator('[data-testid=changes] tr', { hasText: 'Money Co' }).filter({ hasText: 'payment failed' });
  await failed.first().waitFor();
  expect(await failed.first().locator('td').last().innerText()).toBe('$12,500.00');
}, 60_000);

it('labels the time axis in hours for scores within a day, and joins the labels of model changes minutes apart', async () => {
  await createCustomer({ id: 'busy-day', name: 'Busy Day Co', signedUpAt: new Date(Date.now() - 2 * DAY_MS).toISOString() });
  const scoreAt = (msAgo: number) =>
    api<{ refreshHealthScore: { modelVersion: number } }>(
      'mutation($at: DateTime!) { refreshHealthScore(customerId: "busy-day", asOf: $at) { modelVersion } }',
      {
        at: new Date(Date.now() - msAgo).toISOString(),
      },
    );
  const activate = (preset: string) =>
    api<{ updateScoringModel: { version: number } }>(`mutation { updateScoringModel(input: { tierPreset: "${preset}" }) { version } }`);
  const HOUR_MS = 3_600_000;
  const versions: number[] = [];
  try {
    // Scores hours apart, and two model changes two minutes apart among them.
    await scoreAt(10 * HOUR_MS);
    await scoreAt(5 * HOUR_MS);
    versions.push((await activate('three_tier')).updateScoringModel.version);
    await scoreAt(5 * HOUR_MS - 2 * 60_000);
    versions.push((await activate('four_tier')).updateScoringModel.version);
    await scoreAt(5 * HOUR_MS - 4 * 60_000);
    await scoreAt(HOUR_MS);
  } finally {
    await activate('four_tier');
  }
  await visit('#/customers/busy-day');
  await page.waitForSelector('.chart canvas');
  const drawn = () => page.evaluate(() => (globalThis as any).drawnTexts as string[]);
  for (let waited = 0; !(await drawn()).some((label) => /^\d{2}:\d{2}$/.test(label)) && waited < 5000; waited += 100)
    await page.waitForTimeout(100);
  const labels = await drawn();
  // Hours on the axis (14:00), the day written under the first.
  expect(labels.filter((label) => /^\d{2}:00$/.test(label)).length).toBeGreaterThan(1);
  expect(labels.some((label) => /^\d{1,2} [A-Z][a-z]{2} \d{4}$/.test(label))).toBe(true);
  // One label for the two changes, not two drawn over each other.
  expect(labels).toContain(`v${versions[0]}, v${versions[1]}`);
  expect(labels).not.toContain(`v${versions[0]}`);
  expect(await page.locator('.chart [role=img]').getAttribute('aria-label')).toMatch(/^Score history: 5 scores from /);
  expect(await text('[data-testid=model-changes]')).toMatch(
    new RegExp(`^v\\d+ → v${versions[0]} on .+, \\d{2}:\\d{2}; v${versions[0]} → v${versions[1]} on .+, \\d{2}:\\d{2}$`),
  );
}, 60_000);

it('takes a Since day typed key by key, and lists from it once it is whole, never rewriting the field meanwhile', async () => {
  await visit('#/changes');
  await page.waitForSelector('[data-testid=changes] tbody tr');
  const today = await page.evaluate(() => [new Date().getFullYear(), new Date().getMonth() + 1, new Date().getDate()]);
  const yesterday = await page.evaluate(() => {
    const day = new Date();
    day.setDate(day.getDate() - 1);
    return [day.getFullYear(), day.getMonth() + 1, day.getDate()];
  });
  // Yesterday's month typed first leaves the field at yesterday, its default, half typed; then
  // another day of that month, and the year a digit at a time (0002, 0020, 0202, then the year).
  const [year, month] = yesterday;
  const dayTyped = yesterday[2] === 1 ? 2 : 1;
  const two = (value: number) => String(value).padStart(2, '0');
  const typedDay = `${year}-${two(month)}-${two(dayTyped)}`;
  const expected =
    year === today[0] && month === today[1] && dayTyped === today[2]
      ? 'today'
      : new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium' }).format(new Date(year, month - 1, dayTyped));
  const requests = variablesSent(page, 'Changes');
  try {
    await page.getByLabel('Since', { exact: true }).focus();
    // en-US order, as the browser of this test writes a date field: month, day, year.
    await page.keyboard.type(`${two(month)}${two(dayTyped)}${year}`);
    expect(await page.getByLabel('Since', { exact: true }).inputValue()).toBe(typedDay);
    // The day is taken once the typing pauses (the first Tab, after its year, stays in the field).
    await page.keyboard.press('Tab');
    await waitForText('main h1', `Changes since ${expected}`);
    expect(await page.getByLabel('Since', { exact: true }).inputValue()).toBe(typedDay);
    expect(await page.locator('main [role=alert]').count()).toBe(0);
    expect(new URL(page.url()).hash).toBe(`#/changes?since=${typedDay}`);
    await page.waitForSelector('[data-testid=changes] tbody tr, main section.records p.muted');
    // Only the whole day typed was asked for (and the default again, by a live refetch, perhaps): none of the days the keys went through.
    const asked = new Set(requests.sent.map((variables) => variables.since));
    asked.delete(new Date(yesterday[0], yesterday[1] - 1, yesterday[2]).toISOString());
    expect([...asked]).toEqual([new Date(year, month - 1, dayTyped).toISOString()]);
  } finally {
    requests.stop();
  }
}, 60_000);

it("checks the outreach log's days as the Changes' Since: whole valid days only are sent, a refusal is said in words and the list stays", async () => {
  type Log = { outreachLog: { totalCount: number } };
  const { outreachLog } = await api<Log>('{ outreachLog(first: 1) { totalCount } }');
  const everyAction = `Actions (${outreachLog.totalCount})`;
  await visit('#/outreach');
  await waitForText('main section.records h2', everyAction);
  const from = page.getByLabel('From', { exact: true });
  const requests = variablesSent(page, 'OutreachLog');
  try {
    await from.focus();
    await page.keyboard.type('01152019');
    // Mid-typing, nothing is said: the year went through 0002, 0020 and 0201 on the way.
    expect(await page.locator('main [role=alert]').count()).toBe(0);
    // The day is taken once the typing pauses (the first Tab, after its year, stays in the field).
    await page.keyboard.press('Tab');
    const hash = () => new URL(page.url()).hash;
    for (let waited = 0; hash() === '#/outreach' && waited < 5000; waited += 100) await page.waitForTimeout(100);
    expect(await from.inputValue()).toBe('2019-01-15');
    expect(hash()).toBe('#/outreach?from=2019-01-15');
    await waitForText('main section.records h2', /^Actions \(\d+\)$/);
    const asked = new Set(requests.sent.map((variables) => variables.from));
    asked.delete(null);
    expect([...asked]).toEqual([new Date(2019, 0, 15).toISOString()]);
  } finally {
    requests.stop();
  }

  // A day before 1970 in the link: said so, the list kept, the link rewritten to the days it lists.
  await visit('#/outreach?from=1900-01-01');
  await waitForText('main [role=alert]', /^The day is from 1 Jan 1970 to 31 Dec 9999; the list still starts at the earliest action\.$/);
  await waitForText('main section.records h2', everyAction);
  expect(await text('main')).not.toMatch(/must be between/);
  expect(new URL(page.url()).hash).toBe('#/outreach');

  // From after To, in the link and typed: the same.
  await visit('#/outreach?from=2026-12-05&to=2026-12-01');
  await waitForText('main [role=alert]', /^The From day is after the To day/);
  await waitForText('main section.records h2', everyAction);
  expect(await text('main')).not.toMatch(/must not be after/);
  const today = await page.evaluate(() => new Date().toLocaleDateString('en-CA'));
  const tomorrow = await page.evaluate(() => new Date(Date.now() + 86_400_000).toLocaleDateString('en-CA'));
  await visit(`#/outreach?to=${today}`);
  await page.waitForSelector('[data-testid=outreach-log] tbody tr');
  const listed = await text('main section.records h2');
  await enterDay(from, tomorrow);
  await waitForText('main [role=alert]', 'The From day is after the To day; the list still starts at the earliest action.');
  expect(await from.getAttribute('aria-invalid')).toBe('true');
  expect(await text('main section.records h2')).toBe(listed);
  expect(new URL(page.url()).hash).toBe(`#/outreach?to=${today}`);
  // A day typed half: said so as the field is left.
  await from.fill('');
  await from.focus();
  await page.keyboard.type('03');
  // Not Tab: within a date field it moves to the next part of the day.
  await from.blur();
  await waitForText('main [role=alert]', /^The day is not complete/);
  expect(await text('main section.records h2')).toBe(listed);
}, 60_000);

it('lists every score of the chart in a table under it, with its tier and model version', async () => {
  type History = {
    customer: { scoreHistory: { edges: Array<{ node: { asOf: string; score: number; tier: string; modelVersion: number } }> } };
  };
  const { customer } = await api<History>(
    '{ customer(id: "busy-day") { scoreHistory(first: 365) { edges { node { asOf score tier modelVersion } } } } }',
  );
  await visit('#/customers/busy-day');
  await page.waitForSelector('.chart canvas');
  const table = page.locator('[data-testid=score-table]');
  expect(await table.isVisible()).toBe(false);
  await page.getByText('Show every score as a table').press('Enter');
  await table.waitFor();
  const at = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent)));
  // Latest first, as the API answers them.
  expect(rows).toEqual(
    customer.scoreHistory.edges.map(({ node }) => [
      at.format(new Date(node.asOf)),
      String(node.score),
      node.tier.replace(/_/g, ' '),
      `v${node.modelVersion}`,
    ]),
  );
}, 60_000);

it("draws a long history's last 90 days, its latest 500 scores a day each, and pages every score, older ones too, counted grouped", async () => {
  await createCustomer({ id: 'long-history', name: 'Long History Co', signedUpAt: new Date(Date.now() - 200 * DAY_MS).toISOString() });
  await api('mutation { refreshHealthScore(customerId: "long-history") { asOf } }');
  // 1,199 more scores like it, two hours apart before it: some 100 days, ten of them before the chart's window.
  const columns = (
    await sql<{ name: string }>(
      server.database,
      `select column_name as name from information_schema.columns where table_name = 'health_score' and column_name not in ('id', 'as_of')`,
    )
  ).map((column) => column.name);
  await sql(
    server.database,
    `insert into health_score (${columns.join(', ')}, as_of)
     select ${columns.map((column) => `h.${column}`).join(', ')}, h.as_of - n * interval '2 hours'
     from health_score h, generate_series(1, 1199) n where h.customer_id = 'long-history'`,
  );
  await visit('#/customers/long-history');
  await page.waitForSelector('.chart canvas');
  expect(await page.locator('.chart [role=img]').getAttribute('aria-label')).toMatch(
    /^Score history: 500 scores from .+, the latest of 1,0\d\d in the last 90 days, drawn as the last score of each day, latest \d+$/,
  );
  expect(await text('[data-testid=chart-note]')).toMatch(
    /^The last 90 days: the latest 500 of its 1,0\d\d scores, drawn as the last score of each day\. Every score, older ones too, is in the table under the chart\.$/,
  );
  await page.getByText('Show every score as a table').press('Enter');
  await page.locator('[data-testid=score-table]').waitFor();
  expect(await text('section[aria-label="Scores, latest first"] h2')).toBe('Scores, latest first (1,200)');
  expect(await text('section[aria-label="Scores, latest first"] [data-testid=page-range]')).toBe('1–25 of 1,200');
  await page.locator('section[aria-label="Scores, latest first"] nav.pager').getByText('Next →').click();
  await waitForText('section[aria-label="Scores, latest first"] [data-testid=page-range]', '26–50 of 1,200');
  await waitForText('section[aria-label="Scores, latest first"] [data-testid=page-status]', 'Rows 26–50 of 1,200');
}, 60_000);

it("moves the Overview's NPS window with the day on a page left open, and starts every day at the browser's midnight", async () => {
  // Berlin: its midnight is not UTC's, so a day started at UTC midnight shows.
  const berlin = await openBrowser(undefined, { timezoneId: 'Europe/Berlin' });
  const overview = variablesSent(berlin.page, 'Overview');
  const changes = variablesSent(berlin.page, 'Changes');
  try {
    await berlin.page.clock.install();
    await berlin.page.goto(`${origin}/#/changes`);
    await berlin.page.waitForSelector('[data-testid=changes] tbody tr');
    expect(changes.sent[0].since).toBe(await localMidnight(berlin.page, 1));
    expect(await berlin.page.locator('[data-testid=time-zone]').innerText()).toBe(
      "Dates and times in Europe/Berlin, this browser's time zone.",
    );

    await berlin.page.goto(`${origin}/#/`);
    await berlin.page.waitForSelector('[data-testid=tier-table]');
    const opened = await localMidnight(berlin.page, 90);
    expect(new Date(opened).getUTCHours()).not.toBe(0);
    expect([...new Set(overview.sent.map((variables) => variables.npsFrom))]).toEqual([opened]);
    // Left open for two days: the period still ends today, and starts 90 days before it.
    await berlin.page.clock.fastForward('48:00:00');
    const twoDaysOn = await localMidnight(berlin.page, 90);
    expect(twoDaysOn).not.toBe(opened);
    for (let waited = 0; overview.sent.at(-1)?.npsFrom !== twoDaysOn && waited < 5000; waited += 100) await berlin.page.waitForTimeout(100);
    expect(overview.sent.at(-1)?.npsFrom).toBe(twoDaysOn);
    expect(await berlin.page.locator('#nps-title').innerText()).toBe('NPS, last 90 days');
  } finally {
    overview.stop();
    changes.stop();
    await berlin.close();
  }
}, 60_000);
