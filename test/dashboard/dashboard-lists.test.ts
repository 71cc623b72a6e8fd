// The dashboard's paged lists in headless Chromium against their own seeded server: the page and
// the filters kept in the link (browser back, a reload and a shared link find them again; a page
// turned is a history entry of its own), a link's junk page number rewritten, an old link far past
// the end opening at the last page, the keyboard focus kept on the pager across a page change, a
// loading note while a list's first page is asked for, the rows of a page turned to said to screen
// readers and the focus on the error of one that cannot load, a list that could not load asked
// again (by itself, after the server's wait, or at once when the user asks), the what-if preview's
// accounts paged, looking customers up, a live refetch in flight left to finish, and a page that a
// live change empties giving way to the last page with rows. The live change is made last: it takes
// accounts off the worklist.
import type { Page } from 'playwright-core';
import { sql } from '../helpers/database';
import type { TestServer } from '../helpers/server';
import { Browser, openBrowser, seriousAxeViolations } from './browser';
import { closeSeededDashboard, openSeededDashboard, pageHelpers } from './page-helpers';

/** A count as the dashboard writes it: grouped (`1,411`). */
const grouped = (count: number) => count.toLocaleString('en-US');

const PAGE_SIZE = 25;
const DAY_MS = 86_400_000;

let server: TestServer;
let origin: string;
let browser: Browser;
let page: Page;

const { api, waitForText, visit, text } = pageHelpers(() => ({ server, page, origin }));

type WorklistPage = { worklist: { totalCount: number; edges: Array<{ node: { id: string } }> } };

/** The ids of the worklist's rows on screen, in order. */
function shownWorklistIds(): Promise<Array<string | null>> {
  return page.locator('[data-testid=worklist] tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-customer-id')));
}

/** The worklist's rows `from` (0-based) on, as the API orders them. */
async function worklistIds(from: number, count: number, tier?: string): Promise<string[]> {
  const { worklist } = await api<WorklistPage>(`query($tier: String) { worklist(first: 500, tier: $tier) { edges { node { id } } } }`, {
    tier: tier ?? null,
  });
  return worklist.edges.slice(from, from + count).map((edge) => edge.node.id);
}

async function worklistTotal(): Promise<number> {
  return (await api<WorklistPage>('{ worklist(first: 1) { totalCount edges { node { id } } } }')).worklist.totalCount;
}

/** The text of the pager button that has the focus, once one has it (null if none within 2 s). */
async function focusedPagerButton(): Promise<string | null> {
  const focused = page.locator('nav.pager button:focus');
  try {
    await focused.waitFor({ timeout: 2000 });
  } catch {
    return null;
  }
  return (await focused.innerText()).trim();
}

/** The page's hash once it is `expected` (a link the page rewrites), or as it is after 5 s. */
async function settledHash(expected: string): Promise<string> {
  const hash = () => new URL(page.url()).hash;
  for (let waited = 0; hash() !== expected && waited < 5000; waited += 50) await page.waitForTimeout(50);
  return hash();
}

beforeAll(async () => {
  ({ server, origin, browser, page } = await openSeededDashboard('dashboard_lists', {
    customers: 90,
    days: 60,
    seed: 31,
    historyDays: 3,
    collapsed: 30,
  }));
}, 300_000);

afterAll(() => closeSeededDashboard({ server, browser }));

