// The CS dashboard (dashboard/, built by Vite into dashboard/dist) served by the API's own process:
// the page at `/`, its content-hashed files under `/assets/`. The page routes in the URL's hash, so
// no other path is the dashboard's; everything it fetches is local (no CDN, works offline).
import { existsSync, readFileSync, statSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** Where Vite writes the build (`npm run dashboard:build`, run by `npm install`'s prepare script). */
export const DASHBOARD_BUILD_DIR = path.join(findPackageRoot(__dirname), 'dashboard', 'dist');

const ASSETS_PREFIX = '/assets/';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** Vite names assets `<name>-<hash>.<ext>`: a plain file name, nothing that could climb out of the folder. */
const SAFE_ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

// Hashed names change with their content: cache them for good. The page itself is revalidated each time.
const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
const PAGE_CACHE = 'no-cache';

// Same-origin only: scripts, styles, the API over HTTP and WebSocket. uPlot and Preact set inline styles.
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

interface LoadedFile {
  body: Buffer;
  gzipped: Buffer | null;
  etag: string;
}

/** The build is immutable while the process runs (a rebuild ships with a restart), so files are read and gzipped once. */
const loaded = new Map<string, LoadedFile>();

function findPackageRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
  return dir;
}

function load(filePath: string): LoadedFile | null {
  const cached = loaded.get(filePath);
  if (cached) return cached;
  const stats = statSync(filePath, { throwIfNoEntry: false });
  if (!stats?.isFile()) return null;
  const body = readFileSync(filePath);
  const compressible = !/\.(png|woff2)$/.test(filePath);
  const file: LoadedFile = {
    body,
    gzipped: compressible ? gzipSync(body) : null,
    etag: `"${stats.size.toString(16)}-${Math.trunc(stats.mtimeMs).toString(16)}"`,
  };
  loaded.set(filePath, file);
  return file;
}

function sendText(res: http.ServerResponse, status: number, text: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** The file a dashboard path names, or null when the path is not the dashboard's. */
function fileFor(pathname: string, buildDir: string): { filePath: string; cache: string } | 'not-found' | null {
  if (pathname === '/' || pathname === '/index.html') return { filePath: path.join(buildDir, 'index.html'), cache: PAGE_CACHE };
  if (!pathname.startsWith(ASSETS_PREFIX)) return null;
  const name = pathname.slice(ASSETS_PREFIX.length);
  if (!SAFE_ASSET_NAME.test(name) || CONTENT_TYPES[path.extname(name)] === undefined) return 'not-found';
  return { filePath: path.join(buildDir, 'assets', name), cache: IMMUTABLE_CACHE };
}

/**
 * Answers `/`, `/index.html` and `/assets/*` from the dashboard build and returns true; returns
 * false without touching `res` for any other path. GET and HEAD only; gzip when accepted; 503 with
 * the command to run when the dashboard was never built.
 */
export function serveDashboard(
  pathname: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  buildDir = DASHBOARD_BUILD_DIR,
): boolean {
  const target = fileFor(pathname, buildDir);
  if (target === null) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendText(res, 405, 'Method Not Allowed', { allow: 'GET, HEAD' });
    return true;
  }
  if (target === 'not-found') {
    sendText(res, 404, 'Not Found');
    return true;
  }
  const file = load(target.filePath);
  if (!file) {
    if (target.cache === PAGE_CACHE) sendText(res, 503, 'The dashboard is not built: run `npm run dashboard:build` (npm install runs it).');
    else sendText(res, 404, 'Not Found');
    return true;
  }
  const headers: http.OutgoingHttpHeaders = {
    'content-type': CONTENT_TYPES[path.extname(target.filePath)],
    'cache-control': target.cache,
    etag: file.etag,
    vary: 'Accept-Encoding',
    'x-content-type-options': 'nosniff',
    ...(target.cache === PAGE_CACHE ? { 'content-security-policy': CONTENT_SECURITY_POLICY, 'referrer-policy': 'no-referrer' } : {}),
  };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  const gzip = file.gzipped !== null && /\bgzip\b/i.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? file.gzipped! : file.body;
  res.writeHead(200, { ...headers, ...(gzip ? { 'content-encoding': 'gzip' } : {}), 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
