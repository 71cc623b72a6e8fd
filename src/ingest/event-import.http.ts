// POST /ingest/events: the request body (NDJSON, streamed, any size) imported by importEvents, the
// summary answered as JSON once the last line is stored. The HTTP server admits the request and
// checks the ingest scope first; this bounds how many imports one instance runs at once (each holds
// database connections of its own), and how many of them one key runs.
import type http from 'node:http';
import { finished, PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import type { AppServices } from '../context';
import { RequestAbandonedError } from '../infra/abandoned-request';
import { sessionNameOf } from '../infra/shutdown-drain';
import { EventImportSummary, importEvents, ImportSourceError } from './event-import';

export const INGEST_EVENTS_PATH = '/ingest/events';
/** What INGEST_EVENTS_PATH answers: the import, and the CORS preflight of a page on an allowed origin. */
export const INGEST_EVENTS_METHODS = 'POST, OPTIONS';
/** Imports one instance runs at once; more are answered 429 with Retry-After. */
export const MAX_CONCURRENT_IMPORTS = 2;
/**
 * Imports one key (or the key-less local operator) runs at once on an instance: all the slots but
 * one, so that a key, leaked or misused, cannot keep every other client from importing.
 */
export const MAX_IMPORTS_PER_KEY = MAX_CONCURRENT_IMPORTS - 1;
/**
 * How many times its compressed size a body may grow to once decompressed (past the allowance
 * below). NDJSON compresses well, but a body past this is built to make the server work far more
 * than its sender: a few kilobytes of gzip can hold gigabytes of lines.
 */
export const MAX_DECOMPRESSION_RATIO = 100;
/** Decompressed bytes always allowed, whatever the ratio: a small file of repeated lines compresses far better than a large one. */
export const DECOMPRESSION_ALLOWANCE_BYTES = 16 * 1024 * 1024;

type Decoder = zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress;

/** A compressed body growing past MAX_DECOMPRESSION_RATIO. */
class DecompressionBombError extends Error {}

let running = 0;
/** Imports running, by actor (actorOf: the key id, or `loopback`). */
const runningByActor = new Map<string, number>();

/**
 * What an import is answered: its summary (what was stored, whatever the status: an import stopped
 * early says where), or a refusal, a GraphQL error answered in the media type its client asks for as
 * every other refusal is.
 */
export type IngestAnswer = { status: number; headers: Record<string, string> } & (
  | { kind: 'summary'; body: EventImportSummary | (EventImportSummary & { message: string }) }
  | { kind: 'refusal'; body: { errors: Array<{ message: string; extensions: Record<string, unknown> }> } }
);

/** The request body as the import reads it: piped into `stage`, which decodes it (or passes it on). */
interface RequestBody {
  stage: Decoder | PassThrough;
  chunks: AsyncIterable<Buffer>;
}

/**
 * Aborted once the client has gone: its connection closed before the answer was sent (decodedBody
 * aborts it too, when the request is cut short while the client uploads).
 */
function clientGone(res: http.ServerResponse): AbortController {
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort(new RequestAbandonedError());
  });
  return gone;
}

/**
 * The request body decompressed as its Content-Encoding says; null for an encoding not supported.
 * `gone` is aborted before a request cut short fails the body's read, so that the import stops as its
 * client left rather than on a failed read.
 */
