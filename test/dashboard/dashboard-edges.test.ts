// The dashboard at its edges, in headless Chromium against its own seeded server: a very long
// customer name, a phone 375 px wide, the Overview's tiers in their card on a laptop, a malformed or
// unknown link, errors said in words (a what-if weight left empty among them), a filter whose tier
// the model no longer has (or a link's that the worklist never holds), an invalid input, where focus
// and the tab's title go (a drill-down closed, the Model page's buttons while they run), what is
// said to screen readers of live tier changes (a burst in one sentence; an account's own on its
// page), and a preset activated from the Model page shown at once. The model is changed last, and
// restored.
import { isDeepStrictEqual } from 'node:util';
import type { Locator, Page, WebSocket } from 'playwright-core';
import { createKey } from '../helpers/auth';
import type { TestServer } from '../helpers/server';
import { axeRuleViolations, Browser, openBrowser, seriousAxeViolations, startRelay } from './browser';
import { collapse, healthyActiveCustomers } from './collapse';
import { closeSeededDashboard, openSeededDashboard, pageHelpers } from './page-helpers';

const PHONE = { width: 375, height: 740 };
const SMALL_PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 900 };
/** A name with no space to break at, as a careless import writes one. */
const LONG_NAME = 'Unbreakable'.repeat(40).slice(0, 400);

let server: TestServer;
let origin: string;
let browser: Browser;
let page: Page;
let longNamedId: string;

const { api, waitForText, visit, text } = pageHelpers(() => ({ server, page, origin }));

// In-page code works on the elements playwright hands over: the tests' TypeScript has no DOM library.

/** How wide the document is, and how wide the viewport it should fit. */
function documentWidth(target: Page): Promise<{ scrollWidth: number; viewport: number }> {
  return target.locator('html').evaluate((html) => ({ scrollWidth: html.scrollWidth, viewport: html.clientWidth }));
}

/** The elements inside `main` reaching past the viewport that no scroll box of their own holds. */
async function overflowingOutsideScrollContainers(target: Page): Promise<string[]> {
  const { viewport } = await documentWidth(target);
  return target
    .locator('main *')
    .evaluateAll(
      (elements, width) =>
        elements
          .filter((element) => element.getBoundingClientRect().right > width + 1 && element.closest('.table-scroll') === null)
          .map((element) => `${element.tagName.toLowerCase()}.${element.className}`),
      viewport,
    );
}

/** Waits until the focus is on the screen's h1, and returns that heading's text. */
async function focusedHeading(): Promise<string> {
  await page.locator('h1:focus').waitFor();
  return page.locator('h1:focus').innerText();
}

/**
 * Reads again until the answer is `expected` or the time is up, and returns the last answer
 * (waitForFunction would evaluate a string, which the page's Content-Security-Policy forbids).
 */
async function settled<T>(read: () => Promise<T>, expected: T, timeout = 10_000): Promise<T> {
  const until = Date.now() + timeout;
  let answer = await read();
  while (!isDeepStrictEqual(answer, expected) && Date.now() < until) {
    await page.waitForTimeout(100);
    answer = await read();
  }
  return answer;
}

/** The text of the choice a select shows: null when it shows none (selectedIndex -1, a blank box). */
function shownChoice(select: Locator): Promise<string | null> {
  return select.evaluate((element: any) => (element.selectedIndex >= 0 ? element.options[element.selectedIndex].text : null));
}

beforeAll(async () => {
  ({ server, origin, browser, page } = await openSeededDashboard('dashboard_edges', {
    customers: 60,
    days: 60,
    seed: 23,
    historyDays: 3,
    collapsed: 12,
  }));
  const { worklist } = await api<{ worklist: { edges: Array<{ node: { id: string } }> } }>(
    '{ worklist(first: 1) { edges { node { id } } } }',
  );
  longNamedId = worklist.edges[0].node.id;
  await api(`mutation($id: ID!, $name: String!) { upsertCustomer(input: { id: $id, name: $name }) { id } }`, {
    id: longNamedId,
    name: LONG_NAME,
  });
}, 300_000);

afterAll(() => closeSeededDashboard({ server, browser }));

