// Workload "bulk-import": the same events written three ways on one database, in the same run:
//  - raw COPY straight into engagement_event (no validation, no rollup, no rescoring queue), on one
//    connection and on two (each COPYing half the rows): the ceiling, and the baselines the bulk
//    path is judged against (≥ 0.8×);
//  - the bulk import (src/ingest/event-import.ts, two connections): NDJSON parsed and validated line
//    by line, COPY into staging, set-based merge into events, rollup and rescoring queue;
//  - trackEngagementBatch called in process (batches of 5,000, two in flight), for reference (left
//    out above MAX_BATCH_REFERENCE_EVENTS events: it would take the better part of an hour).
// Each run starts from empty event tables. The input is generated once, before the timings, and
// streamed to files (NDJSON for the import, COPY text for the raw COPY), so every path reads a file
// and memory stays bounded at any size: `BENCH_BULK_EVENTS=10000000` runs it at ten million events.
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { upsertCustomer } from '../../src/customers/customer.service';
import { trackEngagementBatch } from '../../src/engagement/engagement.service';
import type { EngagementEventInput } from '../../src/engagement/engagement.types';
import { openDatabase } from '../../src/database';
import type { Db } from '../../src/infra/sql';
import { importEvents } from '../../src/ingest/event-import';
import { ndjsonLines } from '../../src/ingest/ndjson-lines';
import { sessionUrl } from '../../src/infra/postgres-session';
import { pick, streamFor } from '../generate/random';
import { createDatabase, databaseUrl, dropDatabase, sql } from '../support/databases';
import { summarise, Summary } from '../support/stats';

const TYPES = ['login', 'feature_used', 'feature_used', 'page_view', 'page_view', 'api_call'];
const FEATURES = ['dashboards', 'reports', 'alerts', 'exports', 'integrations', 'sso', 'webhooks', 'segments', 'playbooks', 'forecasts'];
const LINES_PER_WRITE = 1_000;
const MAX_BATCH_REFERENCE_EVENTS = 2_000_000;

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
  /** Raw COPY on two connections, each COPYing half the rows at the same time. */
  rawCopyTwoEventsPerSecond: Summary;
  bulkEventsPerSecond: Summary;
  /** Null above MAX_BATCH_REFERENCE_EVENTS. */
  batchEventsPerSecond: Summary | null;
  /** Bulk ÷ raw COPY on one connection, per run (the same run's figures). */
  bulkToRawCopy: Summary;
  /** Bulk ÷ raw COPY on two connections, per run. */
  bulkToRawCopyTwo: Summary;
  /** The benchmark process's peak resident set (getrusage maxrss), all paths included. */
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

/** The workload's events, one at a time (seeded: the same on every run and machine). */
export function* generateEvents(customers: number, count: number, days: number, now = Date.now()): Generator<GeneratedEvent> {
  const random = streamFor('bulk-import', 'events');
  for (let i = 0; i < count; i++) {
    const eventType = pick(random, TYPES);
    yield {
      customerId: `bulk_${String(Math.floor(random() * customers)).padStart(6, '0')}`,
      eventType,
      userId: `u${Math.floor(random() * 20)}`,
      feature: eventType === 'feature_used' ? pick(random, FEATURES) : null,
      metadata: eventType === 'page_view' ? { path: '/reports' } : null,
      occurredAt: new Date(now - Math.floor(random() * days * 86_400_000)).toISOString(),
      idempotencyKey: `evt-${i}`,
    };
  }
}

const copyNull = (value: string | null) => value ?? '\\N';
const copyText = (e: GeneratedEvent) =>
  `${e.customerId}\t${e.eventType}\t${e.userId}\t${copyNull(e.feature)}\t${e.metadata ? JSON.stringify(e.metadata) : '\\N'}\t${e.occurredAt}\t${e.idempotencyKey}\n`;

/** Writes the events as NDJSON to `ndjson` and as COPY text to `halves` (the first half, then the second). */
async function writeInput(events: Iterable<GeneratedEvent>, count: number, ndjson: string, halves: [string, string]): Promise<void> {
  const files = [ndjson, ...halves].map((file) => createWriteStream(file));
  const write = async (file: (typeof files)[number], text: string) => {
    if (!file.write(text)) await once(file, 'drain');
  };
  let json = '';
  let copy = '';
  let i = 0;
  for (const event of events) {
    json += `${JSON.stringify(event)}\n`;
    copy += copyText(event);
    i++;
    if (i % LINES_PER_WRITE === 0 || i === count || i === Math.ceil(count / 2)) {
      await write(files[0], json);
      await write(files[i <= Math.ceil(count / 2) ? 1 : 2], copy);
      json = '';
      copy = '';
    }
  }
  await Promise.all(files.map((file) => new Promise((resolve) => file.end(resolve))));
}

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