function decodedBody(req: http.IncomingMessage, gone: AbortController): RequestBody | null {
  const encoding = String(req.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  const decoders: Record<string, () => Decoder> = {
    gzip: zlib.createGunzip,
    'x-gzip': zlib.createGunzip,
    deflate: zlib.createInflate,
    br: zlib.createBrotliDecompress,
  };
  const identity = encoding === 'identity' || encoding === '';
  const decoder = identity ? () => new PassThrough() : decoders[encoding];
  if (!decoder) return null;
  // Piped, not `pipeline`d, and never read directly: an import that lets go of its body early (a
  // body refused as too expansive, the server stopping) destroys what it reads, and the request
  // destroyed with it could no longer be answered, nor the rest of its body be read (see
  // letGoOfBody). A request cut short still ends the import: its client has gone, and its error is
  // passed on. zlib may emit an error after the reader has let go (a body cut short ends in an error at
  // flush): a listener of its own keeps that from being an uncaught exception.
  const stage = decoder();
  stage.on('error', () => undefined);
  finished(req, (error) => {
    if (!error) return;
    gone.abort(new RequestAbandonedError());
    stage.destroy(error);
  });
  req.pipe(stage);
  return { stage, chunks: identity ? stage : withinRatio(stage as Decoder) };
}

/**
 * Once the import is done with the body (the whole of it, or up to where it stopped): the rest is
 * read and dropped. A client still uploading when it is answered (the server stopping) then gets
 * its answer instead of a connection reset, which would be all it saw were the socket closed with
 * its data unread; a stopping server ends the connection once the answer is out, and closes it
 * when the client stops sending, or at the end of the drain.
 */
function letGoOfBody(req: http.IncomingMessage, { stage }: RequestBody): void {
  req.unpipe(stage);
  // A read the import left waiting (the server stopping while the client sent nothing) ends with it.
  stage.destroy();
  if (!req.complete) req.resume();
}

/** `decoded`'s chunks, until it has put out more than MAX_DECOMPRESSION_RATIO times what it took in. */
async function* withinRatio(decoded: Decoder): AsyncGenerator<Buffer> {
  let out = 0;
  for await (const chunk of decoded as AsyncIterable<Buffer>) {
    out += chunk.length;
    if (out > DECOMPRESSION_ALLOWANCE_BYTES && out > MAX_DECOMPRESSION_RATIO * decoded.bytesWritten) throw new DecompressionBombError();
    yield chunk;
  }
}

/** A refusal: the status, its headers, and one error with its code (and details). */
function refused(status: number, code: string, message: string, headers: Record<string, string> = {}, details = {}): IngestAnswer {
  return { kind: 'refusal', status, headers, body: { errors: [{ message, extensions: { code, ...details } }] } };
}

/** A refusal for want of an import slot: 429 with Retry-After. */
function noSlot(message: string, details: Record<string, number>): IngestAnswer {
  return refused(429, 'RATE_LIMITED', `${message}; retry later`, { 'retry-after': '5' }, { retryAfterSeconds: 5, ...details });
}

/** Why the import cannot start: another method, the instance's slots or the key's taken; null when it can. */
function refusalBeforeImport(req: http.IncomingMessage, actor: string): IngestAnswer | null {
  if (req.method !== 'POST')
    return refused(405, 'METHOD_NOT_ALLOWED', 'POST an NDJSON body: one event per line', { allow: INGEST_EVENTS_METHODS });
  if (running >= MAX_CONCURRENT_IMPORTS) return noSlot(`${MAX_CONCURRENT_IMPORTS} imports are running on this instance`, {});
  if ((runningByActor.get(actor) ?? 0) >= MAX_IMPORTS_PER_KEY) {
    const imports = `${MAX_IMPORTS_PER_KEY} import${MAX_IMPORTS_PER_KEY === 1 ? '' : 's'}`;
    return noSlot(`this key already runs ${imports} on this instance, as many as one key may`, {
      maxImportsPerKey: MAX_IMPORTS_PER_KEY,
    });
  }
  return null;
}

/** Counts an import of `actor` as running (`by` 1) or done (`by` -1). */
function countImport(actor: string, by: 1 | -1): void {
  running += by;
  const count = (runningByActor.get(actor) ?? 0) + by;
  if (count === 0) runningByActor.delete(actor);
  else runningByActor.set(actor, count);
}

/** Why an import stopped before the end of its body: a signal, its client's pace, or its body (`undecodable`, `expansive`). */
type StopReason = 'stopping' | 'revoked' | 'stalled' | 'abandoned' | BodyFailure;

/** A body that is not what its Content-Encoding says, or that decompresses past MAX_DECOMPRESSION_RATIO. */
type BodyFailure = 'undecodable' | 'expansive';

/**
 * The answer to a finished import: 200, or, stopped, with where: 503 when the server stopped it, 401
 * when its key was revoked, 408 when its client sent no line for idleMs, 400 or 413 when its body
 * failed (bodyFailure).
 */
function answerFor(summary: EventImportSummary, reason: StopReason | null, idleMs: number, encoding: string): IngestAnswer {
  if (reason === null) return { kind: 'summary', status: 200, headers: {}, body: summary };
  if (reason === 'undecodable' || reason === 'expansive') return bodyFailureAnswer(summary, reason, encoding);
  if (reason === 'abandoned') {
    // Nobody reads it: what the log says (499, as proxies log a client that closed its request).
    const message = `the client closed the connection: lines after ${summary.stoppedAfterLine} are not stored`;
    return { kind: 'summary', status: 499, headers: { connection: 'close' }, body: { ...summary, message } };
  }
  if (reason === 'revoked') {
    const message =
      `the API key was revoked during the import: lines after ${summary.stoppedAfterLine} were not read ` + '(the lines before are stored)';
    return { kind: 'summary', status: 401, headers: { 'www-authenticate': 'Bearer', connection: 'close' }, body: { ...summary, message } };
  }
  if (reason === 'stalled') {
    const message =
      `no line was completed for ${idleMs} ms: lines after ${summary.stoppedAfterLine} were not read ` +
      '(the lines before are stored); send them in a new request';
    return { kind: 'summary', status: 408, headers: { connection: 'close' }, body: { ...summary, message } };
  }
  const message =
    `the server is stopping: lines after ${summary.stoppedAfterLine} are not stored; send them again ` +
    '(or the whole file: events with an idempotencyKey are stored once)';
  // No Connection: close, which has Node close the socket as soon as the answer is written, with the
  // client's upload still arriving (a reset): the stopping server ends the connection itself.
  return { kind: 'summary', status: 503, headers: { 'retry-after': '5' }, body: { ...summary, message } };
}

/** How the read of a compressed body failed: not what its encoding says, or too expansive; null for another failure. */
function bodyFailure(error: unknown): BodyFailure | null {
  if (error instanceof DecompressionBombError) return 'expansive';
  // zlib's errors carry Z_ codes: the body was not what its Content-Encoding said.
  if (/^Z_/.test(String((error as { code?: unknown }).code))) return 'undecodable';
  return null;
}

/**
 * The answer to an import whose body failed: its summary and where the stored lines end, as for any
 * import stopped early: 413 (`Connection: close`, the rest of such a body is not worth reading) for a
 * body too expansive, 400 for one that is not what its encoding says.
 */
function bodyFailureAnswer(summary: EventImportSummary, failure: BodyFailure, encoding: string): IngestAnswer {
  const stored = `lines after ${summary.stoppedAfterLine} are not stored (the lines before are)`;
  const again = 'events with an idempotencyKey are stored once when sent again';
  if (failure === 'expansive') {
    const message =
      `the body decompresses to more than ${MAX_DECOMPRESSION_RATIO} times its ${encoding} size: ${stored}; ` +
      `send them less compressed or uncompressed (${again})`;
    return { kind: 'summary', status: 413, headers: { connection: 'close' }, body: { ...summary, message } };
  }
  const message = `the body is not valid ${encoding} data: ${stored}; send them again (${again})`;
  return { kind: 'summary', status: 400, headers: {}, body: { ...summary, message } };
}

/** Why an import that stopped before the end of its body stopped: the first of its signals aborted, else its idle timeout. */
function stopReason(
  summary: EventImportSummary,
  signals: { stopping?: AbortSignal; revoked?: AbortSignal; gone: AbortSignal },
): StopReason | null {
  if (summary.stoppedAfterLine === undefined) return null;
  if (signals.stopping?.aborted) return 'stopping';
  if (signals.gone.aborted) return 'abandoned';
  return signals.revoked?.aborted ? 'revoked' : 'stalled';
}

const STOPPED_BECAUSE: Record<StopReason, string> = {
  stopping: 'event import stopped: the server is stopping',
  revoked: 'event import stopped: its API key was revoked',
  stalled: 'event import stopped: the client sent no line for too long',
  abandoned: 'event import stopped: its client went away',
  undecodable: 'event import stopped: its body is not what its Content-Encoding says',
  expansive: 'event import stopped: its body decompresses past the allowed ratio',
};

/** Logs what an import came to: at warn level when its client is at fault (silent, or a body that cannot be read). */
function logImport(services: AppServices, summary: EventImportSummary, reason: StopReason | null, idleMs: number): void {
  const { lines, accepted, duplicates, rejected, seconds, stoppedAfterLine } = summary;
  const logged = { lines, accepted, duplicates, rejected, seconds, stoppedAfterLine };
  if (reason === 'stalled') services.logger.warn({ ...logged, idleMs }, STOPPED_BECAUSE.stalled);
  else if (reason === 'undecodable' || reason === 'expansive') services.logger.warn(logged, STOPPED_BECAUSE[reason]);
  else services.logger.info(logged, reason === null ? 'events imported' : STOPPED_BECAUSE[reason]);
}

/**
 * The import of `actor` (actorOf: its key id), answered on `res`. `stopping` is aborted when the server
 * stops: the import reads no further line, rolls back the batch it was reading, and is answered 503
 * with its summary and the last line of the batches committed, within the drain, so the client knows
 * where to resume (or resends the file: events with an idempotencyKey are stored once). `revoked` is
 * aborted when the request's key is revoked: the import reads no further line, commits what it read,
 * and is answered 401 with the last line read. A client that completes no line for importIdleTimeoutMs
 * is answered the same way, 408. A client that goes away (its connection closed before the answer)
 * stops it too, and no further commit begins: the batch being read and the merges under way are
 * rolled back (a commit already under way completes). One that goes away once every line of its body
 * is stored stopped nothing: the import is logged as done. A compressed body that turns out not to be
 * what its Content-Encoding says, or to decompress past MAX_DECOMPRESSION_RATIO, stops it as well: the
 * batch being read is rolled back, and it is answered 400 or 413 with its summary and where the
 * batches committed end, and logged at warn level.
 */
export async function importEventsFromRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  services: AppServices,
  actor: string,
  stopping?: AbortSignal,
  revoked?: AbortSignal,
): Promise<IngestAnswer> {
  const refusal = refusalBeforeImport(req, actor);
  if (refusal) return refusal;
  const encoding = String(req.headers['content-encoding']);
  const gone = clientGone(res);
  const body = decodedBody(req, gone);
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
  countImport(actor, 1);
  // Measured in lines, not bytes, and only while the import waits for its client (not while it
  // merges): a client trickling a byte now and then would otherwise hold an import slot for good.
  const idleMs = services.config.importIdleTimeoutMs;
  try {
    const summary = await importEvents(databaseUrl, body.chunks, {
      scheduler: services.scheduler,
      signal: revoked,
      stopping,
      abandoned: gone.signal,
      logger: services.logger,
      idleTimeoutMs: idleMs,
      sessionName: sessionNameOf(services.orm),
    });
    const reason = stopReason(summary, { stopping, revoked, gone: gone.signal });
    logImport(services, summary, reason, idleMs);
    return answerFor(summary, reason, idleMs, encoding);
  } catch (error) {
    const failure = error instanceof ImportSourceError && body.chunks !== body.stage ? bodyFailure(error.cause) : null;
    if (!(error instanceof ImportSourceError) || failure === null) throw error;
    logImport(services, error.summary, failure, idleMs);
    return answerFor(error.summary, failure, idleMs, encoding);
  } finally {
    letGoOfBody(req, body);
    countImport(actor, -1);
  }
}
