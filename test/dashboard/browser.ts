// The dashboard in a real headless Chromium (playwright-core): the build made if missing or older than its sources, a browser
// that may reach only this machine, axe-core run inside the page, and a TCP relay between the page
// and the server that a test can cut to see the dashboard reconnect.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { DASHBOARD_BUILD_DIR } from '../../src/dashboard/static';
import { buildDashboard } from '../../scripts/build-dashboard';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const DASHBOARD_DIR = path.join(DASHBOARD_BUILD_DIR, '..');

/** The latest modification time among the dashboard's sources (index.html, src/). */
function newestSourceMs(): number {
  const sources = [path.join(DASHBOARD_DIR, 'index.html')];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const entryPath = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(entryPath);
      else sources.push(entryPath);
    }
  };
  walk(path.join(DASHBOARD_DIR, 'src'));
  return Math.max(...sources.map((source) => statSync(source).mtimeMs));
}

/** `npm install` builds the dashboard (prepare); a checkout tested without it, or edited since, gets it built here. */
export function ensureDashboardBuilt(): void {
  const page = path.join(DASHBOARD_BUILD_DIR, 'index.html');
  if (!existsSync(page) || statSync(page).mtimeMs < newestSourceMs()) buildDashboard();
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** URLs the page tried to reach outside this machine (refused): must stay empty. */
  foreign: string[];
  close(): Promise<void>;
}

/** Where the browser is: its language (en-US by default, as the date fields' typing order assumes) and time zone (the machine's by default). */
export interface BrowserPlace {
  locale?: string;
  timezoneId?: string;
}

export async function openBrowser(
  viewport = { width: 1280, height: 900 },
  { locale = 'en-US', timezoneId }: BrowserPlace = {},
): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'healthgraph-dashboard-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    locale,
    timezoneId,
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
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (['127.0.0.1', 'localhost'].includes(url.hostname) || url.protocol === 'data:' || url.protocol === 'blob:')
      // A request the page dropped meanwhile (a test navigating away) is already handled: nothing to let through.
      return route.continue().catch(() => undefined);
    foreign.push(url.href);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    foreign,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** axe-core run on the page as it is, with `runOnly` (its rules, or its tags, to check); the violations. */
async function axeViolations(page: Page, runOnly: { type: 'tag' | 'rule'; values: string[] }): Promise<AxeViolation[]> {
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the devtools protocol: the page's Content-Security-Policy forbids inline scripts.
  await page.evaluate(source);
  const result = (await page.evaluate(`axe.run(document, { runOnly: ${JSON.stringify(runOnly)} })`)) as { violations: AxeViolation[] };
  return result.violations;
}

/** axe-core's WCAG 2 A/AA rules on the page as it is; the violations rated serious or critical. */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  const violations = await axeViolations(page, { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** The violations of the named axe-core rules, whatever their impact (best practices outside WCAG too, such as landmark-unique). */
export function axeRuleViolations(page: Page, rules: string[]): Promise<AxeViolation[]> {
  return axeViolations(page, { type: 'rule', values: rules });
}

/** A TCP relay to `targetPort` whose connections can be cut (and new ones refused) on demand. */
export interface Relay {
  port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startRelay(targetPort: number): Promise<Relay> {
  const open = new Set<net.Socket>();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) return client.destroy();
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    cut() {
      refusing = true;
      for (const socket of open) socket.destroy();
    },
    restore() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
