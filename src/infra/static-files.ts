// Sending a file of a folder the process ships (the dashboard build, Ruru's assets): content type,
// ETag and 304, gzip when the client accepts it, HEAD. One place for both, rather than `send` or
// `serve-static`: neither compresses, and the dashboard's first screen depends on its bundle
// arriving gzipped.
import { createReadStream, statSync, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

const gzip = promisify(gzipCallback);

export const STATIC_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** A flat folder's file name: no `/`, `\`, `..`, NUL or leading dot, nothing that could climb out of the folder. */
export const SAFE_FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** For URLs that change with their content (hashed or versioned names). */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';

// Already compressed (images, woff2), or large and fetched only with devtools open (source maps).
const SENT_AS_IS = new Set(['.png', '.woff2', '.map']);

/** gzip of the files sent so far, by path, with the ETag it was made for: a file rebuilt in place is compressed again. */
const gzipCache = new Map<string, { etag: string; body: Promise<Buffer> }>();

export interface StaticFile {
  filePath: string;
  cacheControl: string;
  /** Makes the ETag change with something the file's size and time do not show (a package version). */
  etagPrefix?: string;
  /** More response headers (a page's security policy). */
  headers?: http.OutgoingHttpHeaders;
}

/** A refusal of a file (no such file, a method other than GET), as a GraphQL error like every other answer of the server. */
export function sendRefusal(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: http.OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/** True for GET and HEAD; answers 405 otherwise. */
export function allowOnlyGetAndHead(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  sendRefusal(res, 405, 'METHOD_NOT_ALLOWED', `this is read with GET or HEAD, not ${req.method}`, { allow: 'GET, HEAD' });
  return false;
}

function fileStats(filePath: string): Stats | undefined {
  try {
    return statSync(filePath, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * Sends `file` (a 304 when the client's ETag matches) and returns true; returns false without
 * touching `res` when there is no such file, so the caller chooses the answer (a 404, saying what to
 * run for a build that was never made).
 */
export function sendStaticFile(req: http.IncomingMessage, res: http.ServerResponse, file: StaticFile): boolean {
  const stats = fileStats(file.filePath);
  if (!stats?.isFile()) return false;
  const extension = path.extname(file.filePath);
  const etag = `"${file.etagPrefix ? `${file.etagPrefix}-` : ''}${stats.size.toString(16)}-${Math.trunc(stats.mtimeMs).toString(16)}"`;
  const headers: http.OutgoingHttpHeaders = {
    'content-type': STATIC_CONTENT_TYPES[extension] ?? 'application/octet-stream',
    'cache-control': file.cacheControl,
    etag,
    // Added to what the answer already varies on (Origin, where CORS headers were set before routing):
    // writeHead's value would replace it, and a shared cache keep one origin's copy for another.
    vary: [res.getHeader('vary'), 'Accept-Encoding'].filter((value) => value !== undefined).join(', '),
    'x-content-type-options': 'nosniff',
    ...file.headers,
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
  } else if (!SENT_AS_IS.has(extension) && /\bgzip\b/i.test(String(req.headers['accept-encoding'] ?? ''))) {
    sendGzipped(req, res, file.filePath, etag, headers);
  } else {
    res.writeHead(200, { ...headers, 'content-length': stats.size });
    if (req.method === 'HEAD') res.end();
    else
      createReadStream(file.filePath)
        .on('error', () => res.destroy())
        .pipe(res);
  }
  return true;
}

function sendGzipped(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  filePath: string,
  etag: string,
  headers: http.OutgoingHttpHeaders,
): void {
  let compressed = gzipCache.get(filePath)?.body;
  if (!compressed || gzipCache.get(filePath)?.etag !== etag) {
    const body = readFile(filePath).then((content) => gzip(content));
    compressed = body;
    gzipCache.set(filePath, { etag, body });
    // A failure is not kept: the next request tries again.
    body.catch(() => {
      if (gzipCache.get(filePath)?.body === body) gzipCache.delete(filePath);
    });
  }
  compressed.then(
    (body) => {
      res.writeHead(200, { ...headers, 'content-encoding': 'gzip', 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
    () => sendRefusal(res, 500, 'INTERNAL_SERVER_ERROR', 'the file could not be read'),
  );
}