it("keeps the worklist's page and filters in the link, so that back, a reload and a shared link find them again", async () => {
  const total = await worklistTotal();
  expect(total).toBeGreaterThan(PAGE_SIZE);
  const secondPage = await worklistIds(PAGE_SIZE, PAGE_SIZE);
  await visit('#/worklist');
  await page.waitForSelector('[data-testid=worklist] tbody tr');
  await page.getByRole('button', { name: 'Next →' }).click();
  await waitForText('[data-testid=page-range]', `26–${grouped(Math.min(total, 2 * PAGE_SIZE))} of ${grouped(total)}`);
  expect(new URL(page.url()).hash).toBe('#/worklist?page=2');
  expect(await shownWorklistIds()).toEqual(secondPage);

  // Back from a customer opened from the list.
  await page.locator(`[data-customer-id="${secondPage[0]}"] th a`).click();
  await page.waitForSelector('[data-testid=signals-table]');
  await page.goBack();
  await waitForText('[data-testid=page-range]', /^26–/);
  expect(await shownWorklistIds()).toEqual(secondPage);

  // A reload, and the link opened afresh elsewhere (the second page's cursor found from its number).
  await page.reload();
  await waitForText('[data-testid=page-range]', /^26–/);
  expect(await shownWorklistIds()).toEqual(secondPage);
  const shared = await openBrowser();
  try {
    await shared.page.goto(`${origin}/#/worklist?page=2`);
    await shared.page.locator('[data-testid=page-range]', { hasText: /^26–/ }).waitFor();
    const sharedIds = await shared.page
      .locator('[data-testid=worklist] tbody tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-customer-id')));
    expect(sharedIds).toEqual(secondPage);
  } finally {
    await shared.close();
  }

  // A filter starts again at the first page, and is kept in the link too.
  await page.getByLabel('Tier').selectOption('critical');
  expect(new URL(page.url()).hash).toBe('#/worklist?tier=critical');
  const critical = await api<WorklistPage>('{ worklist(first: 1, tier: "critical") { totalCount edges { node { id } } } }');
  await waitForText('[data-testid=page-range]', new RegExp(`^1–\\d+ of ${grouped(critical.worklist.totalCount)}$`));
  await page.reload();
  await waitForText('[data-testid=page-range]', new RegExp(`^1–\\d+ of ${grouped(critical.worklist.totalCount)}$`));
  expect(await page.getByLabel('Tier').inputValue()).toBe('critical');
  expect(await shownWorklistIds()).toEqual(await worklistIds(0, PAGE_SIZE, 'critical'));
}, 90_000);

it('opens a link to a page past the end of a list at its last page, and a link without a page at the first', async () => {
  const total = await worklistTotal();
  const lastPage = Math.ceil(total / PAGE_SIZE);
  await visit('#/worklist?page=40');
  await waitForText('[data-testid=page-range]', `${grouped((lastPage - 1) * PAGE_SIZE + 1)}–${grouped(total)} of ${grouped(total)}`);
  expect(new URL(page.url()).hash).toBe(`#/worklist?page=${lastPage}`);
  expect(await shownWorklistIds()).toEqual(await worklistIds((lastPage - 1) * PAGE_SIZE, PAGE_SIZE));
  for (const link of ['#/worklist', '#/worklist?page=0', '#/worklist?page=two']) {
    await visit(link);
    await waitForText('[data-testid=page-range]', `1–${PAGE_SIZE} of ${grouped(total)}`);
  }
}, 60_000);

it('opens a link whose page is no page number at the first page, and rewrites the link to say so', async () => {
  const total = await worklistTotal();
  for (const [link, hash] of [
    ['#/worklist?page=abc', '#/worklist'],
    ['#/worklist?page=-1', '#/worklist'],
    ['#/worklist?page=1.5', '#/worklist'],
    ['#/worklist?page=0', '#/worklist'],
    ['#/worklist?page=1', '#/worklist'],
    ['#/worklist?tier=critical&page=x', '#/worklist?tier=critical'],
    ['#/changes?page=abc', '#/changes'],
    ['#/outreach?page=-1', '#/outreach'],
  ]) {
    await visit(link);
    await page.waitForSelector('[data-testid=page-range]');
    expect({ link, hash: await settledHash(hash) }).toEqual({ link, hash });
    expect(await text('[data-testid=page-range]')).toMatch(/^1–/);
  }
  // A page number written otherwise is written as the pager writes it.
  await visit('#/worklist?page=02');
  await waitForText('[data-testid=page-range]', `26–${grouped(Math.min(total, 2 * PAGE_SIZE))} of ${grouped(total)}`);
  expect(await settledHash('#/worklist?page=2')).toBe('#/worklist?page=2');
}, 60_000);

