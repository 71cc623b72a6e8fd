// The CS dashboard in headless Chromium against a server seeded with the demo data set: every
// screen shows what the API answers, a tier change made through the API reaches an open worklist
// within 2 s, the drill-down reaches the raw events, the dashboard reconnects and catches up after
// losing its connection or being told live events were lost (RESYNC), the layout passes axe-core
// and fits a phone, and with keys it asks for one (read is enough to view; admin tools only for
// admin). Saves the README's screenshots.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createKey, post } from '../helpers/auth';
import { RedisBackedPubSub } from '../../src/infra/pubsub';
import { startTestServer, TestServer } from '../helpers/server';
import { collapse as collapseThrough, healthyActiveCustomers as healthyActive } from './collapse';
import { Browser, openBrowser, Relay, seriousAxeViolations, startRelay } from './browser';
import { closeSeededDashboard, openSeededDashboard, pageHelpers } from './page-helpers';

const SCREENSHOTS = path.join(__dirname, '../../docs/screenshots');
const DAY_MS = 86_400_000;

let server: TestServer;
let origin: string;
let browser: Browser;
let page: Page;

const { api, waitForText, visit, text, texts } = pageHelpers(() => ({ server, page, origin }));

const collapse = (id: string, label: string) => collapseThrough(server, id, label);
const healthyActiveCustomers = (first: number) => healthyActive(server, first);
/** The dashboard's figures are plain integers with grouping commas. */
const whole = (cents: number) => Math.round(cents / 100).toLocaleString('en-US');

beforeAll(async () => {
  ({ server, origin, browser, page } = await openSeededDashboard('dashboard', {
    customers: 150,
    days: 90,
    seed: 17,
    historyDays: 14,
    collapsed: 30,
  }));
}, 300_000);

afterAll(() => closeSeededDashboard({ server, browser }));

