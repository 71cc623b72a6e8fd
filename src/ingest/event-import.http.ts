// POST /ingest/events: the request body (NDJSON, streamed, any size) imported by importEvents, the
// summary answered as JSON once the last line is stored. The HTTP server admits the request and
// checks the ingest scope first; this bounds how many imports one instance runs at once (each holds
// a database connection of its own).
import type http from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { AppServices } from '../context';
import { EventImportSummary, importEvents } from './event-import';

export const INGEST_EVENTS_PATH = '/ingest/events';
/** Imports one instance runs at once; more are answered 429 with Retry-After. */
export const MAX_CONCURRENT_IMPORTS = 2;

let running = 0;

export interface IngestAnswer {
  status: number;
  headers: Record<string, string>;
  body:
    | EventImportSummary
    | (EventImportSummary & { message: string })
    | { errors: Array<{ message: string; extensions: Record<string, unknown> }> };
}

/** The request body decompressed as its Content-Encoding says; null for an encoding not supported. */
function decodedBody(req: http.IncomingMessage): Readable | null {
  const encoding = String(req.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  const decoders: Record<string, () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress> = {
    gzip: zlib.createGunzip,
    'x-gzip': zlib.createGunzip,
    deflate: zlib.createInflate,
    br: zlib.createBrotliDecompress,
  };
  if (encoding === 'identity' || encoding === '') return req;
  const decoder = decoders[encoding];
  if (!decoder) return null;
  // pipeline destroys both on an error of either, and the import reading `decoded` sees the error
  // through its iterator. zlib may emit an error after the reader has let go (a body cut short ends
  // in an error at flush): a listener of its own keeps that from being an uncaught exception.
  const decoded = decoder();
  decoded.on('error', () => undefined);
  pipeline(req, decoded, () => undefined);
  return decoded;
}

/** A refusal: the status, its headers, and one error with its code (and details). */
function refused(status: number, code: string, message: string, headers: Record<string, string> = {}, details = {}): IngestAnswer {
  return { status, headers, body: { errors: [{ message, extensions: { code, ...details } }] } };
}

/** Why the import cannot start: another method, both slots taken, an encoding it cannot read; null when it can. */
function refusalBeforeImport(req: http.IncomingMessage): IngestAnswer | null {
  if (req.method !== 'POST') return refused(405, 'METHOD_NOT_ALLOWED', 'POST an NDJSON body: one event per line', { allow: 'POST' });
  if (running >= MAX_CONCURRENT_IMPORTS) {
    return refused(
      429,
      'RATE_LIMITED',
      `${MAX_CONCURRENT_IMPORTS} imports are running on this instance; retry later`,
      {
        'retry-after': '5',
      },
      { retryAfterSeconds: 5 },
    );
  }
  return null;
}

/** The answer to a finished import: 200, or 503 when the server stopped it (with where). */
function answerFor(summary: EventImportSummary): IngestAnswer {
  if (summary.stoppedAfterLine === undefined) return { status: 200, headers: {}, body: summary };
  const message =
    `the server is stopping: lines after ${summary.stoppedAfterLine} were not read; send them again ` +
    '(or the whole file: events with an idempotencyKey are stored once)';
  return { status: 503, headers: { 'retry-after': '5', connection: 'close' }, body: { ...summary, message } };
}

/**
 * `stopping` is aborted when the server stops: the import reads no further line, commits what it
 * read, and is answered 503 with its summary and the last line read, so the client knows where to
 * resume (or resends the file: events with an idempotencyKey are stored once).
 */
export async function importEventsFromRequest(
  req: http.IncomingMessage,
  services: AppServices,
  stopping?: AbortSignal,
): Promise<IngestAnswer> {
  const refusal = refusalBeforeImport(req);
  if (refusal) return refusal;
  const encoding = String(req.headers['content-encoding']);
  const body = decodedBody(req);
  if (!body) {
    return refused(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Encoding ${encoding} is not supported: send the NDJSON as is, or gzip, deflate or br`,
      { 'accept-encoding': 'gzip, deflate, br' },
    );
  }
  const databaseUrl = services.config.databaseUrl;
  if (!databaseUrl) throw new Error('the service runs without a database URL');
  running++;
  // A client trickling a byte now and then would otherwise hold an import slot and a connection for good.
  const idleMs = services.config.importIdleTimeoutMs;
  req.setTimeout(idleMs, () => {
    services.logger.warn({ idleMs }, 'event import abandoned: the client sent nothing for too long');
    req.destroy(new Error(`no data for ${idleMs} ms`));
  });
  try {
    const summary = await importEvents(databaseUrl, body, { scheduler: services.scheduler, signal: stopping });
    const { lines, accepted, duplicates, rejected, seconds, stoppedAfterLine } = summary;
    services.logger.info(
      { lines, accepted, duplicates, rejected, seconds, stoppedAfterLine },
      stoppedAfterLine === undefined ? 'events imported' : 'event import stopped: the server is stopping',
    );
    return answerFor(summary);
  } catch (error) {
    // zlib's errors carry Z_ codes: the body was not what its Content-Encoding said.
    if (body === req || !/^Z_/.test(String((error as { code?: unknown }).code))) throw error;
    return refused(
      400,
      'BAD_REQUEST',
      `the body is not valid ${encoding} data; batches committed before the error are stored ` +
        '(send the file again: events with an idempotencyKey are stored once)',
    );
  } finally {
    running--;
  }
}