it('adds a history entry for each page turned, so that back returns to the page before; a filter replaces it', async () => {
  const total = await worklistTotal();
  const [firstPage, secondPage] = [await worklistIds(0, PAGE_SIZE), await worklistIds(PAGE_SIZE, PAGE_SIZE)];
  await visit('#/worklist');
  await page.waitForSelector('[data-testid=worklist] tbody tr');
  await page.getByRole('button', { name: 'Next →' }).click();
  await waitForText('[data-testid=page-range]', /^26–/);
  expect(new URL(page.url()).hash).toBe('#/worklist?page=2');
  await page.goBack();
  await waitForText('[data-testid=page-range]', `1–${PAGE_SIZE} of ${grouped(total)}`);
  expect(new URL(page.url()).hash).toBe('#/worklist');
  expect(await shownWorklistIds()).toEqual(firstPage);
  await page.goForward();
  await waitForText('[data-testid=page-range]', /^26–/);
  expect(await shownWorklistIds()).toEqual(secondPage);
  // Previous is a page turned too.
  await page.getByRole('button', { name: '← Previous' }).click();
  await waitForText('[data-testid=page-range]', /^1–/);
  await page.goBack();
  await waitForText('[data-testid=page-range]', /^26–/);
  // A filter chosen on the second page takes that page's place: back goes to the first page, unfiltered.
  await page.getByLabel('Tier').selectOption('critical');
  expect(new URL(page.url()).hash).toBe('#/worklist?tier=critical');
  await page.goBack();
  await waitForText('[data-testid=page-range]', `1–${PAGE_SIZE} of ${grouped(total)}`);
  expect(new URL(page.url()).hash).toBe('#/worklist');
  expect(await page.getByLabel('Tier').inputValue()).toBe('');
}, 60_000);

it('opens a link far past the end of a list longer than one walk step (500 rows) at its last page', async () => {
  // Failed payments are changes: enough of them today for the changes to run over many 500-row steps.
  const [{ id }] = await sql<{ id: string }>(server.database, 'select id from customer order by id limit 1');
  await sql(
    server.database,
    `insert into payment (customer_id, external_id, amount_cents, currency, status, due_at, occurred_at)
     select $1, 'walk-' || n, 1000, 'EUR', 'FAILED', now() - interval '1 hour', now() - interval '1 hour'
     from generate_series(1, 1200) as n`,
    [id],
  );
  const since = new Date();
  since.setDate(since.getDate() - 1);
  since.setHours(0, 0, 0, 0);
  const { changes } = await api<{ changes: { totalCount: number } }>(
    `query($since: DateTime!) { changes(since: $since, first: 1) { totalCount } }`,
    { since: since.toISOString() },
  );
  expect(changes.totalCount).toBeGreaterThan(1200);
  const lastPage = Math.ceil(changes.totalCount / PAGE_SIZE);
  await visit('#/changes?page=100000');
  await waitForText(
    '[data-testid=page-range]',
    `${grouped((lastPage - 1) * PAGE_SIZE + 1)}–${grouped(changes.totalCount)} of ${grouped(changes.totalCount)}`,
    20_000,
  );
  expect(new URL(page.url()).hash).toBe(`#/changes?page=${lastPage}`);
}, 60_000);