it('wraps a 400-character name instead of pushing the worklist columns and the heading off screen', async () => {
  await visit('#/worklist');
  await page.waitForSelector(`[data-testid=worklist] tr[data-customer-id="${longNamedId}"]`);
  const { scrollWidth, viewport } = await documentWidth(page);
  expect(scrollWidth).toBeLessThanOrEqual(viewport);
  const worklist = await page.locator('[data-testid=worklist]').evaluate((table) => ({
    tableWidth: table.scrollWidth,
    boxWidth: table.parentElement.clientWidth,
    lastColumnRight: table.querySelector('thead th:last-child').getBoundingClientRect().right,
  }));
  expect(worklist.tableWidth).toBeLessThanOrEqual(worklist.boxWidth);
  expect(worklist.lastColumnRight).toBeLessThanOrEqual(viewport);

  await visit(`#/customers/${encodeURIComponent(longNamedId)}`);
  await page.waitForSelector('[data-testid=signals-table]');
  expect(await text('h1')).toBe(LONG_NAME);
  const heading = await page.locator('h1').evaluate((h1) => ({ scrollWidth: h1.scrollWidth, clientWidth: h1.clientWidth }));
  expect(heading.scrollWidth).toBeLessThanOrEqual(heading.clientWidth);
  const customerPage = await documentWidth(page);
  expect(customerPage.scrollWidth).toBeLessThanOrEqual(customerPage.viewport);
}, 60_000);

it('fits a 375 px phone on every screen: the page never scrolls sideways, wide tables scroll in their own box, reachable by keyboard', async () => {
  const phone = await openBrowser(PHONE);
  try {
    for (const [route, ready] of [
      ['#/', '[data-testid=tier-table]'],
      ['#/worklist', '[data-testid=worklist] tbody tr'],
      ['#/customers', '[data-testid=customers] tbody tr'],
      [`#/customers/${encodeURIComponent(longNamedId)}`, '[data-testid=signals-table]'],
      ['#/changes', '[data-testid=changes] tbody tr'],
      ['#/outreach', '[data-testid=outreach-log] tbody tr'],
      ['#/model', '[data-testid=presets]'],
    ]) {
      await phone.page.goto('about:blank');
      await phone.page.goto(`${origin}/${route}`);
      await phone.page.waitForSelector(ready);
      const width = (await documentWidth(phone.page)).scrollWidth;
      expect({ route, width }).toEqual({ route, width: PHONE.width });
      expect({ route, overflowing: await overflowingOutsideScrollContainers(phone.page) }).toEqual({ route, overflowing: [] });
      // A box that scrolls can be reached and scrolled with the keyboard.
      expect({ route, violations: await seriousAxeViolations(phone.page) }).toEqual({ route, violations: [] });
    }
  } finally {
    await phone.close();
  }
}, 90_000);

it('names each table that scrolls in its own box apart from the section around it, and keeps it reachable by keyboard', async () => {
  const phone = await openBrowser(PHONE);
  try {
    for (const [route, ready] of [
      ['#/worklist', '[data-testid=worklist] tbody tr'],
      ['#/changes', '[data-testid=changes] tbody tr'],
      ['#/outreach', '[data-testid=outreach-log] tbody tr'],
      ['#/customers', '[data-testid=customers] tbody tr'],
      [`#/customers/${encodeURIComponent(longNamedId)}`, '[data-testid=signals-table]'],
    ]) {
      await phone.page.goto('about:blank');
      await phone.page.goto(`${origin}/${route}`);
      await phone.page.waitForSelector(ready);
      // At this width the tables are wider than their box: each is a focusable region.
      expect(await phone.page.locator('.table-scroll[role=region][tabindex="0"]').count()).toBeGreaterThan(0);
      const violations = await axeRuleViolations(phone.page, ['landmark-unique', 'scrollable-region-focusable']);
      expect({ route, violations: violations.map((violation) => violation.id) }).toEqual({ route, violations: [] });
    }
  } finally {
    await phone.close();
  }
}, 90_000);

it("fits the model's signal weights, Weight column included, in their card on a laptop and on a phone", async () => {
  for (const viewport of [LAPTOP, SMALL_PHONE]) {
    const sized = await openBrowser(viewport);
    try {
      await sized.page.goto(`${origin}/#/model`);
      await sized.page.waitForSelector('[data-testid=model-signals] tbody tr');
      const fit = await sized.page.locator('[data-testid=model-signals]').evaluate((table) => {
        const card = table.closest('.card').getBoundingClientRect();
        const weight = table.querySelector('thead th:last-child').getBoundingClientRect();
        return { tableWidth: table.scrollWidth, boxWidth: table.parentElement.clientWidth, weightInCard: weight.right <= card.right };
      });
      expect({ viewport, fit }).toEqual({ viewport, fit: { tableWidth: fit.boxWidth, boxWidth: fit.boxWidth, weightInCard: true } });
    } finally {
      await sized.close();
    }
  }
}, 60_000);