describe('with no key on a local server', () => {
  it('serves the overview at / with the figures of healthSummary and npsSummary, cancelled customers apart', async () => {
    await visit('');
    await page.waitForSelector('[data-testid=tier-table]');
    const npsFrom = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - 90 * DAY_MS).toISOString();
    const { healthSummary, npsSummary } = await api<{
      healthSummary: {
        totalCustomers: number;
        churnedCustomers: number;
        averageScore: number;
        tiers: Array<{ tier: string; count: number; arrCents: number }>;
        lifecycleStages: Array<{ stage: string; count: number }>;
        components: Array<{ name: string; averageScore: number }>;
      };
      npsSummary: { nps: number; responses: number; promoters: number; detractors: number };
    }>(
      `query($from: DateTime!) { healthSummary { totalCustomers churnedCustomers averageScore tiers { tier count arrCents } lifecycleStages { stage count } components { name averageScore } }
        npsSummary(from: $from) { nps responses promoters detractors } }`,
      { from: npsFrom },
    );
    // The customers counted beside the tier table are those it holds; the cancelled ones are said apart.
    const inTiers = healthSummary.tiers.reduce((sum, tier) => sum + tier.count, 0);
    expect(healthSummary.churnedCustomers).toBeGreaterThan(0);
    expect(inTiers).toBe(healthSummary.totalCustomers - healthSummary.churnedCustomers);
    expect(await text('[data-testid=customers-in-tiers]')).toBe(String(inTiers));
    expect(await text('[data-testid=churned-customers]')).toBe(String(healthSummary.churnedCustomers));
    expect(await text('[data-testid=average-score]')).toBe(healthSummary.averageScore.toFixed(1));
    expect(healthSummary.tiers.reduce((sum, tier) => sum + tier.arrCents, 0)).toBeGreaterThan(0);
    for (const tier of healthSummary.tiers) {
      expect(await text(`tr[data-tier=${tier.tier}] [data-testid=tier-count]`)).toBe(String(tier.count));
      expect(await text(`tr[data-tier=${tier.tier}] [data-testid=tier-arr]`)).toBe(whole(tier.arrCents));
    }
    for (const stage of healthSummary.lifecycleStages) expect(await text(`[data-stage=${stage.stage}] dd`)).toBe(String(stage.count));
    for (const component of healthSummary.components)
      expect(await text(`[data-component=${component.name}] .number`)).toBe(component.averageScore.toFixed(1));
    expect(npsSummary.responses).toBeGreaterThan(0);
    expect(await text('[data-testid=nps]')).toBe(String(npsSummary.nps));
    expect(await text('[data-testid=nps-responses]')).toBe(String(npsSummary.responses));
    expect(await text('[data-testid=nps-detractors]')).toBe(String(npsSummary.detractors));
    await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
    expect(await text('[data-testid=viewer]')).toBe('local session');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'overview.png'), fullPage: true });
  }, 60_000);

  it("lists the worklist in the API's order, pages through all of it, and filters by tier", async () => {
    await visit(`#/worklist`);
    await page.waitForSelector('[data-testid=worklist] tbody tr');
    const first = await api<{ worklist: { totalCount: number; edges: Array<{ node: { id: string; healthScore: number } }> } }>(
      '{ worklist(first: 25) { totalCount edges { node { id healthScore } } } }',
    );
    expect(first.worklist.totalCount).toBeGreaterThan(25);
    const shownIds = await page
      .locator('[data-testid=worklist] tbody tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-customer-id')));
    expect(shownIds).toEqual(first.worklist.edges.map((edge) => edge.node.id));
    expect(await texts('[data-testid=row-score]')).toEqual(first.worklist.edges.map((edge) => String(edge.node.healthScore)));
    expect(await text('[data-testid=page-range]')).toBe(`1–25 of ${first.worklist.totalCount}`);

    const seen = new Set(shownIds);
    for (let page_ = 1; page_ * 25 < first.worklist.totalCount; page_++) {
      await page.getByRole('button', { name: 'Next →' }).click();
      await waitForText('[data-testid=page-range]', new RegExp(`^${page_ * 25 + 1}–`));
      for (const id of await page
        .locator('[data-testid=worklist] tbody tr')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-customer-id'))))
        seen.add(id);
    }
    expect(seen.size).toBe(first.worklist.totalCount);
    await expect(page.getByRole('button', { name: 'Next →' }).isDisabled()).resolves.toBe(true);

    await page.getByLabel('Tier').selectOption('critical');
    const critical = await api<{ worklist: { totalCount: number } }>('{ worklist(first: 25, tier: "critical") { totalCount } }');
    await waitForText('[data-testid=page-range]', new RegExp(`^1–\\d+ of ${critical.worklist.totalCount}$`));
    expect(new Set(await texts('[data-testid=row-tier]'))).toEqual(new Set(['critical']));
  }, 60_000);

  it('shows a tier change made through the API on an open worklist within 2 s', async () => {
    await visit(`#/worklist`);
    await page.waitForSelector('[data-testid=worklist] tbody tr');
    await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
    const [id] = await healthyActiveCustomers(1);
    expect(await page.locator(`[data-customer-id="${id}"]`).count()).toBe(0);
    // The largest ARR of the book and a collapse in payments and support: first on the worklist.
    await api(`mutation { upsertCustomer(input: { id: "${id}", name: "Collapsing Co", arrCents: 9000000000000 }) { id } }`);
    await collapse(id, 'live');
    const rescored = await api<{ refreshHealthScore: { tier: string } }>(`mutation { refreshHealthScore(customerId: "${id}") { tier } }`);
    expect(['at_risk', 'critical']).toContain(rescored.refreshHealthScore.tier);
    const changedAt = Date.now();
    await page.waitForSelector(`[data-testid=worklist] tbody tr:first-child[data-customer-id="${id}"]`, { timeout: 2000 });
    expect(Date.now() - changedAt).toBeLessThan(2000);
    expect(await text(`[data-customer-id="${id}"] th a`)).toBe('Collapsing Co');
  }, 60_000);

  it("refetches a customer's page for that customer's live events, not for other customers'", async () => {
    const [shown, other] = await healthyActiveCustomers(2);
    await visit(`#/customers/${encodeURIComponent(shown)}`);
    await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
    await page.waitForSelector('[data-testid=customer-score]');
    const before = await text('[data-testid=customer-score]');
    const queries: string[] = [];
    const onRequest = (request: { url(): string; method(): string }) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/graphql') queries.push(request.url());
    };
    page.on('request', onRequest);
    try {
      // Another customer's collapse: its tier change and score updates reach the page, which stays put.
      await collapse(other, 'elsewhere');
      await api(`mutation { refreshHealthScore(customerId: "${other}") { tier } }`);
      await page.waitForTimeout(1500);
      expect(queries).toHaveLength(0);
      await collapse(shown, 'here');
      const { refreshHealthScore } = await api<{ refreshHealthScore: { score: number } }>(
        `mutation { refreshHealthScore(customerId: "${shown}") { score } }`,
      );
      expect(String(refreshHealthScore.score)).not.toBe(before);
      await waitForText('[data-testid=customer-score]', String(refreshHealthScore.score), 2000);
      expect(queries.length).toBeGreaterThan(0);
    } finally {
      page.off('request', onRequest);
    }
  }, 60_000);

  it("opens a customer with the API's score, signals and records, and drills down to the raw events of a signal", async () => {
    const { worklist } = await api<{ worklist: { edges: Array<{ node: { id: string } }> } }>(
      '{ worklist(first: 3) { edges { node { id } } } }',
    );
    const id = worklist.edges[2].node.id;
    await visit(`#/customers/${encodeURIComponent(id)}`);
    await page.waitForSelector('[data-testid=signals-table]');
    const { customer } = await api<{
      customer: {
        healthScore: number;
        arrCents: number;
        currentScore: { asOf: string; coverage: number; signals: Array<{ name: string; contribution: number }> };
        payments: { totalCount: number };
        supportTickets: { totalCount: number };
        npsResponses: { totalCount: number };
        outreach: { totalCount: number };
      };
    }>(
      `{ customer(id: "${id}") { healthScore arrCents currentScore { asOf coverage signals { name contribution } } payments { totalCount } supportTickets { totalCount } npsResponses { totalCount } outreach { totalCount } } }`,
    );
    expect(await text('[data-testid=customer-score]')).toBe(String(customer.healthScore));
    expect(await text('[data-testid=customer-arr]')).toBe(whole(customer.arrCents));
    expect(await text('[data-testid=coverage]')).toBe(`${(customer.currentScore.coverage * 100).toFixed(0)}\u00a0%`);
    for (const signal of customer.currentScore.signals) {
      expect(await text(`[data-signal=${signal.name}] [data-testid=signal-contribution]`)).toBe(signal.contribution.toFixed(2));
    }
    for (const [list, connection] of [
      ['payments', customer.payments],
      ['tickets', customer.supportTickets],
      ['nps-answers', customer.npsResponses],
      ['customer-outreach', customer.outreach],
    ] as const) {
      const heading = page.locator(`section.records:has([data-testid=${list}]) h2, section.records:not(:has(table)) h2`);
      if (connection.totalCount > 0)
        expect(await page.locator(`section.records:has([data-testid=${list}]) h2 .muted`).innerText()).toBe(`(${connection.totalCount})`);
      expect(await heading.count()).toBeGreaterThan(0);
    }
    await page.waitForSelector('.chart canvas');
    expect(await text('[data-testid=model-changes]')).toMatch(/^Model version \d+ throughout\.$/);

    // Drill-down: the silence signal is computed from the last 60 days of events.
    await page.locator('[data-signal=silence] button').click();
    await page.waitForSelector('[data-testid=raw-events] tbody tr');
    const asOf = Date.parse(customer.currentScore.asOf);
    const events = await api<{ customer: { engagementEvents: { totalCount: number; edges: Array<{ node: { id: string } }> } } }>(
      `query($from: DateTime!, $to: DateTime!) { customer(id: "${id}") { engagementEvents(from: $from, to: $to, first: 20) { totalCount edges { node { id } } } } }`,
      { from: new Date(asOf - 60 * DAY_MS).toISOString(), to: new Date(asOf + 1000).toISOString() },
    );
    expect(events.customer.engagementEvents.totalCount).toBeGreaterThan(0);
    expect(await text('[data-testid=raw-events-total]')).toBe(String(events.customer.engagementEvents.totalCount));
    const shown = await page
      .locator('[data-testid=raw-events] tbody tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-event-id')));
    expect(shown).toEqual(events.customer.engagementEvents.edges.map((edge) => edge.node.id));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'customer.png'), fullPage: true });
  }, 60_000);

  it('lists the outreach log as the API does, with its filters', async () => {
    await visit(`#/outreach`);
    await page.waitForSelector('[data-testid=outreach-log] tbody tr');
    const all = await api<{ outreachLog: { totalCount: number; edges: Array<{ node: { id: string } }> } }>(
      '{ outreachLog(first: 25) { totalCount edges { node { id } } } }',
    );
    expect(all.outreachLog.totalCount).toBeGreaterThan(0);
    expect(
      await page.locator('[data-testid=outreach-log] tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id'))),
    ).toEqual(all.outreachLog.edges.map((edge) => edge.node.id));
    await page.getByLabel('Audience').selectOption('TEAM');
    const team = await api<{ outreachLog: { totalCount: number } }>('{ outreachLog(audience: TEAM) { totalCount } }');
    await waitForText('[aria-label=Actions] h2 .muted', `(${team.outreachLog.totalCount})`);
    const today = new Date();
    const tomorrow = `${today.getFullYear() + 1}-01-01`;
    await page.getByLabel('From').fill(tomorrow);
    await page.getByLabel('From').dispatchEvent('change');
    await waitForText('[aria-label=Actions] h2 .muted', '(0)');
  }, 60_000);

  it('lists the changes since yesterday as the API does', async () => {
    await visit(`#/changes`);
    const since = new Date();
    since.setDate(since.getDate() - 1);
    since.setHours(0, 0, 0, 0);
    const { changes } = await api<{ changes: { totalCount: number; edges: Array<{ node: { id: string } }> } }>(
      `{ changes(since: "${since.toISOString()}", first: 25) { totalCount edges { node { id } } } }`,
    );
    expect(changes.totalCount).toBeGreaterThan(0);
    await page.waitForSelector('[data-testid=changes] tbody tr');
    expect(
      await page.locator('[data-testid=changes] tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id'))),
    ).toEqual(changes.edges.map((edge) => edge.node.id));
  }, 60_000);

  it('shows the model and its presets, and previews a what-if for an admin', async () => {
    await visit(`#/model`);
    await page.waitForSelector('[data-testid=presets]');
    const { scoringModel, scoringModelPresets } = await api<{
      scoringModel: { version: number; config: { components: Array<{ signals: Array<{ name: string; weight: number }> }> } };
      scoringModelPresets: Array<{ name: string; active: boolean }>;
    }>('{ scoringModel { version config } scoringModelPresets { name active } }');
    expect(await text('[data-testid=model-version]')).toBe(`v${scoringModel.version}`);
    expect(await page.locator('[data-preset]').evaluateAll((items) => items.map((item) => item.getAttribute('data-preset')))).toEqual(
      scoringModelPresets.map((preset) => preset.name),
    );
    // The preset whose tiers the model has reads as active, with nothing to activate; the others can be.
    expect(scoringModelPresets.filter((preset) => preset.active).map((preset) => preset.name)).toEqual(['four_tier']);
    const active = page.getByRole('button', { name: 'four_tier is active', exact: true });
    expect([await active.textContent(), await active.isDisabled()]).toEqual(['Active', true]);
    expect(await page.getByRole('button', { name: 'Activate four_tier', exact: true }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Activate five_band_thriving', exact: true }).isEnabled()).toBe(true);
    // What if silence counted for nothing?
    await page.getByLabel('silence', { exact: true }).fill('0');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.waitForSelector('[data-testid=preview-changed]', { timeout: 30_000 });
    const config = {
      ...scoringModel.config,
      components: scoringModel.config.components.map((component) => ({
        ...component,
        signals: component.signals.map((signal) => (signal.name === 'silence' ? { ...signal, weight: 0 } : signal)),
      })),
    };
    const preview = await api<{ previewScoringModel: { changed: number } }>(
      'query($config: JSON!) { previewScoringModel(config: $config, first: 50) { changed } }',
      { config },
    );
    expect(await text('[data-testid=preview-changed]')).toBe(String(preview.previewScoringModel.changed));
  }, 60_000);

  it('moves between screens with the keyboard alone', async () => {
    await visit('');
    await page.waitForSelector('[data-testid=tier-table]');
    await page.keyboard.press('Tab'); // skip link
    await page.keyboard.press('Tab'); // Overview
    await page.keyboard.press('Tab'); // Worklist
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Worklist');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=worklist] tbody tr');
    expect(await page.evaluate('location.hash')).toBe('#/worklist');
  }, 30_000);

  it('has no serious axe-core violations on any screen', async () => {
    const { worklist } = await api<{ worklist: { edges: Array<{ node: { id: string } }> } }>(
      '{ worklist(first: 1) { edges { node { id } } } }',
    );
    for (const [route, ready] of [
      ['#/', '[data-testid=tier-table]'],
      ['#/worklist', '[data-testid=worklist] tbody tr'],
      [`#/customers/${worklist.edges[0].node.id}`, '[data-testid=signals-table]'],
      ['#/customers', '[data-testid=customers] tbody tr'],
      ['#/changes', '[data-testid=changes] tbody tr'],
      ['#/outreach', '[data-testid=outreach-log] tbody tr'],
      ['#/model', '[data-testid=presets]'],
    ]) {
      await visit(route);
      await page.waitForSelector(ready);
      expect({ route, violations: await seriousAxeViolations(page) }).toEqual({ route, violations: [] });
    }
  }, 120_000);

  it('fits a phone screen: nothing wider than the viewport but the tables that scroll', async () => {
    const phone = await openBrowser({ width: 390, height: 844 });
    try {
      for (const route of ['#/', '#/worklist']) {
        await phone.page.goto(`${origin}/${route}`);
        await phone.page.waitForSelector('main table');
        expect(await phone.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      }
    } finally {
      await phone.close();
    }
  }, 60_000);

  it('reconnects after losing its connection, saying meanwhile as of when the screen is, and catches up with the tier changes it missed', async () => {
    const relay: Relay = await startRelay(server.app.port);
    try {
      await visit('', `http://127.0.0.1:${relay.port}`);
      await page.waitForSelector('[data-testid=tier-table]');
      await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
      relay.cut();
      await page.waitForSelector('[data-testid=live-indicator][data-status=reconnecting]', { timeout: 30_000 });
      // The screen says it stopped following the live changes, and since when.
      await waitForText('[data-testid=as-of]', /^Reconnecting: what is shown is as of \d{2}:\d{2}, /);
      // While the dashboard is away, an account is rescored into another tier.
      const [id] = await healthyActiveCustomers(1);
      await collapse(id, 'away');
      const rescored = await api<{ refreshHealthScore: { tier: string } }>(`mutation { refreshHealthScore(customerId: "${id}") { tier } }`);
      expect(rescored.refreshHealthScore.tier).not.toBe('healthy');
      relay.restore();
      await page.waitForSelector('[data-testid=live-indicator][data-status=live]', { timeout: 30_000 });
      await waitForText('[data-testid=live-indicator]', /caught up [1-9]/);
      expect(await page.locator('[data-testid=as-of]').count()).toBe(0);
      await page.locator(`[data-testid=live-feed] a[href="#/customers/${id}"]`).first().waitFor({ timeout: 5000 });
    } finally {
      await relay.close();
    }
  }, 90_000);

  it('counts as caught up only the tier changes made while it was away, not those from just before the page opened', async () => {
    const [beforeOpen, whileAway] = await healthyActiveCustomers(2);
    await collapse(beforeOpen, 'before-open');
    await api(`mutation { refreshHealthScore(customerId: "${beforeOpen}") { tier } }`);
    const relay: Relay = await startRelay(server.app.port);
    try {
      await visit('', `http://127.0.0.1:${relay.port}`);
      await page.waitForSelector('[data-testid=tier-table]');
      await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
      const openedAt = new Date().toISOString();
      relay.cut();
      await page.waitForSelector('[data-testid=live-indicator][data-status=reconnecting]', { timeout: 30_000 });
      // The screen says it stopped following the live changes, and since when.
      await waitForText('[data-testid=as-of]', /^Reconnecting: what is shown is as of \d{2}:\d{2}, /);
      await collapse(whileAway, 'while-away');
      await api(`mutation { refreshHealthScore(customerId: "${whileAway}") { tier } }`);
      const { tierChanges } = await api<{ tierChanges: { edges: Array<{ node: { customerId: string; changedAt: string } }> } }>(
        'query($since: DateTime!) { tierChanges(since: $since, first: 500) { edges { node { customerId changedAt } } } }',
        { since: openedAt },
      );
      // `since` also answers the changes of a full run going on then (or a minute before), dated
      // earlier: the page had those when it opened.
      const missed = tierChanges.edges.filter((edge) => edge.node.changedAt >= openedAt).map((edge) => edge.node.customerId);
      expect(missed).toContain(whileAway);
      expect(missed).not.toContain(beforeOpen);
      relay.restore();
      await page.waitForSelector('[data-testid=live-indicator][data-status=live]', { timeout: 30_000 });
      await waitForText('[data-testid=live-indicator]', /caught up \d+$/);
      expect(await text('[data-testid=live-indicator]')).toBe(`Live · caught up ${missed.length}`);
      await page.locator(`[data-testid=live-feed] a[href="#/customers/${whileAway}"]`).first().waitFor({ timeout: 5000 });
      expect(await page.locator(`[data-testid=live-feed] a[href="#/customers/${beforeOpen}"]`).count()).toBe(0);
    } finally {
      await relay.close();
    }
  }, 90_000);

  it("catches up the tier changes it missed when the browser's clock is ahead of the server's", async () => {
    const skewed = await openBrowser();
    const relay: Relay = await startRelay(server.app.port);
    try {
      await skewed.page.clock.install({ time: new Date(Date.now() + 10 * 60_000) });
      await skewed.page.clock.resume();
      await skewed.page.goto(`http://127.0.0.1:${relay.port}/`);
      await skewed.page.waitForSelector('[data-testid=tier-table]');
      await skewed.page.waitForSelector('[data-testid=live-indicator][data-status=live]');
      // Cut before any live event: the page has seen no change to date a catch-up from.
      relay.cut();
      await skewed.page.waitForSelector('[data-testid=live-indicator][data-status=reconnecting]', { timeout: 30_000 });
      const [id] = await healthyActiveCustomers(1);
      await collapse(id, 'skewed');
      const rescored = await api<{ refreshHealthScore: { tier: string } }>(`mutation { refreshHealthScore(customerId: "${id}") { tier } }`);
      expect(rescored.refreshHealthScore.tier).not.toBe('healthy');
      relay.restore();
      await skewed.page.waitForSelector('[data-testid=live-indicator][data-status=live]', { timeout: 30_000 });
      await skewed.page.locator('[data-testid=live-indicator]', { hasText: /caught up \d+$/ }).waitFor({ timeout: 10_000 });
      expect(await skewed.page.locator('[data-testid=live-indicator]').innerText()).toMatch(/caught up [1-9]/);
      await skewed.page.locator(`[data-testid=live-feed] a[href="#/customers/${id}"]`).first().waitFor({ timeout: 5000 });
    } finally {
      await relay.close();
      await skewed.close();
    }
  }, 90_000);

  it('catches up and refetches the open screen when the server says live events were lost (RESYNC)', async () => {
    // A second instance, on Redis: the first publishes in its own process only, so its tier changes
    // never reach this one live, as events published while Redis was away never do.
    const second = await startTestServer({ database: server.database, redis: true, env: { RESCORE_SWEEP_MS: '0' } });
    try {
      await visit('#/worklist', new URL(second.url).origin);
      await page.waitForSelector('[data-testid=worklist] tbody tr');
      await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
      const [id] = await healthyActiveCustomers(1);
      const lostSince = new Date();
      await api(`mutation { upsertCustomer(input: { id: "${id}", name: "Lost Event Co", arrCents: 9100000000000 }) { id } }`);
      await collapse(id, 'lost');
      const rescored = await api<{ refreshHealthScore: { tier: string } }>(`mutation { refreshHealthScore(customerId: "${id}") { tier } }`);
      expect(['at_risk', 'critical']).toContain(rescored.refreshHealthScore.tier);
      await page.waitForTimeout(1000);
      expect(await page.locator(`[data-customer-id="${id}"]`).count()).toBe(0);
      (second.app.pubsub as RedisBackedPubSub).announceLost(lostSince);
      await page.waitForSelector(`[data-testid=worklist] tbody tr:first-child[data-customer-id="${id}"]`, { timeout: 5000 });
      await waitForText('[data-testid=live-indicator]', /caught up [1-9]/);
      expect(await page.locator('[data-testid=as-of]').count()).toBe(0);
    } finally {
      await second.stop();
    }
  }, 90_000);

  it('loads nothing from outside this machine', () => {
    expect(browser.foreign).toEqual([]);
  });
});