it("keeps the outreach log's and the changes' filters in the link", async () => {
  await visit('#/outreach');
  await page.waitForSelector('[data-testid=outreach-log] tbody tr');
  await page.getByLabel('Audience').selectOption('TEAM');
  expect(new URL(page.url()).hash).toBe('#/outreach?audience=TEAM');
  await page.reload();
  const { outreachLog } = await api<{ outreachLog: { totalCount: number } }>('{ outreachLog(first: 1, audience: TEAM) { totalCount } }');
  await waitForText('main section.records h2', `Actions (${outreachLog.totalCount})`);
  expect(await page.getByLabel('Audience').inputValue()).toBe('TEAM');

  await visit('#/changes?since=2026-01-05&minScoreDrop=5');
  await waitForText('main h1', 'Changes since 5 Jan 2026');
  expect(await page.getByLabel('Smallest score drop').inputValue()).toBe('5');

  // A link edited by hand: what is no filter value is left out, as if it were not there.
  const pageErrors: string[] = [];
  const onPageError = (error: Error) => pageErrors.push(error.message);
  page.on('pageerror', onPageError);
  try {
    await visit('#/changes?since=someday&minScoreDrop=-4');
    await waitForText('main h1', 'Changes since yesterday');
    expect(await page.getByLabel('Smallest score drop').inputValue()).toBe('10');
    await visit('#/outreach?from=soon&to=2026-13-45&audience=EVERYONE&page=x');
    await page.waitForSelector('[data-testid=outreach-log] tbody tr');
    expect(await page.getByLabel('Audience').inputValue()).toBe('');
    expect(await page.locator('main [role=alert]').count()).toBe(0);
  } finally {
    page.off('pageerror', onPageError);
  }
  expect(pageErrors).toEqual([]);
}, 60_000);

it('keeps the keyboard focus on the pager when a page changes, on the other button when the one pressed is disabled', async () => {
  const total = await worklistTotal();
  await visit('#/worklist');
  await page.waitForSelector('[data-testid=worklist] tbody tr');
  await page.getByRole('button', { name: 'Next →' }).focus();
  await page.keyboard.press('Enter');
  await waitForText('[data-testid=page-range]', /^26–/);
  // On the last page Next is disabled: the focus is on Previous.
  await expect(focusedPagerButton()).resolves.toBe(total > 2 * PAGE_SIZE ? 'Next →' : '← Previous');
  // Without moving the focus, the keyboard pages on.
  await page.keyboard.press('Enter');
  await waitForText('[data-testid=page-range]', total > 2 * PAGE_SIZE ? /^51–/ : /^1–/);

  await visit('#/worklist?page=2');
  await waitForText('[data-testid=page-range]', /^26–/);
  await page.getByRole('button', { name: '← Previous' }).focus();
  await page.keyboard.press('Enter');
  await waitForText('[data-testid=page-range]', /^1–/);
  // The first page has no previous one: the focus is on Next.
  await expect(focusedPagerButton()).resolves.toBe('Next →');
}, 60_000);

it('says the rows of a page turned to, and gives the focus to the error in its place when the page cannot load', async () => {
  await visit('#/worklist');
  await page.waitForSelector('[data-testid=worklist] tbody tr');
  // Nothing said of the page the list opened at; the rows of each page turned to.
  expect(await text('[data-testid=page-status]')).toBe('');
  await page.getByRole('button', { name: 'Next →' }).focus();
  await page.keyboard.press('Enter');
  await waitForText('[data-testid=page-range]', /^26–/);
  const range = await text('[data-testid=page-range]');
  await waitForText('[data-testid=page-status][role=status]', `Rows ${range}`);
  // The server out of reach as the next page is asked for: the pager goes with the page.
  await page.route('**/graphql', (route) =>
    route.request().postDataJSON()?.operationName === 'Worklist' ? route.abort('connectionrefused') : route.fallback(),
  );
  try {
    await page.keyboard.press('Enter');
    await waitForText('main [role=alert]', /^Cannot reach the server/);
    expect(await page.locator('nav.pager').count()).toBe(0);
    expect(await page.evaluate('document.activeElement.textContent')).toMatch(/^Cannot reach the server/);
  } finally {
    await page.unrouteAll({ behavior: 'wait' });
  }
}, 60_000);