it("fits the Overview's tiers, an eight-digit ARR included, in their card on a laptop, four cards abreast", async () => {
  const [id] = await healthyActiveCustomers(server, 1);
  const { customer } = await api<{ customer: { name: string } }>(`{ customer(id: "${id}") { name } }`);
  await api(`mutation($id: ID!, $name: String!) { upsertCustomer(input: { id: $id, name: $name, arrCents: 9000000000 }) { id } }`, {
    id,
    name: customer.name,
  });
  const laptop = await openBrowser(LAPTOP);
  try {
    await laptop.page.goto(`${origin}/#/`);
    await laptop.page.locator('tr[data-tier=healthy] [data-testid=tier-arr]', { hasText: /^\d{2},\d{3},\d{3}$/ }).waitFor();
    const fit = await laptop.page.locator('[data-testid=tier-table]').evaluate((table) => {
      const card = table.closest('.card').getBoundingClientRect();
      const arr = table.querySelector('thead th:last-child').getBoundingClientRect();
      return { tableWidth: table.scrollWidth, boxWidth: table.parentElement.clientWidth, arrInCard: arr.right <= card.right };
    });
    expect(fit).toEqual({ tableWidth: fit.boxWidth, boxWidth: fit.boxWidth, arrInCard: true });
    // Four cards abreast: the tiers' card is no wider than a quarter of the row.
    expect(
      await laptop.page
        .locator('main .cards > .card')
        .first()
        .evaluate((card) => card.getBoundingClientRect().width),
    ).toBeLessThan(LAPTOP.width / 4);
  } finally {
    await laptop.close();
  }
}, 60_000);

it('shows a not-found page with a way back to the worklist for a malformed link, an unknown customer and an unknown screen', async () => {
  const pageErrors: string[] = [];
  const onPageError = (error: Error) => pageErrors.push(error.message);
  page.on('pageerror', onPageError);
  try {
    for (const [route, heading] of [
      ['#/customers/50%25off%', 'Page not found'],
      ['#/customers/no-such-customer', 'Customer not found'],
      // Ids the server refuses as bad input rather than looks up: no customer is there either.
      ['#/customers/%20', 'Customer not found'],
      [`#/customers/${'x'.repeat(201)}`, 'Customer not found'],
      ['#/nowhere', 'Page not found'],
    ]) {
      await visit(route);
      await waitForText('main h1', heading);
      expect(await page.locator('main a[href="#/worklist"]').count()).toBe(1);
      expect(await text('main')).not.toMatch(/\[(GraphQL|Network)\]/);
    }
    expect(await text('main')).toContain('#/nowhere');
    expect(pageErrors).toEqual([]);
  } finally {
    page.off('pageerror', onPageError);
  }
}, 60_000);