describe('once the server requires keys', () => {
  let admin: string;
  let reader: string;

  beforeAll(async () => {
    admin = (await createKey(server, ['admin'], undefined, 'dashboard admin')).key;
    reader = (await createKey(server, ['read'], admin, 'cs team')).key;
  });

  async function enterKey(key: string): Promise<void> {
    await page.getByLabel(/API key/).fill(key);
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
  }

  it('asks for a key, refuses a wrong one, and opens with a read key kept for the session', async () => {
    await visit('');
    await page.waitForSelector('#api-key');
    expect(await text('[role=alert]')).toBe('This server requires an API key.');
    await enterKey(`${reader}x`);
    await waitForText('[role=alert]', /^This key is not valid/);
    await enterKey(reader);
    await page.waitForSelector('[data-testid=tier-table]');
    await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
    expect(await text('[data-testid=viewer]')).toBe('cs team (read)');
    // Kept for the tab's session: a reload opens without asking again.
    await page.reload();
    await page.waitForSelector('[data-testid=tier-table]');
  }, 60_000);

  it('hides the admin tools from a read key and shows them to an admin key', async () => {
    await visit(`#/model`);
    await page.waitForSelector('[data-testid=presets]');
    expect(await page.locator('[data-testid=admin-only-note]').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Preview' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Activate' }).count()).toBe(0);
    // The preset in use is said in words instead.
    expect(await text('[data-preset=four_tier]')).toContain('(active)');
    expect(await text('[data-preset=three_tier]')).not.toContain('(active)');
    await page.getByRole('button', { name: 'Forget key' }).click();
    await enterKey(admin);
    await page.waitForSelector('[data-testid=viewer]');
    await visit(`#/model`);
    await page.waitForSelector('[data-testid=presets]');
    expect(await page.getByRole('button', { name: 'Preview' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Activate' }).count()).toBeGreaterThan(0);
    // Each Activate button says which preset it activates, for a screen reader's list of buttons.
    expect(await page.getByRole('button', { name: 'Activate five_band_thriving', exact: true }).count()).toBe(1);
  }, 60_000);

  it('goes live again after a restarted server refused its reconnect for wrong secrets sent from its address (4429)', async () => {
    // A short window, so that the address's lockout ends within the test.
    const env = { AUTH_FAILURE_LIMIT: '3', RATE_LIMIT_WINDOW_SECONDS: '8', RESCORE_SWEEP_MS: '0' };
    const before = await startTestServer({ database: server.database, env });
    const port = before.app.port;
    const relay: Relay = await startRelay(port);
    let after: TestServer | undefined;
    try {
      await visit('', `http://127.0.0.1:${relay.port}`);
      await enterKey(reader);
      await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
      relay.cut();
      await before.stop();
      await page.waitForSelector('[data-testid=live-indicator][data-status=reconnecting]', { timeout: 30_000 });
      // The server is back, and someone on the same address tries wrong secrets of the same key: a
      // server that has not seen the key since it started refuses it from there for the window.
      after = await startTestServer({ database: server.database, env: { ...env, PORT: String(port) } });
      const wrongSecret = `${reader.slice(0, -1)}${reader.endsWith('A') ? 'B' : 'A'}`;
      for (let attempt = 0; attempt < 4; attempt++) await post(after.url, '{ viewer { scopes } }', {}, wrongSecret);
      expect((await post(after.url, '{ viewer { scopes } }', {}, reader)).status).toBe(429);
      relay.restore();
      // Its reconnect within the window is closed 4429; once the window is over it must connect again.
      await page.waitForSelector('[data-testid=live-indicator][data-status=live]', { timeout: 30_000 });
    } finally {
      await relay.close();
      await after?.stop();
    }
  }, 90_000);

  it("takes up its live updates again when a reconnect's subscriptions were refused for the key's spent rate limit", async () => {
    // A small budget and a short window, so that the key's budget is spent, and back, within the test.
    const second = await startTestServer({
      database: server.database,
      env: { RATE_LIMIT_REQUESTS: '30', RATE_LIMIT_WINDOW_SECONDS: '10', RESCORE_SWEEP_MS: '0' },
    });
    const relay: Relay = await startRelay(second.app.port);
    const asReader = () => post(second.url, '{ viewer { scopes } }', {}, reader);
    try {
      await visit('', `http://127.0.0.1:${relay.port}`);
      await enterKey(reader);
      await page.waitForSelector('[data-testid=tier-table]');
      await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
      relay.cut();
      await page.waitForSelector('[data-testid=live-indicator][data-status=reconnecting]', { timeout: 30_000 });
      // The screen says it stopped following the live changes, and since when.
      await waitForText('[data-testid=as-of]', /^Reconnecting: what is shown is as of \d{2}:\d{2}, /);
      // The rest of the team, on the same key, spends its budget: the reconnect's subscriptions are refused RATE_LIMITED.
      for (let spent = 0; spent < 100 && (await asReader()).status !== 429; spent++);
      relay.restore();
      await page.waitForSelector('[data-testid=live-indicator][data-status=live]', { timeout: 30_000 });
      const healthy = await post<{ customers: { edges: Array<{ node: { id: string } }> } }>(
        second.url,
        '{ customers(first: 2, tier: "healthy", lifecycleStage: ACTIVE, orderBy: SCORE_DESC) { edges { node { id } } } }',
        {},
        admin,
      );
      expect(healthy.body.errors).toBeUndefined();
      const [whileRefused, afterwards] = healthy.body.data!.customers.edges.map((edge) => edge.node.id);
      const putAtRisk = async (id: string) => {
        for (let i = 0; i < 3; i++) {
          const dueAt = new Date(Date.now() - (40 - i) * DAY_MS).toISOString();
          await post(
            second.url,
            `mutation { recordPayment(input: { customerId: "${id}", externalId: "limited-${i}", amountCents: 100000, currency: "EUR", status: FAILED, dueAt: "${dueAt}" }) { id } }`,
            {},
            admin,
          );
          await post(
            second.url,
            `mutation { recordSupportTicket(input: { customerId: "${id}", externalId: "limited-${i}", severity: URGENT, csatRating: 1 }) { id } }`,
            {},
            admin,
          );
        }
        const rescored = await post<{ refreshHealthScore: { tier: string } }>(
          second.url,
          `mutation { refreshHealthScore(customerId: "${id}") { tier } }`,
          {},
          admin,
        );
        expect(rescored.body.data!.refreshHealthScore.tier).not.toBe('healthy');
      };
      // A tier change while the page's subscriptions stand refused (the admin key's budget is its own):
      // published to no one, on a connection that stayed up.
      expect((await asReader()).status).toBe(429);
      await putAtRisk(whileRefused);
      while ((await asReader()).status === 429) await page.waitForTimeout(500);
      // The budget is back: the page subscribes again within its back-off and catches up the change it
      // missed, and a later tier change reaches it live.
      await page.locator(`[data-testid=live-feed] a[href="#/customers/${whileRefused}"]`).first().waitFor({ timeout: 10_000 });
      await page.waitForTimeout(2000);
      await putAtRisk(afterwards);
      await page.locator(`[data-testid=live-feed] a[href="#/customers/${afterwards}"]`).first().waitFor({ timeout: 5000 });
    } finally {
      await relay.close();
      await second.stop();
    }
  }, 120_000);

  it("keeps a valid key through a reload while its request budget is spent, says so in the server's words, and opens once it is back", async () => {
    const second = await startTestServer({
      database: server.database,
      env: { RATE_LIMIT_REQUESTS: '30', RATE_LIMIT_WINDOW_SECONDS: '15', RESCORE_SWEEP_MS: '0' },
    });
    const asReader = () => post(second.url, '{ viewer { scopes } }', {}, reader);
    try {
      await visit('', new URL(second.url).origin);
      await enterKey(reader);
      await page.waitForSelector('[data-testid=tier-table]');
      let answer = await asReader();
      for (let spent = 0; spent < 100 && answer.status !== 429; spent++) answer = await asReader();
      expect(answer.status).toBe(429);
      await page.reload();
      await page.waitForSelector('#api-key');
      // RATE_LIMITED for the key's budget: not the lockout of wrong secrets from this address.
      expect(await text('[role=alert]')).toMatch(/^rate limit of this API key: at most 30 per 15 s; retry in \d+ s\b/);
      expect(await page.evaluate(`sessionStorage.getItem('healthgraph:dashboard:apiKey')`)).toBe(reader);
      // Once the window is over, the kept key is checked again and the dashboard opens without asking.
      await page.waitForSelector('[data-testid=tier-table]', { timeout: 20_000 });
      expect(await text('[data-testid=viewer]')).toBe('cs team (read)');
    } finally {
      await second.stop();
    }
  }, 60_000);

  it("reads a proxy's HTML 429 at the key check by its status and Retry-After, keeping the key", async () => {
    await visit('');
    await page.waitForSelector('[data-testid=viewer], #api-key');
    if (await page.locator('#api-key').count()) await enterKey(reader);
    await page.waitForSelector('[data-testid=viewer]');
    let refused = 0;
    await page.route('**/graphql', async (route) => {
      if (route.request().postDataJSON()?.query?.includes('viewer') && refused++ === 0)
        return route.fulfill({ status: 429, headers: { 'content-type': 'text/html', 'retry-after': '1' }, body: '<html>slow down</html>' });
      await route.fallback();
    });
    try {
      await page.reload();
      await waitForText('[role=alert]', /^The server answered 429\. The dashboard tries again then\./);
      // Checked again after the second the proxy asked for: the kept key opens the dashboard.
      await page.waitForSelector('[data-testid=viewer]', { timeout: 10_000 });
    } finally {
      await page.unrouteAll({ behavior: 'wait' });
    }
  }, 60_000);

  it('puts the keyboard focus in the key field when it asks again, after Forget key, a wrong key and a revocation', async () => {
    const doomed = await createKey(server, ['read'], admin, 'doomed');
    await visit('');
    await page.waitForSelector('[data-testid=viewer]');
    await page.getByRole('button', { name: 'Forget key' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('#api-key:focus').waitFor({ timeout: 5000 });
    // A wrong key sent with the button (disabled while it is checked): the focus comes back to the field.
    await page.keyboard.type(`${doomed.key}x`);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await waitForText('[role=alert]', /^This key is not valid/);
    await page.locator('#api-key:focus').waitFor({ timeout: 5000 });
    await page.keyboard.type(doomed.key);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=live-indicator][data-status=live]');
    // The form is gone with the focus it had: the screen it opened has it, at its heading.
    await page.locator('main h1:focus', { hasText: 'Overview' }).waitFor({ timeout: 5000 });
    expect(await text('[data-testid=viewer]')).toBe('doomed (read)');
    const revoked = await post(server.url, `mutation { revokeApiKey(id: "${doomed.id}") { revokedAt } }`, {}, admin);
    expect(revoked.body.errors).toBeUndefined();
    await waitForText('[role=alert]', /no longer accepts this key/);
    await page.locator('#api-key:focus').waitFor({ timeout: 5000 });
  }, 60_000);
});