it('says nothing of the rows of a page turned to by an old link when no page has rows', async () => {
  await visit('#/customers');
  await page.waitForSelector('[data-testid=customers] tbody tr');
  // A link to the second page of a list that has no rows any more gives way to its first page.
  await visit('#/worklist?csmOwner=Nobody&page=2');
  await waitForText('main p.muted', 'No account needs attention with these filters.');
  await page.waitForTimeout(300);
  expect(new URL(page.url()).hash).toBe('#/worklist?csmOwner=Nobody');
  expect(await text('[data-testid=page-status]')).toBe('');
}, 60_000);

/** Waits until `read()` is at least `least`, or `timeout` ms have passed; returns it then. */
async function atLeast(read: () => number, least: number, timeout = 5000): Promise<number> {
  for (let waited = 0; read() < least && waited < timeout; waited += 50) await page.waitForTimeout(50);
  return read();
}

it('asks a list that got no answer again by itself, though the WebSocket stays up and no live event comes', async () => {
  let failing = true;
  await page.route('**/graphql', (route) =>
    failing && route.request().postDataJSON()?.operationName === 'Worklist' ? route.abort('connectionreset') : route.fallback(),
  );
  try {
    await visit('#/worklist');
    await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
    await waitForText('main [role=alert]', 'Cannot reach the server. The page asks again in a few seconds.');
    failing = false;
    // Nothing but the page's own back-off asks again: no event is published meanwhile.
    await page.waitForSelector('[data-testid=worklist] tbody tr', { timeout: 15_000 });
    expect(await page.locator('main [role=alert]').count()).toBe(0);
  } finally {
    await page.unrouteAll({ behavior: 'wait' });
  }
}, 60_000);

it("asks a list the server was too busy for again after the server's wait, and at once with Try again, its link or Apply", async () => {
  let retryAfterSeconds = 2;
  let refusing = true;
  const busy = () => ({
    status: 503,
    contentType: 'application/json',
    headers: { 'retry-after': String(retryAfterSeconds) },
    body: JSON.stringify({
      errors: [{ message: 'The connections were busy', extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds } }],
    }),
  });
  const asked: number[] = [];
  await page.route('**/graphql', (route) => {
    if (route.request().postDataJSON()?.operationName !== 'Worklist') return route.fallback();
    asked.push(Date.now());
    return refusing ? route.fulfill(busy()) : route.fallback();
  });
  try {
    await visit('#/worklist');
    await waitForText('main [role=alert]', 'The connections were busy. The page asks again in 2 s.');
    // Asked again after the server's 2 s, not sooner, and again after that.
    expect(await atLeast(() => asked.length, 3, 10_000)).toBeGreaterThanOrEqual(3);
    for (let index = 1; index < 3; index++) expect(asked[index] - asked[index - 1]).toBeGreaterThanOrEqual(1900);

    // Told to wait 30 s, the page asks at once when the user asks: Try again, the screen's link, Apply.
    retryAfterSeconds = 30;
    await waitForText('main [role=alert]', 'The connections were busy. The page asks again in 30 s.');
    for (const press of [
      page.getByRole('button', { name: 'Try again' }),
      page.getByRole('link', { name: 'Worklist', exact: true }),
      page.getByRole('button', { name: 'Apply' }),
    ]) {
      const before = asked.length;
      await press.click();
      expect(await atLeast(() => asked.length, before + 1, 2000)).toBe(before + 1);
      await waitForText('main [role=alert]', /in 30 s\.$/);
    }
    // Answered at last, asked again from the keyboard: the rows come, and the pager takes the focus.
    refusing = false;
    await page.getByRole('button', { name: 'Try again' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=worklist] tbody tr', { timeout: 2000 });
    await expect(focusedPagerButton()).resolves.toBe('Next →');
  } finally {
    await page.unrouteAll({ behavior: 'wait' });
  }
}, 60_000);

