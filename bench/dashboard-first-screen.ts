// `node -r ts-node/register/transpile-only bench/dashboard-first-screen.ts` (under the bench lock):
// how fast the dashboard's first screen is on the 2,000-account demo, and how large its JavaScript.
// The demo is seeded once into hg_bench_dashboard_ui with `npm run demo:seed` (reused after), the
// server runs as in the other benchmarks (a separate `node dist/src/main.js`), and headless Chromium
// opens / with a cold cache each time: the figure is navigation start → the tier table on screen.
// Baseline, measured in the same run: the overview's GraphQL query alone, over HTTP from Node.
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { buildDashboard } from '../scripts/build-dashboard';
import { createDatabase, databaseExists, databaseUrl, dropDatabase, sql } from './support/databases';
import { ROOT, startServer } from './support/server-process';
import { repeat, round } from './support/stats';

const DATABASE = 'hg_bench_dashboard_ui';
const CUSTOMERS = 2000;
const RUNS = 5;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DAY_MS = 86_400_000;

// The overview's own query (dashboard/src/screens/overview.tsx), for the baseline.
const OVERVIEW_QUERY = `query Overview($csmOwner: String, $npsFrom: DateTime!) {
  healthSummary(csmOwner: $csmOwner) { totalCustomers averageScore tiers { tier label count arrCents } components { name averageScore } lifecycleStages { stage count } }
  npsSummary(csmOwner: $csmOwner, from: $npsFrom) { responses nps averageScore promoters passives detractors } }`;

async function ensureDemo(): Promise<void> {
  if (await databaseExists(DATABASE)) {
    const [row] = await sql<{ customers: number; scored: number }>(
      DATABASE,
      'select count(*)::int as customers, count(health_score)::int as scored from customer',
    );
    if (row.customers === CUSTOMERS && row.scored > 0) return;
    await dropDatabase(DATABASE);
  }
  await createDatabase(DATABASE);
  console.log(`seeding ${DATABASE} with the ${CUSTOMERS}-account demo (once)…`);
  execFileSync('npm', ['run', '-s', 'demo:seed', '--', '--customers', String(CUSTOMERS)], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, DATABASE_URL: databaseUrl(DATABASE), LOG_LEVEL: 'warn' },
  });
}

async function main(): Promise<void> {
  const bundle = buildDashboard();
  await ensureDemo();
  const server = await startServer({ name: 'dashboard-ui', database: databaseUrl(DATABASE) });
  const origin = new URL(server.url).origin;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const npsFrom = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - 90 * DAY_MS).toISOString();
    const apiAlone = await repeat(RUNS, async () => {
      const started = performance.now();
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: OVERVIEW_QUERY, variables: { csmOwner: null, npsFrom } }),
      });
      const body = (await response.json()) as { data?: { healthSummary: { totalCustomers: number } | null } | null; errors?: unknown[] };
      // A failed field answers null beside its error (root fields are nullable), its siblings answered.
      if (body.errors?.length || body.data?.healthSummary?.totalCustomers !== CUSTOMERS)
        throw new Error(`unexpected answer (HTTP ${response.status}): ${JSON.stringify(body).slice(0, 500)}`);
      return performance.now() - started;
    });
    const firstScreen = await repeat(RUNS, async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(`${origin}/`);
      await page.waitForSelector('[data-testid=tier-table]');
      const elapsed = performance.now() - started;
      await context.close();
      return elapsed;
    });
    console.log(`\nDashboard on the ${CUSTOMERS}-account demo (${RUNS} runs each, median [min–max])`);
    console.log(
      `  first screen (cold cache, navigation → tier table)  ${round(firstScreen.median)} ms [${round(firstScreen.min)}–${round(firstScreen.max)}]  target < 1000 ms`,
    );
    console.log(
      `  baseline: the overview query alone over HTTP        ${round(apiAlone.median)} ms [${round(apiAlone.min)}–${round(apiAlone.max)}]`,
    );
    console.log(`  ratio first screen / query alone                    ${round(firstScreen.median / apiAlone.median, 2)}`);
    console.log(`  JavaScript bundle, gzipped                          ${round(bundle.gzipBytes / 1000)} kB  budget 250 kB`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
