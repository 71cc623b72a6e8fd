// POST /ingest/events: the request body (NDJSON, streamed, any size) imported by importEvents, the
// summary answered as JSON once the last line is stored. The HTTP server admits the request and
// checks the ingest scope first; this bounds how many imports one instance runs at once (each holds
// a database connection of its own).
import type http from 'node:http';
import type { AppServices } from '../context';
import { EventImportSummary, importEvents } from './event-import';

export const INGEST_EVENTS_PATH = '/ingest/events';
/** Imports one instance runs at once; more are answered 429 with Retry-After. */
export const MAX_CONCURRENT_IMPORTS = 2;

let running = 0;

export interface IngestAnswer {
  status: number;
  headers: Record<string, string>;
  body: EventImportSummary | { errors: Array<{ message: string; extensions: Record<string, unknown> }> };
}

export async function importEventsFromRequest(req: http.IncomingMessage, services: AppServices): Promise<IngestAnswer> {
  if (req.method !== 'POST') {
    return {
      status: 405,
      headers: { allow: 'POST' },
      body: { errors: [{ message: 'POST an NDJSON body: one event per line', extensions: { code: 'METHOD_NOT_ALLOWED' } }] },
    };
  }
  if (running >= MAX_CONCURRENT_IMPORTS) {
    return {
      status: 429,
      headers: { 'retry-after': '5' },
      body: {
        errors: [
          {
            message: `${MAX_CONCURRENT_IMPORTS} imports are running on this instance; retry later`,
            extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 5 },
          },
        ],
      },
    };
  }
  const databaseUrl = services.config.databaseUrl;
  if (!databaseUrl) throw new Error('the service runs without a database URL');
  running++;
  try {
    const summary = await importEvents(databaseUrl, req, {
      scheduler: services.scheduler,
    });
    services.logger.info(
      {
        lines: summary.lines,
        accepted: summary.accepted,
        duplicates: summary.duplicates,
        rejected: summary.rejected,
        seconds: summary.seconds,
      },
      'events imported',
    );
    return { status: 200, headers: {}, body: summary };
  } finally {
    running--;
  }
}