/** A what-if preview's answer of `changed` accounts, `first` of them after `after` (an index as cursor), as the API pages them. */
function previewAnswer(changed: number, first: number, after: string | null) {
  const start = after === null ? 0 : Number(after);
  const end = Math.min(changed, start + first);
  const tiers = (healthy: number) => [
    { tier: 'healthy', label: 'Healthy', count: healthy },
    { tier: 'critical', label: 'Critical', count: 300 - healthy },
  ];
  return {
    data: {
      previewScoringModel: {
        changed,
        current: tiers(250),
        proposed: tiers(250 - changed),
        changes: Array.from({ length: end - start }, (_, offset) => ({
          customerId: `moved-${start + offset + 1}`,
          name: `Moved ${start + offset + 1}`,
          arrCents: 100_000,
          fromTier: 'healthy',
          toTier: 'critical',
          toScore: 20,
        })),
        changesPageInfo: { hasNextPage: end < changed, endCursor: end > start ? String(end) : null },
      },
    },
  };
}

it("pages through the what-if preview's accounts as the API pages them, and asks a failed preview again with the same weights", async () => {
  const changed = 120;
  const sent: Array<{ first: number; after: string | null }> = [];
  let reachable = false;
  await page.route('**/graphql', (route) => {
    const body = route.request().postDataJSON();
    if (body?.operationName !== 'PreviewScoringModel') return route.fallback();
    if (!reachable) return route.abort('connectionreset');
    sent.push({ first: body.variables.first, after: body.variables.after });
    return route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify(previewAnswer(changed, body.variables.first, body.variables.after)),
    });
  });
  try {
    await visit('#/model');
    await page.getByRole('button', { name: 'Preview' }).click();
    // No answer: nothing is asked again by itself (a preview is the user's to ask), Preview asks it again.
    await waitForText('main [role=alert]', 'Cannot reach the server. Try again in a moment.');
    reachable = true;
    await page.getByRole('button', { name: 'Preview' }).click();
    await waitForText('[data-testid=preview-status]', `Preview ready: ${changed} accounts would change tier.`);
    const shown = () => page.locator('[data-testid=preview-changes] li a').allInnerTexts();
    expect(await shown()).toEqual(Array.from({ length: 50 }, (_, index) => `Moved ${index + 1}`));
    expect(await text('[data-testid=preview] [data-testid=page-range]')).toBe(`1–50 of ${changed}`);
    await page.getByRole('button', { name: 'Next →' }).click();
    await waitForText('[data-testid=preview] [data-testid=page-range]', `51–100 of ${changed}`);
    await page.getByRole('button', { name: 'Next →' }).click();
    await waitForText('[data-testid=preview] [data-testid=page-range]', `101–120 of ${changed}`);
    expect(await shown()).toEqual(Array.from({ length: 20 }, (_, index) => `Moved ${101 + index}`));
    expect(sent).toEqual([
      { first: 50, after: null },
      { first: 50, after: '50' },
      { first: 50, after: '100' },
    ]);
    expect(await page.getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true);
  } finally {
    await page.unrouteAll({ behavior: 'wait' });
  }
}, 60_000);

it('shows a loading note on the changes and the outreach log while their first page is asked for', async () => {
  for (const [route, operation, table] of [
    ['#/changes', 'Changes', '[data-testid=changes]'],
    ['#/outreach', 'OutreachLog', '[data-testid=outreach-log]'],
  ]) {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/graphql', async (route_) => {
      if (route_.request().postDataJSON()?.operationName === operation) await released;
      await route_.fallback();
    });
    try {
      await visit(route);
      await waitForText('main .loading', 'Loading…');
      expect(await page.locator(table).count()).toBe(0);
    } finally {
      release();
      await page.unrouteAll({ behavior: 'wait' });
    }
    await page.waitForSelector(`${table} tbody tr`);
    expect(await page.locator('main .loading').count()).toBe(0);
  }
}, 60_000);