it("says what went wrong in words, without the client library's [GraphQL] and [Network] prefixes", async () => {
  await visit('#/model');
  await page.waitForSelector('.weights input');
  for (const input of await page.locator('.weights input').all()) await input.fill('0');
  await page.getByRole('button', { name: 'Preview' }).click();
  await waitForText('main [role=alert]', /signal weights must not all be zero/);
  expect(await text('main [role=alert]')).not.toMatch(/^\[/);

  const relay = await startRelay(server.app.port);
  try {
    await visit('#/worklist', `http://127.0.0.1:${relay.port}`);
    await page.waitForSelector('[data-testid=worklist] tbody tr');
    relay.cut();
    await page.getByLabel('Tier').selectOption('at_risk');
    await waitForText('main [role=alert]', /^Cannot reach the server/);
  } finally {
    await relay.close();
  }
}, 60_000);

it('shows no pager under an empty worklist, only the words saying it is empty', async () => {
  await visit('#/worklist?csmOwner=nobody-owns-these');
  await waitForText('main p.muted', 'No account needs attention with these filters.');
  expect(await page.locator('main nav.pager').count()).toBe(0);
  await visit('#/worklist');
  await page.waitForSelector('main nav.pager [data-testid=page-range]');
}, 60_000);

it("shows both in the worklist's tier filter for a link naming a tier the worklist does not hold", async () => {
  const { worklist } = await api<{ worklist: { totalCount: number } }>('{ worklist(first: 1) { totalCount } }');
  for (const link of ['#/worklist?tier=healthy', '#/worklist?tier=bogus']) {
    await visit(link);
    await waitForText('[data-testid=page-range]', new RegExp(`of ${worklist.totalCount}$`));
    const tier = page.getByLabel('Tier');
    await tier.locator('option[value=critical]').waitFor({ state: 'attached' });
    expect({ link, hash: new URL(page.url()).hash, shown: await shownChoice(tier) }).toEqual({ link, hash: '#/worklist', shown: 'both' });
  }
  // A tier it holds is shown once the tiers are known.
  await visit('#/worklist?tier=critical');
  await page.waitForSelector('[data-testid=worklist] tbody tr');
  expect(await settled(() => shownChoice(page.getByLabel('Tier')), 'Critical')).toBe('Critical');
}, 60_000);

it('offers no lifecycle stage filter on the worklist, whose accounts are all at risk', async () => {
  await visit('#/worklist');
  await page.waitForSelector('[data-testid=worklist] tbody tr');
  expect(await page.getByLabel('Tier').count()).toBe(1);
  expect(await page.getByLabel('Lifecycle stage').count()).toBe(0);
  const { worklist } = await api<{ worklist: { edges: Array<{ node: { lifecycleStage: string } }> } }>(
    '{ worklist(first: 500) { edges { node { lifecycleStage } } } }',
  );
  expect(new Set(worklist.edges.map((edge) => edge.node.lifecycleStage))).toEqual(new Set(['AT_RISK']));
}, 60_000);

it('refuses a smallest score drop below 1 in words, and always says since when', async () => {
  await visit('#/changes');
  await page.waitForSelector('[data-testid=changes] tbody tr');
  expect(await text('main h1')).toBe('Changes since yesterday');
  const drop = page.getByLabel('Smallest score drop');
  expect(await drop.getAttribute('min')).toBe('1');
  await drop.fill('-3');
  await drop.dispatchEvent('change');
  await waitForText('main [role=alert]', /1 to 100/);
  expect(await drop.getAttribute('aria-invalid')).toBe('true');
  expect(await drop.inputValue()).toBe('-3');
  await drop.fill('5');
  await drop.dispatchEvent('change');
  await page.locator('main [role=alert]').waitFor({ state: 'detached' });

  const since = page.getByLabel('Since', { exact: true });
  await since.fill('');
  await since.dispatchEvent('change');
  await waitForText('main h1', 'Changes since yesterday');
  await since.fill('2026-01-05');
  await since.dispatchEvent('change');
  await waitForText('main h1', 'Changes since 5 Jan 2026');
}, 60_000);

it('draws the keyboard focus ring in a colour that stands out 3:1 from what is behind it, in the header and on the screen', async () => {
  await visit('#/worklist');
  await page.waitForSelector('[data-testid=worklist] tbody tr');
  const weak: string[] = [];
  for (let step = 0; step < 16; step++) {
    await page.keyboard.press('Tab');
    const ring = (await page.evaluate(`(() => {
      const element = document.activeElement;
      const style = getComputedStyle(element);
      const rgb = (colour) => colour.match(/[\\d.]+/g).map(Number);
      const luminance = ([r, g, b]) => [r, g, b].map((c) => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
        .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
      // The ring is drawn outside the element: what is behind it is the nearest ancestor's background.
      let behind = element.parentElement;
      while (behind && (rgb(getComputedStyle(behind).backgroundColor)[3] ?? 1) === 0) behind = behind.parentElement;
      const background = behind ? rgb(getComputedStyle(behind).backgroundColor) : [255, 255, 255];
      const [lighter, darker] = [luminance(rgb(style.outlineColor)), luminance(background)].sort((a, b) => b - a);
      return { what: element.tagName + ' ' + (element.textContent || element.getAttribute('aria-label') || '').trim().slice(0, 30), width: style.outlineWidth, contrast: (lighter + 0.05) / (darker + 0.05) };
    })()`)) as { what: string; width: string; contrast: number };
    if (ring.width === '0px' || ring.contrast < 3) weak.push(`${ring.what}: ${ring.contrast.toFixed(2)}:1, ${ring.width}`);
  }
  expect(weak).toEqual([]);
}, 60_000);

it('refuses an emptied what-if weight in words, previews nothing, and no longer says the last preview is ready', async () => {
  await visit('#/model');
  await page.waitForSelector('.weights input');
  await page.getByRole('button', { name: 'Preview' }).click();
  await waitForText('[data-testid=preview-status]', /^Preview ready: /, 30_000);
  const previews: string[] = [];
  const onRequest = (request: { method(): string; postDataJSON(): any }) => {
    if (request.method() === 'POST' && request.postDataJSON()?.operationName === 'PreviewScoringModel') previews.push('sent');
  };
  page.on('request', onRequest);
  try {
    const silence = page.getByLabel('silence', { exact: true });
    await silence.fill('');
    await page.getByRole('button', { name: 'Preview' }).click();
    await waitForText('main [role=alert]', 'Enter a weight from 0 to 1,000,000 for silence: nothing was previewed.');
    expect(await silence.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.weights input[name=silence]:focus').count()).toBe(1);
    expect(await text('[data-testid=preview-status]')).toBe('');
    // Neither is a weight below 0 taken, nor sent as typed.
    await silence.fill('-1');
    await page.getByRole('button', { name: 'Preview' }).click();
    await waitForText('main [role=alert]', 'Enter a weight from 0 to 1,000,000 for silence: nothing was previewed.');
    await page.waitForTimeout(500);
    expect(previews).toEqual([]);
    // Corrected, the weight is taken again.
    await silence.fill('5');
    await page.locator('main [role=alert]').waitFor({ state: 'detached' });
    expect(await silence.getAttribute('aria-invalid')).toBe('false');
    await page.getByRole('button', { name: 'Preview' }).click();
    await waitForText('[data-testid=preview-status]', /^Preview ready: /, 30_000);
    expect(previews).toEqual(['sent']);
  } finally {
    page.off('request', onRequest);
  }
}, 60_000);

it('refuses to run a backtest without its dates in words, instead of failing in the page', async () => {
  const pageErrors: string[] = [];
  const onPageError = (error: Error) => pageErrors.push(error.message);
  page.on('pageerror', onPageError);
  try {
    await visit('#/model');
    await page.waitForSelector('[data-testid=presets]');
    const from = page.getByRole('textbox', { name: 'From', exact: true });
    await from.fill('');
    await page.getByRole('button', { name: 'Run backtest' }).click();
    // The browser's own check stops the form: the empty field says it is missing, no request is made.
    expect(await from.evaluate((input) => input.validity.valueMissing)).toBe(true);
    expect(await page.getByRole('button', { name: 'Run backtest' }).isEnabled()).toBe(true);
    expect(pageErrors).toEqual([]);
  } finally {
    page.off('pageerror', onPageError);
  }
}, 60_000);

it("gives the focus back to the signal a drill-down was opened from, and names the drill-down's pager apart from the page's", async () => {
  const { npsResponses } = await api<{ npsResponses: { edges: Array<{ node: { customerId: string } }> } }>(
    '{ npsResponses(first: 1) { edges { node { customerId } } } }',
  );
  await visit(`#/customers/${encodeURIComponent(npsResponses.edges[0].node.customerId)}`);
  await page.waitForSelector('[data-testid=nps-answers]');
  await page.locator('[data-signal=nps] button').focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=raw-nps] li');
  expect(await page.locator('#drill-down-title:focus').count()).toBe(1);
  // Both lists of NPS answers have a pager: a screen reader's list of landmarks tells them apart.
  expect((await axeRuleViolations(page, ['landmark-unique'])).map((violation) => violation.id)).toEqual([]);
  await page.keyboard.press('Tab');
  expect(await page.evaluate('document.activeElement.textContent')).toBe('Close');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=drill-down]').waitFor({ state: 'detached' });
  expect(await page.locator('[data-signal=nps] button:focus').count()).toBe(1);
  // Escape closes it too, from anywhere in it.
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=raw-nps] li');
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=drill-down]').waitFor({ state: 'detached' });
  expect(await page.locator('[data-signal=nps] button:focus').count()).toBe(1);
}, 60_000);

