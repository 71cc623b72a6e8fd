// `npm run dashboard:build` (and npm install's `prepare`, which skips it where the sources are not
// there yet: the dependency layer of the Docker build): type-checks the dashboard, builds it with
// Vite into dashboard/dist (served at / by src/dashboard/static.ts), and prints the size of its
// JavaScript gzipped, failing when it is over the budget.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = path.resolve(__dirname, '..');
const DASHBOARD = path.join(ROOT, 'dashboard');
/** The bundle budget of the dashboard's JavaScript, gzipped (issue 17). */
const BUDGET_BYTES = 250 * 1000;

export interface BundleSize {
  files: Array<{ name: string; bytes: number; gzipBytes: number }>;
  gzipBytes: number;
}

/** The JavaScript Vite wrote to dashboard/dist/assets, raw and gzipped. */
export function measureBundle(distDir = path.join(DASHBOARD, 'dist')): BundleSize {
  const assets = path.join(distDir, 'assets');
  const files = readdirSync(assets)
    .filter((name) => name.endsWith('.js'))
    .map((name) => {
      const content = readFileSync(path.join(assets, name));
      return { name, bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
    });
  return { files, gzipBytes: files.reduce((sum, file) => sum + file.gzipBytes, 0) };
}

export function buildDashboard(): BundleSize {
  const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
  execFileSync(bin('tsc'), ['-p', DASHBOARD], { stdio: 'inherit', cwd: ROOT });
  execFileSync(bin('vite'), ['build', '--config', path.join(DASHBOARD, 'vite.config.mts'), '--logLevel', 'warn'], {
    stdio: 'inherit',
    cwd: ROOT,
  });
  return measureBundle();
}

function main(): void {
  const size = buildDashboard();
  for (const file of size.files)
    console.log(`dashboard: ${file.name} ${(file.bytes / 1000).toFixed(1)} kB, ${(file.gzipBytes / 1000).toFixed(1)} kB gzipped`);
  console.log(`dashboard: JavaScript ${(size.gzipBytes / 1000).toFixed(1)} kB gzipped (budget ${BUDGET_BYTES / 1000} kB)`);
  if (size.gzipBytes > BUDGET_BYTES) {
    console.error('dashboard: over the bundle budget');
    process.exit(1);
  }
}

if (require.main === module) main();