it('looks customers up by name, id or CSM, paged, each linked to its page, with the keyboard alone', async () => {
  type Customers = { customers: { totalCount: number; edges: Array<{ node: { id: string; name: string; csmOwner: string | null } }> } };
  const everyone = await api<Customers>('{ customers(first: 500, orderBy: NAME_ASC) { totalCount edges { node { id name csmOwner } } } }');
  await visit('#/customers');
  await waitForText('main section.records h2', `Accounts (${everyone.customers.totalCount})`);
  const shownIds = () =>
    page.locator('[data-testid=customers] tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id')));
  expect(await shownIds()).toEqual(everyone.customers.edges.slice(0, PAGE_SIZE).map((edge) => edge.node.id));
  await page.getByRole('button', { name: 'Next →' }).click();
  await waitForText('[data-testid=page-range]', /^26–/);
  expect(await shownIds()).toEqual(everyone.customers.edges.slice(PAGE_SIZE, 2 * PAGE_SIZE).map((edge) => edge.node.id));
  expect(new URL(page.url()).hash).toBe('#/customers?page=2');

  // A healthy account, which no worklist lists: found by a part of its name, typed and sent with Enter.
  const [healthy] = (
    await api<Customers>('{ customers(first: 1, tier: "healthy", orderBy: NAME_ASC) { totalCount edges { node { id name csmOwner } } } }')
  ).customers.edges;
  const part = healthy.node.name.slice(1, 6).trim().toUpperCase();
  const matching = await api<Customers>(
    'query($search: String) { customers(first: 500, search: $search) { totalCount edges { node { id name csmOwner } } } }',
    {
      search: part,
    },
  );
  const search = page.getByRole('searchbox', { name: 'Name, id or CSM' });
  await search.focus();
  await page.keyboard.type(part);
  await page.keyboard.press('Enter');
  const count = matching.customers.totalCount;
  await waitForText('[data-testid=customers-found]', `${count} ${count === 1 ? 'customer matches' : 'customers match'} “${part}”.`);
  expect(new URL(page.url()).hash).toBe(`#/customers?${new URLSearchParams({ search: part })}`);
  expect(await shownIds()).toEqual(matching.customers.edges.slice(0, PAGE_SIZE).map((edge) => edge.node.id));
  expect({ violations: await seriousAxeViolations(page) }).toEqual({ violations: [] });
  // Tab from the field to the button, then to the account's link, and open it.
  await page.keyboard.press('Tab');
  expect(await page.evaluate('document.activeElement.textContent')).toBe('Search');
  await page.locator(`[data-testid=customers] a[href="#/customers/${encodeURIComponent(healthy.node.id)}"]`).focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=signals-table]');
  expect(await text('main h1')).toBe(healthy.node.name);
  // Back finds the search again; nothing found says so.
  await page.goBack();
  await waitForText('[data-testid=customers-found]', /customers? match/);
  expect(await search.inputValue()).toBe(part);
  await visit('#/customers?search=no-such-customer-anywhere');
  await waitForText('[data-testid=customers-found]', '0 customers match “no-such-customer-anywhere”.');
  await waitForText('main section.records p.muted', 'None.');
}, 60_000);

