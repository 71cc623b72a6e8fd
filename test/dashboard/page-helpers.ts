// What the dashboard's browser tests say to the API and to the page, bound to a test file's own
// server and browser page (given lazily: both are made in its beforeAll).
import type { Page } from 'playwright-core';
import type { TestServer } from '../helpers/server';
import { Browser, openBrowser } from './browser';
import { startSeededServer } from './collapse';

export interface DashboardUnderTest {
  server: TestServer;
  page: Page;
  /** Where the page is opened: the server's own origin. */
  origin: string;
}

export function pageHelpers(current: () => DashboardUnderTest) {
  /** The API's answer, failing the test on any GraphQL error (loopback admin: no key exists yet). */
  async function api<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const result = await current().server.request<T, Record<string, unknown> | undefined>(query, variables);
    if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data as T;
  }

  /** Waits until the element matching `selector` has exactly `expected` as its text. */
  async function waitForText(selector: string, expected: string | RegExp, timeout = 10_000): Promise<void> {
    const pattern = typeof expected === 'string' ? new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : expected;
    await current().page.locator(selector, { hasText: pattern }).first().waitFor({ timeout });
  }

  /** Opens a screen afresh (a goto that only changes the hash would keep the previous screen's filters). */
  async function visit(route: string, base = current().origin): Promise<void> {
    await current().page.goto('about:blank');
    await current().page.goto(`${base}/${route}`);
  }

  const text = (selector: string) => current().page.locator(selector).first().innerText();
  const texts = (selector: string) => current().page.locator(selector).allInnerTexts();
  return { api, waitForText, visit, text, texts };
}

/** A test file's seeded server and the browser page it opens, as its beforeAll makes them. */
export interface SeededDashboard extends DashboardUnderTest {
  browser: Browser;
}

/** Starts a seeded server (see startSeededServer) and a browser with a page to open it in. */
export async function openSeededDashboard(label: string, data: Parameters<typeof startSeededServer>[1]): Promise<SeededDashboard> {
  const server = await startSeededServer(label, data);
  try {
    const browser = await openBrowser();
    return { server, origin: new URL(server.url).origin, browser, page: browser.page };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** Closes what openSeededDashboard opened (nothing, if it failed). */
export async function closeSeededDashboard(opened: Partial<SeededDashboard>): Promise<void> {
  await opened.browser?.close();
  await opened.server?.stop();
}
