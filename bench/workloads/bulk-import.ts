// Workload "bulk-import": the same events written three ways on one database, in the same run:
//  - raw COPY straight into engagement_event (one connection, no validation, no rollup, no
//    rescoring queue): the ceiling, and the baseline the bulk path is judged against (≥ 0.8×);
//  - the bulk import (src/ingest/event-import.ts): NDJSON parsed and validated line by line, COPY
//    into staging, set-based merge into events, rollup and rescoring queue;
//  - trackEngagementBatch called in process (batches of 5,000, two in flight), for reference.
// Each run starts from empty event tables. The input is generated once, before the timings.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { upsertCustomer } from '../../src/customers/customer.service';
import { trackEngagementBatch } from '../../src/engagement/engagement.service';
import type { EngagementEventInput } from '../../src/engagement/engagement.types';
import { openDatabase } from '../../src/database';
import type { Db } from '../../src/infra/sql';
import { importEvents } from '../../src/ingest/event-import';
import { pick, streamFor } from '../generate/random';
import { createDatabase, databaseUrl, dropDatabase, sql } from '../support/databases';
import { summarise, Summary } from '../support/stats';

const TYPES = ['login', 'feature_used', 'feature_used', 'page_view', 'page_view', 'api_call'];
const FEATURES = ['dashboards', 'reports', 'alerts', 'exports', 'integrations', 'sso', 'webhooks', 'segments', 'playbooks', 'forecasts'];
const LINES_PER_CHUNK = 1_000;

export interface BulkImportOptions {
  customers: number;
  events: number;
  /** Days the events span, ending now: with the customers, how many events share a rollup row. */
  days: number;
  runs: number;
}

export interface BulkImportResult {
  events: number;
  rawCopyEventsPerSecond: Summary;
  bulkEventsPerSecond: Summary;
  batchEventsPerSecond: Summary;
  /** Bulk ÷ raw COPY, per run (the same run's figures). */
  bulkToRawCopy: Summary;
  peakRssMb: number;
}

interface GeneratedEvent {
  customerId: string;
  eventType: string;
  userId: string;
  feature: string | null;
  metadata: Record<string, unknown> | null;
  occurredAt: string;
  idempotencyKey: string;
}

function generateEvents(customers: number, count: number, days: number): GeneratedEvent[] {
  const random = streamFor('bulk-import', 'events');
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const eventType = pick(random, TYPES);
    return {
      customerId: `bulk_${String(Math.floor(random() * customers)).padStart(6, '0')}`,
      eventType,
      userId: `u${Math.floor(random() * 20)}`,
      feature: eventType === 'feature_used' ? pick(random, FEATURES) : null,
      metadata: eventType === 'page_view' ? { path: '/reports' } : null,
      occurredAt: new Date(now - Math.floor(random() * days * 86_400_000)).toISOString(),
      idempotencyKey: `evt-${i}`,
    };
  });
}

function chunked(lines: string[]): string[] {
  const chunks: string[] = [];
  for (let start = 0; start < lines.length; start += LINES_PER_CHUNK) chunks.push(lines.slice(start, start + LINES_PER_CHUNK).join(''));
  return chunks;
}

const copyNull = (value: string | null) => value ?? '\\N';

async function resetEvents(name: string): Promise<void> {
  await sql(name, 'truncate engagement_event, engagement_day');
  await sql(name, 'delete from rescore_request');
  await sql(name, 'vacuum analyze engagement_event, engagement_day, rescore_request');
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function rawCopy(url: string, chunks: string[]): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await pipeline(
      Readable.from(chunks),
      client.query(
        copyFrom('copy engagement_event (customer_id, event_type, user_id, feature, metadata, occurred_at, idempotency_key) from stdin'),
      ),
    );
  } finally {
    await client.end();
  }
}

async function batchPath(db: Db, events: GeneratedEvent[]): Promise<void> {
  const batches: EngagementEventInput[][] = [];
  for (let start = 0; start < events.length; start += 5_000) {
    batches.push(events.slice(start, start + 5_000).map((e) => ({ ...e, occurredAt: new Date(e.occurredAt) })));
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 2 }, async () => {
      while (next < batches.length) {
        const result = await trackEngagementBatch(db.fork() as Db, null, batches[next++]);
        if (result.errors.length > 0) throw new Error(`batch refused events: ${JSON.stringify(result.errors[0])}`);
      }
    }),
  );
}

export async function runBulkImport(options: BulkImportOptions): Promise<BulkImportResult> {
  const name = 'hg_bench_bulk_import';
  await dropDatabase(name);
  await createDatabase(name);
  const url = databaseUrl(name);
  const orm = await openDatabase(url, 6);
  let peakRss = process.memoryUsage().rss;
  try {
    const db = orm.em.fork() as Db;
    for (let start = 0; start < options.customers; start += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, options.customers - start) }, (_, k) =>
          upsertCustomer(db.fork() as Db, null, { id: `bulk_${String(start + k).padStart(6, '0')}`, name: `Bulk ${start + k}` }),
        ),
      );
    }
    const events = generateEvents(options.customers, options.events, options.days);
    const ndjson = chunked(events.map((e) => `${JSON.stringify(e)}\n`));
    const copyText = chunked(
      events.map(
        (e) =>
          `${e.customerId}\t${e.eventType}\t${e.userId}\t${copyNull(e.feature)}\t${e.metadata ? JSON.stringify(e.metadata) : '\\N'}\t${e.occurredAt}\t${e.idempotencyKey}\n`,
      ),
    );
    const raw: number[] = [];
    const bulk: number[] = [];
    const batch: number[] = [];
    const ratios: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      await resetEvents(name);
      const rawSeconds = await timed(() => rawCopy(url, copyText));
      await resetEvents(name);
      const bulkSeconds = await timed(async () => {
        const summary = await importEvents(url, Readable.from(ndjson));
        if (summary.accepted !== options.events)
          throw new Error(
            `the bulk import stored ${summary.accepted} of ${options.events} events: ${JSON.stringify(summary.errors.slice(0, 3))}`,
          );
      });
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      await resetEvents(name);
      const batchSeconds = await timed(() => batchPath(db, events));
      raw.push(options.events / rawSeconds);
      bulk.push(options.events / bulkSeconds);
      batch.push(options.events / batchSeconds);
      ratios.push(rawSeconds / bulkSeconds);
      process.stderr.write(
        `  [bulk-import] ${options.events.toLocaleString('en')} events: raw COPY ${Math.round(options.events / rawSeconds).toLocaleString('en')}/s, ` +
          `bulk import ${Math.round(options.events / bulkSeconds).toLocaleString('en')}/s (${(rawSeconds / bulkSeconds).toFixed(2)}×), ` +
          `trackEngagementBatch ${Math.round(options.events / batchSeconds).toLocaleString('en')}/s\n`,
      );
    }
    return {
      events: options.events,
      rawCopyEventsPerSecond: summarise(raw),
      bulkEventsPerSecond: summarise(bulk),
      batchEventsPerSecond: summarise(batch),
      bulkToRawCopy: summarise(ratios),
      peakRssMb: Math.round(peakRss / 1024 / 1024),
    };
  } finally {
    await orm.close(true);
    await dropDatabase(name);
  }
}