/** One COPY of `files`, one after the other, on one connection. */
async function rawCopy(url: string, files: string[]): Promise<void> {
  const client = new Client({ connectionString: sessionUrl(url) });
  await client.connect();
  try {
    const copy = client.query(
      copyFrom('copy engagement_event (customer_id, event_type, user_id, feature, metadata, occurred_at, idempotency_key) from stdin'),
    );
    await pipeline(async function* () {
      for (const file of files) yield* createReadStream(file);
    }, copy);
  } finally {
    await client.end();
  }
}

async function* eventBatches(ndjson: string): AsyncGenerator<EngagementEventInput[]> {
  let batch: EngagementEventInput[] = [];
  for await (const { text } of ndjsonLines(createReadStream(ndjson), 64 * 1024)) {
    const event = JSON.parse(text as string) as GeneratedEvent;
    batch.push({ ...event, occurredAt: new Date(event.occurredAt) });
    if (batch.length === 5_000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

async function batchPath(db: Db, ndjson: string): Promise<void> {
  const batches = eventBatches(ndjson);
  await Promise.all(
    Array.from({ length: 2 }, async () => {
      for (let next = await batches.next(); !next.done; next = await batches.next()) {
        const result = await trackEngagementBatch(db.fork() as Db, null, next.value);
        if (result.errors.length > 0) throw new Error(`batch refused events: ${JSON.stringify(result.errors[0])}`);
      }
    }),
  );
}

async function createCustomers(db: Db, count: number): Promise<void> {
  for (let start = 0; start < count; start += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, count - start) }, (_, k) =>
        upsertCustomer(
          db.fork() as Db,
          null,
          { id: `bulk_${String(start + k).padStart(6, '0')}`, name: `Bulk ${start + k}` },
          { mayReadStored: true },
        ),
      ),
    );
  }
}

interface RunSeconds {
  raw: number;
  rawTwo: number;
  bulk: number;
  batch: number | null;
}

/** One run of every path from empty event tables, timed. */
async function runOnce(name: string, db: Db, options: BulkImportOptions, ndjson: string, halves: [string, string]): Promise<RunSeconds> {
  const url = databaseUrl(name);
  await resetEvents(name);
  const raw = await timed(() => rawCopy(url, halves));
  await resetEvents(name);
  const rawTwo = await timed(() => Promise.all(halves.map((half) => rawCopy(url, [half]))));
  await resetEvents(name);
  const bulk = await timed(async () => {
    const summary = await importEvents(url, createReadStream(ndjson));
    if (summary.accepted !== options.events)
      throw new Error(
        `the bulk import stored ${summary.accepted} of ${options.events} events: ${JSON.stringify(summary.errors.slice(0, 3))}`,
      );
  });
  let batch: number | null = null;
  if (options.events <= MAX_BATCH_REFERENCE_EVENTS) {
    await resetEvents(name);
    batch = await timed(() => batchPath(db, ndjson));
  }
  const perSecond = (seconds: number) => Math.round(options.events / seconds).toLocaleString('en');
  process.stderr.write(
    `  [bulk-import] ${options.events.toLocaleString('en')} events: raw COPY ${perSecond(raw)}/s (1 connection), ${perSecond(rawTwo)}/s (2), ` +
      `bulk import ${perSecond(bulk)}/s (${(raw / bulk).toFixed(2)}× / ${(rawTwo / bulk).toFixed(2)}×)` +
      `${batch === null ? '' : `, trackEngagementBatch ${perSecond(batch)}/s`}\n`,
  );
  return { raw, rawTwo, bulk, batch };
}

export async function runBulkImport(options: BulkImportOptions): Promise<BulkImportResult> {
  const name = 'hg_bench_bulk_import';
  await dropDatabase(name);
  await createDatabase(name);
  const orm = await openDatabase(databaseUrl(name), 6);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hg-bench-bulk-'));
  try {
    await createCustomers(orm.em.fork() as Db, options.customers);
    const ndjson = path.join(dir, 'events.ndjson');
    const halves: [string, string] = [path.join(dir, 'first.copy'), path.join(dir, 'second.copy')];
    await writeInput(generateEvents(options.customers, options.events, options.days), options.events, ndjson, halves);
    const runs: RunSeconds[] = [];
    for (let run = 0; run < options.runs; run++) runs.push(await runOnce(name, orm.em.fork() as Db, options, ndjson, halves));
    const perSecond = (pick: (run: RunSeconds) => number) => summarise(runs.map((run) => options.events / pick(run)));
    return {
      events: options.events,
      rawCopyEventsPerSecond: perSecond((run) => run.raw),
      rawCopyTwoEventsPerSecond: perSecond((run) => run.rawTwo),
      bulkEventsPerSecond: perSecond((run) => run.bulk),
      batchEventsPerSecond: options.events <= MAX_BATCH_REFERENCE_EVENTS ? perSecond((run) => run.batch as number) : null,
      bulkToRawCopy: summarise(runs.map((run) => run.raw / run.bulk)),
      bulkToRawCopyTwo: summarise(runs.map((run) => run.rawTwo / run.bulk)),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await orm.close(true);
    await dropDatabase(name);
  }
}