it("moves focus to each new screen's heading, names the tab after the screen, and has its live announcements' region ready", async () => {
  await visit('');
  await page.waitForSelector('[data-testid=tier-table]');
  expect(await page.title()).toBe('Overview — healthgraph');
  // The live region is on the page before any change arrives, so a screen reader announces the first.
  expect(await page.locator('[data-testid=tier-changes-said][role=status]').count()).toBe(1);
  await page.getByRole('link', { name: 'Worklist' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=worklist] tbody tr');
  expect(await focusedHeading()).toBe('Worklist');
  expect(await page.title()).toBe('Worklist — healthgraph');

  await page.locator(`[data-customer-id="${longNamedId}"] th a`).press('Enter');
  await page.waitForSelector('[data-testid=signals-table]');
  expect(await focusedHeading()).toBe(LONG_NAME);
  expect(await page.title()).toBe(`${LONG_NAME} — healthgraph`);
  for (const [link, title] of [
    ['Changes', 'Changes'],
    ['Outreach log', 'Outreach log'],
    ['Model', 'Scoring model'],
  ]) {
    await page.getByRole('link', { name: link, exact: true }).click();
    expect(await settled(() => page.title(), `${title} — healthgraph`)).toBe(`${title} — healthgraph`);
  }
}, 60_000);

it('keeps the worklist within a 320 px phone when an admin gives its tiers 50-character labels', async () => {
  type Model = { scoringModel: { config: { tiers: Array<{ key: string; label: string }> } } };
  const { scoringModel } = await api<Model>('{ scoringModel { config } }');
  const original = scoringModel.config;
  // 50 characters that neither start nor end with white space (the server refuses such a label).
  const longLabel = (key: string) => `${key} accounts that need a call from their CSM today`.slice(0, 49).trimEnd().padEnd(50, '!');
  const relabelled = { ...original, tiers: original.tiers.map((tier) => ({ ...tier, label: longLabel(tier.key) })) };
  const activate = (config: unknown) =>
    api('mutation($config: JSON!) { updateScoringModel(input: { config: $config }) { version } }', { config });
  await activate(relabelled);
  const phone = await openBrowser({ width: 320, height: 640 });
  try {
    await phone.page.goto(`${origin}/#/worklist`);
    await phone.page.waitForSelector('[data-testid=worklist] tbody tr');
    await phone.page.locator('select option', { hasText: longLabel('critical') }).waitFor({ state: 'attached' });
    expect((await documentWidth(phone.page)).scrollWidth).toBe(320);
    expect(await overflowingOutsideScrollContainers(phone.page)).toEqual([]);
  } finally {
    await phone.close();
    await activate(original);
  }
}, 60_000);

it("resets the worklist's tier filter to both and lists the new model's tiers when the model changes", async () => {
  await visit('#/worklist');
  await page.waitForSelector('[data-testid=worklist] tbody tr');
  await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
  const tier = page.getByLabel('Tier');
  await tier.selectOption('at_risk');
  // The filtered list is shown: its pager, or the words saying it is empty (which has no pager).
  await page.waitForSelector('[data-testid=page-range], main p:has-text("No account needs attention")');
  try {
    // In five_band_thriving the two worst tiers are churning and critical: at_risk is never on the
    // worklist. The scheduler rescores everyone after an activation (off in tests): its run, by hand.
    await api('mutation { updateScoringModel(input: { tierPreset: "five_band_thriving" }) { version } }');
    await api('mutation { refreshAllHealthScores { status } }');
    const tierChoices = () => tier.locator('option').evaluateAll((options) => options.map((option) => option.value));
    expect(await settled(tierChoices, ['', 'critical', 'churning'], 20_000)).toEqual(['', 'critical', 'churning']);
    expect(await tier.inputValue()).toBe('');
    // Shown as both, not as a blank box that selects nothing.
    expect(await settled(() => shownChoice(tier), 'both')).toBe('both');
    expect(new URL(page.url()).hash).toBe('#/worklist');
    await page.waitForSelector('[data-testid=worklist] tbody tr');
    expect(await page.locator('main [role=alert]').count()).toBe(0);
  } finally {
    await api('mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }');
    await api('mutation { refreshAllHealthScores { status } }');
  }
}, 60_000);

it("shows the model it has just activated at once, with no rescoring run's live events to refetch it", async () => {
  type Model = { scoringModel: { version: number }; scoringModelPresets: Array<{ name: string; active: boolean }> };
  const activeNow = () => api<Model>('{ scoringModel { version } scoringModelPresets { name active } }');
  await visit('#/model');
  await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
  await page.getByRole('button', { name: 'four_tier is active', exact: true }).waitFor();
  const confirmEvery = (dialog: { accept(): Promise<void> }) => void dialog.accept();
  page.on('dialog', confirmEvery);
  try {
    // No run follows an activation here (the scheduler is off in tests): no tier moves, no live event
    // arrives, and only the page's own answer can show the new version.
    for (const [preset, before] of [
      ['three_tier', 'four_tier'],
      ['four_tier', 'three_tier'],
    ]) {
      const started = Date.now();
      await page.getByRole('button', { name: `Activate ${preset}`, exact: true }).click();
      await page.getByRole('button', { name: `${preset} is active`, exact: true }).waitFor({ timeout: 2000 });
      expect(Date.now() - started).toBeLessThan(2000);
      const { scoringModel, scoringModelPresets } = await activeNow();
      expect(scoringModelPresets.filter((item) => item.active).map((item) => item.name)).toEqual([preset]);
      expect(await text('[data-testid=model-version]')).toBe(`v${scoringModel.version}`);
      expect(await page.getByRole('button', { name: `Activate ${before}`, exact: true }).isEnabled()).toBe(true);
      expect(await text('[data-testid=activation-status]')).toBe(
        `Activated ${preset}: the model is v${scoringModel.version}, and every account is being rescored.`,
      );
    }
    expect(await page.locator('main [role=alert]').count()).toBe(0);
  } finally {
    page.off('dialog', confirmEvery);
    await api('mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }');
  }
}, 60_000);

it("says a burst of live tier changes as one sentence at most every few seconds, and an account's own tier change on its page", async () => {
  // The tier changes the page hears of: each comes in a WebSocket frame of its own.
  let heard = 0;
  const onWebSocket = (socket: WebSocket) =>
    socket.on('framereceived', ({ payload }) => {
      if (String(payload).includes('"healthTierChanged"')) heard++;
    });
  page.on('websocket', onWebSocket);
  await visit('');
  await page.waitForSelector('[data-testid=tier-table]');
  await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
  // The feed shows the changes; it is no live region itself, or each line would be said.
  expect(await page.locator('main [aria-live]:not([role=status])').count()).toBe(0);
  // Every sentence the region says, with when.
  await page.locator('[data-testid=tier-changes-said]').evaluate((region: any) => {
    const said: Array<{ text: string; at: number }> = [];
    const window = region.ownerDocument.defaultView;
    window.tierChangesSaid = said;
    new window.MutationObserver(() => said.push({ text: region.textContent, at: Date.now() })).observe(region, {
      childList: true,
      subtree: true,
    });
  });
  const said = () => page.evaluate(() => (globalThis as any).tierChangesSaid as Array<{ text: string; at: number }>);
  /** How many tier changes the sentences said count (one named alone counts one). */
  const countSaid = async () =>
    (await said()).reduce((sum, { text: sentence }) => sum + Number(/^(\d+) tier changes$/.exec(sentence)?.[1] ?? 1), 0);
  /** Activates `preset` and runs the rescoring after it (the scheduler's, by hand): most accounts change tier. */
  const activate = async (preset: string) => {
    await api(`mutation { updateScoringModel(input: { tierPreset: "${preset}" }) { version } }`);
    await api('mutation { refreshAllHealthScores { status } }');
  };
  try {
    await activate('five_band_thriving');
    await page.waitForTimeout(1000);
    expect(heard).toBeGreaterThan(10);
    // Every change heard is counted in what is said.
    expect(await settled(countSaid, heard, 20_000)).toBe(heard);
    // A second burst at once (back to the first preset) is said no sooner than 5 s after the first.
    const before = heard;
    await activate('four_tier');
    await page.waitForTimeout(1000);
    expect(heard).toBeGreaterThan(before);
    expect(await settled(countSaid, heard, 20_000)).toBe(heard);
    const sentences = await said();
    expect(sentences.length).toBeGreaterThanOrEqual(2);
    expect(sentences.length).toBeLessThan(heard / 5);
    for (const { text: sentence } of sentences) expect(sentence).toMatch(/^(\d+ tier changes|.+: [a-z ]+ to [a-z ]+)$/);
    for (let index = 1; index < sentences.length; index++)
      expect(sentences[index].at - sentences[index - 1].at).toBeGreaterThanOrEqual(4900);
    expect(await page.locator('[data-testid=live-feed] li').count()).toBe(10);
  } finally {
    page.off('websocket', onWebSocket);
    await activate('four_tier');
  }

  const [id] = await healthyActiveCustomers(server, 1);
  await visit(`#/customers/${encodeURIComponent(id)}`);
  await page.waitForSelector('[data-testid=customer-facts]');
  await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
  expect(await text('[data-testid=tier-change-said]')).toBe('');
  await collapse(server, id, 'said');
  const { refreshHealthScore } = await api<{ refreshHealthScore: { tier: string } }>(
    `mutation { refreshHealthScore(customerId: "${id}") { tier } }`,
  );
  expect(refreshHealthScore.tier).not.toBe('healthy');
  // Said as the page shows it: scored once as the records came, perhaps, and again by the refresh.
  await waitForText(
    '[data-testid=tier-change-said]',
    new RegExp(`^Tier changed from [a-z ]+ to ${refreshHealthScore.tier.replace(/_/g, ' ')}$`),
    5000,
  );
}, 90_000);

/** The element with the keyboard focus, as a screen reader names it; "body" when the focus is nowhere. */
function focusedElement(): Promise<string> {
  return page.evaluate(`(() => {
    const element = document.activeElement;
    return !element || element === document.body ? 'body' : element.tagName + ' ' + (element.getAttribute('aria-label') || element.textContent.trim());
  })()`) as Promise<string>;
}

/** Holds the page's requests of `operation` until the returned function is called. */
async function holdRequests(operation: string): Promise<() => Promise<void>> {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/graphql', async (route) => {
    if (route.request().postDataJSON()?.operationName === operation) await released;
    await route.fallback();
  });
  return async () => {
    release();
    await page.unrouteAll({ behavior: 'wait' });
  };
}

