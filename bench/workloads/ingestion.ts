// Workload 2, ingestion, end to end over HTTP against a server on its own database:
//  - `trackEngagementBatch` with 5,000 events per call, a few calls in flight (ingestion jobs);
//  - single `trackEngagement` calls from 32 concurrent clients (autocannon), with latency percentiles.
// The server runs as deployed, so the debounced rescoring of the customers those events touch runs
// alongside, as it would in production. Baseline: the same events through MikroORM's unit of work.
import { upsertCustomer } from '../../src/customers/customer.service';
import type { EngagementEventInput } from '../../src/engagement/engagement.types';
import { openDatabase } from '../../src/database';
import { Db } from '../../src/infra/sql';
import { unitOfWorkBatches, unitOfWorkSingles } from '../baselines/unit-of-work-ingestion';
import { pick, streamFor } from '../generate/random';
import { createDatabase, databaseUrl, dropDatabase, sql } from '../support/databases';
import { load } from '../support/load';
import { startServer } from '../support/server-process';
import { percentile, summarise, Summary } from '../support/stats';

const BATCH = `mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted duplicates errors { index code } } }`;
const SINGLE = `mutation ($input: EngagementEventInput!) { trackEngagement(input: $input) { id } }`;
const TYPES = ['login', 'feature_used', 'feature_used', 'page_view', 'page_view', 'api_call'];
const FEATURES = ['dashboards', 'reports', 'alerts', 'exports', 'integrations', 'sso', 'webhooks', 'segments', 'playbooks', 'forecasts'];

export interface IngestionOptions {
  customers: number;
  eventsPerBatch: number;
  batchesPerRun: number;
  batchConcurrency: number;
  singleClients: number;
  singleSeconds: number;
  runs: number;
  redisUrl: string;
}

export interface IngestionResult {
  /** rescoredWithinSeconds: from the last batch's answer until every queued customer was rescored. */
  batch: { eventsPerSecond: Summary; eventsPerRun: number; concurrency: number; rescoredWithinSeconds: Summary };
  single: { eventsPerSecond: Summary; p50Ms: Summary; p99Ms: Summary; clients: number };
  baseline: { batchEventsPerSecond: number; singleEventsPerSecond: number; singleP99Ms: number };
}

function eventSource(customers: number, seed: string): () => EngagementEventInput {
  const random = streamFor('ingest', seed);
  const now = Date.now();
  return () => {
    const eventType = pick(random, TYPES);
    return {
      customerId: `ingest_${String(Math.floor(random() * customers)).padStart(6, '0')}`,
      eventType,
      userId: `u${Math.floor(random() * 20)}`,
      feature: eventType === 'feature_used' ? pick(random, FEATURES) : null,
      metadata: eventType === 'page_view' ? { path: '/reports' } : null,
      occurredAt: new Date(now - Math.floor(random() * 3 * 86_400_000)),
    };
  };
}

async function resetEvents(name: string): Promise<void> {
  const [{ tables }] = await sql<{ tables: string[] }>(
    name,
    `select array_agg(tablename::text) as tables from pg_tables where schemaname = 'public' and tablename like 'engagement%'`,
  );
  await retryOnLockConflict(() => sql(name, `truncate ${tables.map((t) => `"${t}"`).join(', ')}`));
  await sql(name, 'delete from rescore_request');
  await sql(name, 'update customer set last_activity_at = null where last_activity_at is not null');
}

/**
 * Retries a statement that PostgreSQL aborted as a deadlock (40P01). `TRUNCATE` takes its tables'
 * locks one by one, so a server round that begins reading them in between deadlocks with it; the
 * round is short, and the retry comes after it.
 */