it('lets a live refetch in flight finish, and fetches once more after it, rather than abort it for a later event', async () => {
  await visit('#/worklist');
  await page.waitForSelector('[data-testid=worklist] tbody tr');
  await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
  const [id] = await worklistIds(0, 1);
  const worklistRequests: string[] = [];
  const failed: string[] = [];
  const onRequest = (request: { postDataJSON(): any }) => {
    if (request.postDataJSON()?.operationName === 'Worklist') worklistRequests.push('sent');
  };
  const onFailed = (request: { url(): string; failure(): { errorText: string } | null }) =>
    failed.push(`${request.url()} ${request.failure()?.errorText}`);
  page.on('request', onRequest);
  page.on('requestfailed', onFailed);
  // A slow server: each worklist answer takes 1.5 s, long enough for a second live event to arrive meanwhile.
  await page.route('**/graphql', async (route) => {
    if (route.request().postDataJSON()?.operationName === 'Worklist') await page.waitForTimeout(1500);
    await route.fallback().catch(() => undefined);
  });
  try {
    await api(`mutation($id: ID!) { refreshHealthScore(customerId: $id) { score } }`, { id });
    for (let waited = 0; worklistRequests.length === 0 && waited < 3000; waited += 50) await page.waitForTimeout(50);
    expect(worklistRequests).toHaveLength(1);
    await api(`mutation($id: ID!) { refreshHealthScore(customerId: $id) { score } }`, { id });
    await page.waitForTimeout(4500);
    expect(failed).toEqual([]);
    expect(worklistRequests).toHaveLength(2);
    expect(await page.locator('[data-testid=worklist] tbody tr').count()).toBeGreaterThan(0);
  } finally {
    page.off('request', onRequest);
    page.off('requestfailed', onFailed);
    await page.unrouteAll({ behavior: 'wait' });
  }
}, 60_000);

it('steps back to the last page with rows when a live change empties the page shown', async () => {
  const total = await worklistTotal();
  await visit('#/worklist');
  await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
  await page.getByRole('button', { name: 'Next →' }).click();
  await waitForText('[data-testid=page-range]', new RegExp(`^26–\\d+ of ${total}$`));
  // Cancelled accounts leave the worklist: all of it past the first page, then a rescore's live event.
  const { worklist } = await api<{ worklist: { edges: Array<{ node: { id: string; name: string } }> } }>(
    '{ worklist(first: 500) { edges { node { id name } } } }',
  );
  const churnedAt = new Date(Date.now() - DAY_MS).toISOString();
  for (const { node } of worklist.edges.slice(PAGE_SIZE))
    await api(
      'mutation($id: ID!, $name: String!, $at: DateTime!) { upsertCustomer(input: { id: $id, name: $name, churnedAt: $at }) { id } }',
      {
        ...node,
        at: churnedAt,
      },
    );
  const [staying] = await worklistIds(0, 1);
  await api(`mutation($id: ID!) { refreshHealthScore(customerId: $id) { score } }`, { id: staying });
  await waitForText('[data-testid=page-range]', `1–${PAGE_SIZE} of ${PAGE_SIZE}`);
  expect(new URL(page.url()).hash).toBe('#/worklist');
  expect(await page.locator('[data-testid=worklist] tbody tr').count()).toBe(PAGE_SIZE);
  expect(await text('main')).not.toContain('No account needs attention');
}, 60_000);

it('says when no account has the CSM owner filtered by, and offers the owners whose names hold it', async () => {
  const { customers } = await api<{ customers: { edges: Array<{ node: { csmOwner: string | null } }> } }>(
    '{ customers(first: 500) { edges { node { csmOwner } } } }',
  );
  const owner = customers.edges.map((edge) => edge.node.csmOwner).find((name): name is string => !!name && /^\S+ /.test(name))!;
  const typed = owner.split(' ')[0].toLowerCase();
  await visit(`#/worklist?csmOwner=${encodeURIComponent(typed)}`);
  await waitForText(
    '[data-testid=unknown-csm-owner]',
    new RegExp(`^No account has CSM owner “${typed}” \\(owners are matched exactly\\): did you mean .*${owner}`),
  );
  await page.locator('[data-testid=unknown-csm-owner] button', { hasText: owner }).click();
  await page.locator('[data-testid=unknown-csm-owner]').waitFor({ state: 'detached' });
  expect(new URL(page.url()).hash).toContain(`csmOwner=${encodeURIComponent(owner).replace(/%20/g, '+')}`);
  expect(await page.inputValue('input[type=search]')).toBe(owner);
}, 60_000);
