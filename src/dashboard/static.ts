// The CS dashboard (dashboard/, built by Vite into dashboard/dist) served by the API's own process:
// the page at `/`, its content-hashed files under `/assets/`. The page routes in the URL's hash, so
// no other path is the dashboard's; everything it fetches is local (no CDN, works offline).
import { existsSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import {
  allowOnlyGetAndHead,
  IMMUTABLE_CACHE,
  SAFE_FILE_NAME,
  sendRefusal,
  sendStaticFile,
  STATIC_CONTENT_TYPES,
} from '../infra/static-files';

/** Where Vite writes the build (`npm run dashboard:build`, run by `npm install`'s prepare script). */
export const DASHBOARD_BUILD_DIR = path.join(findPackageRoot(__dirname), 'dashboard', 'dist');

const ASSETS_PREFIX = '/assets/';

// Hashed asset names change with their content and are cached for good; the page is revalidated each time.
const PAGE_CACHE = 'no-cache';

// Same-origin only: scripts, styles, the API over HTTP and WebSocket (CSP3's 'self' takes in the
// page's own host over ws: and wss:; a bare ws: would let the page talk to any host). uPlot and
// Preact set inline styles. No other page may frame it (clickjacking): frame-ancestors, and
// X-Frame-Options for browsers that do not read CSP's.
const PAGE_HEADERS: http.OutgoingHttpHeaders = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

function findPackageRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
  return dir;
}

/** The file a dashboard path names, or null when the path is not the dashboard's. */
function fileFor(pathname: string, buildDir: string): { filePath: string; page: boolean } | 'not-found' | null {
  if (pathname === '/' || pathname === '/index.html') return { filePath: path.join(buildDir, 'index.html'), page: true };
  if (!pathname.startsWith(ASSETS_PREFIX)) return null;
  // Vite names assets `<name>-<hash>.<ext>` in one flat folder.
  const name = pathname.slice(ASSETS_PREFIX.length);
  if (!SAFE_FILE_NAME.test(name) || STATIC_CONTENT_TYPES[path.extname(name)] === undefined) return 'not-found';
  return { filePath: path.join(buildDir, 'assets', name), page: false };
}

/** What the page answers, and `npm start` prints, while there is no build: how to make one. */
export const DASHBOARD_NOT_BUILT = 'The dashboard is not built: run `npm run dashboard:build` (npm install runs it), then reload.';

/** Whether the dashboard page has been built into `buildDir`. */
export function isDashboardBuilt(buildDir = DASHBOARD_BUILD_DIR): boolean {
  return existsSync(path.join(buildDir, 'index.html'));
}

/**
 * `npm start`'s line about the dashboard: its address, or, with no build, the command that makes
 * one (files are read per request, so the running service serves a build made after it started).
 */
export function dashboardStartupLine(baseUrl: string, buildDir = DASHBOARD_BUILD_DIR): string {
  const url = new URL('/', baseUrl).href;
  return isDashboardBuilt(buildDir) ? `dashboard at ${url}` : `dashboard not built: run \`npm run dashboard:build\`, then open ${url}`;
}

/**
 * Answers `/`, `/index.html` and `/assets/*` from the dashboard build and returns true; returns
 * false without touching `res` for any other path. GET and HEAD only; gzip when accepted. A build
 * never made is a 404 naming the command to run: nothing is down, and retrying would not help.
 */
export function serveDashboard(
  pathname: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  buildDir = DASHBOARD_BUILD_DIR,
): boolean {
  const target = fileFor(pathname, buildDir);
  if (target === null) return false;
  if (!allowOnlyGetAndHead(req, res)) return true;
  if (target === 'not-found') {
    sendRefusal(res, 404, 'NOT_FOUND', 'not found');
    return true;
  }
  const sent = sendStaticFile(req, res, {
    filePath: target.filePath,
    cacheControl: target.page ? PAGE_CACHE : IMMUTABLE_CACHE,
    headers: target.page ? PAGE_HEADERS : undefined,
  });
  if (sent) return true;
  sendRefusal(res, 404, 'NOT_FOUND', target.page ? DASHBOARD_NOT_BUILT : 'not found');
  return true;
}