async function retryOnLockConflict<T>(statement: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt === 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** Polls in a row that must find the queue empty and the server's sessions idle. */
const QUIET_POLLS = 5;

/**
 * Waits until the server has rescored every customer the previous run queued; returns how long that
 * took, in s (up to the first poll of the quiet streak). An empty queue is not enough: a round claims
 * its customers (deleting their queue rows) before it scores them, in a statement of its own, so the
 * server's sessions must be idle too, and stay idle over several polls: one poll can fall between a
 * claim and its scoring. (Truncating the event tables while a round still read them deadlocked the
 * benchmark.)
 */
async function waitForRescoring(name: string): Promise<number> {
  const started = Date.now();
  const deadline = started + 120_000;
  let quietSince: number | null = null;
  let quietPolls = 0;
  while (Date.now() < deadline) {
    const [{ pending, busy }] = await sql<{ pending: number; busy: number }>(
      name,
      `select (select count(*)::int from rescore_request) as pending,
              (select count(*)::int from pg_stat_activity
               where datname = current_database() and state <> 'idle' and pid <> pg_backend_pid()) as busy`,
    );
    if (pending === 0 && busy === 0) {
      quietSince ??= Date.now();
      if (++quietPolls === QUIET_POLLS) return (quietSince - started) / 1000;
    } else {
      quietSince = null;
      quietPolls = 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the server did not rescore the queued customers within 120 s');
}

export async function runIngestion(options: IngestionOptions): Promise<IngestionResult> {
  const name = 'hg_bench_ingest';
  await dropDatabase(name);
  await createDatabase(name);
  const url = databaseUrl(name);
  const orm = await openDatabase(url, 10);
  try {
    const db = orm.em.fork() as Db;
    for (let start = 0; start < options.customers; start += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, options.customers - start) }, (_, k) =>
          upsertCustomer(
            db.fork() as Db,
            null,
            { id: `ingest_${String(start + k).padStart(6, '0')}`, name: `Ingest ${start + k}` },
            { mayReadStored: true },
          ),
        ),
      );
    }
    await resetEvents(name);

    const server = await startServer({
      name: 'ingestion',
      database: url,
      redisUrl: options.redisUrl,
      env: process.env.BENCH_INGEST_ENV ? JSON.parse(process.env.BENCH_INGEST_ENV) : {},
    });
    const batchRates: number[] = [];
    const catchUps: number[] = [];
    const singleRates: number[] = [];
    const singleP50: number[] = [];
    const singleP99: number[] = [];
    try {
      for (let run = 0; run < options.runs; run++) {
        const next = eventSource(options.customers, `batch-${run}`);
        const bodies = Array.from({ length: options.batchesPerRun }, () =>
          JSON.stringify({ query: BATCH, variables: { events: Array.from({ length: options.eventsPerBatch }, next) } }),
        );
        await resetEvents(name);
        let sent = 0;
        let accepted = 0;
        const started = process.hrtime.bigint();
        await Promise.all(
          Array.from({ length: options.batchConcurrency }, async () => {
            while (sent < bodies.length) {
              const body = bodies[sent++];
              const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
              const result = (await response.json()) as {
                data?: { trackEngagementBatch: { accepted: number } | null } | null;
                errors?: unknown[];
              };
              // A failed batch answers `trackEngagementBatch: null` beside its error (root fields are nullable), not a null data.
              const batch = result.data?.trackEngagementBatch;
              if (result.errors?.length || !batch)
                throw new Error(`batch failed (HTTP ${response.status}): ${JSON.stringify(result.errors ?? result).slice(0, 500)}`);
              accepted += batch.accepted;
            }
          }),
        );
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (accepted !== options.batchesPerRun * options.eventsPerBatch) throw new Error(`accepted ${accepted} events`);
        batchRates.push(accepted / seconds);
        const catchUp = await waitForRescoring(name);
        catchUps.push(catchUp);
        process.stderr.write(
          `  [ingestion] batches of ${options.eventsPerBatch}: ${Math.round(accepted / seconds).toLocaleString('en')} events/s; queued customers rescored ${catchUp.toFixed(1)} s after the last batch\n`,
        );

        await resetEvents(name);
        const nextSingle = eventSource(options.customers, `single-${run}`);
        const single = await load({
          url: server.url,
          connections: options.singleClients,
          seconds: options.singleSeconds,
          body: () => JSON.stringify({ query: SINGLE, variables: { input: nextSingle() } }),
        });
        if (single.failures > 0) throw new Error(`${single.failures} single trackEngagement calls failed`);
        singleRates.push(single.requestsPerSecond);
        singleP50.push(single.p50Ms);
        singleP99.push(single.p99Ms);
        process.stderr.write(
          `  [ingestion] single events, ${options.singleClients} clients: ${Math.round(single.requestsPerSecond)} events/s, p99 ${single.p99Ms} ms\n`,
        );
        await waitForRescoring(name);
      }
    } finally {
      await server.stop();
    }

    // Baseline, same shapes, once (ratios are taken within this run).
    await resetEvents(name);
    const next = eventSource(options.customers, 'baseline');
    const batches = Array.from({ length: options.batchesPerRun }, () => Array.from({ length: options.eventsPerBatch }, next));
    const batchEventsPerSecond = await unitOfWorkBatches(orm, batches, options.batchConcurrency);
    await resetEvents(name);
    const singles = await unitOfWorkSingles(
      orm,
      eventSource(options.customers, 'baseline-single'),
      options.singleClients,
      options.singleSeconds,
    );
    process.stderr.write(
      `  [ingestion] baseline (unit of work): batches ${Math.round(batchEventsPerSecond)} events/s, singles ${Math.round(singles.eventsPerSecond)} events/s\n`,
    );
    return {
      batch: {
        eventsPerSecond: summarise(batchRates),
        eventsPerRun: options.batchesPerRun * options.eventsPerBatch,
        concurrency: options.batchConcurrency,
        rescoredWithinSeconds: summarise(catchUps),
      },
      single: {
        eventsPerSecond: summarise(singleRates),
        p50Ms: summarise(singleP50),
        p99Ms: summarise(singleP99),
        clients: options.singleClients,
      },
      baseline: { batchEventsPerSecond, singleEventsPerSecond: singles.eventsPerSecond, singleP99Ms: percentile(singles.latenciesMs, 99) },
    };
  } finally {
    await orm.close(true);
    await dropDatabase(name);
  }
}