it('keeps the keyboard focus on Activate, Preview and Run backtest while each runs, and says when it is done', async () => {
  await visit('#/model');
  await page.waitForSelector('[data-testid=presets]');
  await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
  const confirmEvery = (dialog: { accept(): Promise<void> }) => void dialog.accept();
  page.on('dialog', confirmEvery);
  try {
    for (const { press, operation, running, focusedRunning, done, focusedDone, status } of [
      {
        press: page.getByRole('button', { name: 'Preview', exact: true }),
        operation: 'PreviewScoringModel',
        running: 'Previewing…',
        focusedRunning: 'BUTTON Previewing…',
        done: /^Preview ready: \d+ accounts? would change tier\.$/,
        focusedDone: 'BUTTON Preview',
        status: '[data-testid=preview-status]',
      },
      {
        press: page.getByRole('button', { name: 'Run backtest', exact: true }),
        operation: 'Backtest',
        running: 'Running the backtest…',
        focusedRunning: 'BUTTON Running…',
        done: /^Backtest done: \d+ accounts, AUC /,
        focusedDone: 'BUTTON Run backtest',
        status: '[data-testid=backtest-status]',
      },
      {
        press: page.getByRole('button', { name: 'Activate three_tier', exact: true }),
        operation: 'ActivateTierPreset',
        running: 'Activating three_tier…',
        focusedRunning: 'BUTTON Activate three_tier',
        done: /^Activated three_tier: the model is v\d+/,
        focusedDone: 'BUTTON three_tier is active',
        status: '[data-testid=activation-status]',
      },
    ]) {
      const release = await holdRequests(operation);
      try {
        await press.focus();
        await page.keyboard.press('Enter');
        await waitForText(status, running);
        expect(await focusedElement()).toBe(focusedRunning);
      } finally {
        await release();
      }
      await waitForText(status, done, 30_000);
      expect(await focusedElement()).toBe(focusedDone);
    }
  } finally {
    page.off('dialog', confirmEvery);
    await api('mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }');
  }
}, 90_000);

// Last: once a key exists, this file's server requires keys.
it('asks for a key without speaking of a revoked one when the server starts requiring keys under a key-less page', async () => {
  await visit('#/worklist');
  await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
  await createKey(server, ['admin'], undefined, 'first key');
  // The server closes the key-less socket (4401): the page had no key for it to refuse.
  await page.waitForSelector('#api-key', { timeout: 10_000 });
  expect(await text('[role=alert]')).toBe('This server requires an API key.');
}, 60_000);
