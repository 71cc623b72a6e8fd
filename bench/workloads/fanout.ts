// Workload 4, live fan-out: N graphql-ws clients (a separate process) on instance A, tier changes
// made by instance B, Redis in between.
//  A. All clients subscribe to `healthTierChanged` unfiltered; B rescores one customer at a time
//     (`refreshHealthScore`), each a tier change: latency from the mutation being sent to each
//     client receiving the event.
//  B. Clients resubscribe with their own filters (most to one customer, some to a tier, a few to
//     everything); B runs `refreshAllHealthScores`, which changes every flipper's tier: every client
//     must receive exactly the events its filter asks for; instance A's largest event-loop stall is
//     read from inside (bench/support/loop-monitor.cjs).
// The data: "flippers" active daily until 25 (or 12) days before the anchor, scored healthy 25 days
// before it; from the anchor on they are in a worse tier. Rows written after the anchor are removed
// between runs, so every run changes the same tiers.
import { ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { upsertCustomer } from '../../src/customers/customer.service';
import { trackEngagementBatch } from '../../src/engagement/engagement.service';
import type { EngagementEventInput } from '../../src/engagement/engagement.types';
import { readConfig } from '../../src/infra/config';
import type { CoreServices } from '../../src/context';
import { openDatabase } from '../../src/database';
import { createLogger } from '../../src/infra/logger';
import { InProcessPubSub } from '../../src/infra/pubsub';
import { Db, query } from '../../src/infra/sql';
import { refreshAllHealthScores } from '../../src/scoring/scoring.service';
import type { ChildMessage, ParentMessage, SubscriberSpec } from '../clients/subscribers';
import { createDatabase, databaseExists, databaseUrl, dropDatabase, sql } from '../support/databases';
import { graphql, ServerProcess, startServer } from '../support/server-process';
import { percentile, summarise, Summary } from '../support/stats';

const DAY_MS = 86_400_000;
const FEATURES = ['dashboards', 'reports', 'alerts', 'exports', 'integrations', 'sso', 'webhooks', 'segments'];
const LIVE_VERSION = 2;

export interface FanoutOptions {
  clients: number;
  /** Customers whose tier changes in the full run (part B); the first `singleFlips` are also flipped one by one in part A. */
  flippers: number;
  singleFlips: number;
  /** Part B mix: clients subscribed to a tier, and to everything; the rest subscribe to one customer each. */
  tierSubscribers: number;
  globalSubscribers: number;
  runs: number;
  redisUrl: string;
}

export interface FanoutResult {
  clients: number;
  connectSeconds: number;
  rssAtConnectionsMb: number;
  oneChange: { p50Ms: Summary; p99Ms: Summary; maxMs: Summary; deliveries: number };
  scoringRun: {
    tierChanges: number;
    expectedDeliveries: number;
    deliveredSeconds: Summary;
    maxStallMs: Summary;
    complete: boolean;
    peakRssMb: Summary;
  };
  idleMaxStallMs: number;
}

/**
 * Removes what the workload's own scorings wrote (everything after the data set's anchor), so each
 * run starts from the flippers' healthy history. The runs score now, not as of the anchor: scoring
 * a past instant is a backfill, which publishes nothing.
 */
export async function forgetLiveScoring(name: string, anchor: Date): Promise<void> {
  await sql(
    name,
    `with a as (delete from health_score where as_of > $1),
          b as (delete from tier_change where changed_at > $1),
          c as (delete from outreach_action where created_at > $1)
     delete from scoring_run where as_of > $1`,
    [anchor.toISOString()],
  );
}

function flipperId(index: number): string {
  return `live_${String(index).padStart(5, '0')}`;
}

/** Customers active daily until 25 days (even) or 12 days (odd) before the anchor and silent since, scored healthy 25 days before it. */
export async function ensureLiveDataSet(name: string, flippers: number): Promise<{ url: string; anchor: Date }> {
  if (await databaseExists(name)) {
    try {
      const [row] = await sql<{ info: { version: number; flippers: number; anchor: string } }>(
        name,
        'select info from bench_dataset where id = 1',
      );
      if (row?.info.version === LIVE_VERSION && row.info.flippers === flippers)
        return { url: databaseUrl(name), anchor: new Date(row.info.anchor) };
    } catch {
      // regenerate
    }
  }
  await dropDatabase(name);
  await createDatabase(name);
  const url = databaseUrl(name);
  const anchor = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  const orm = await openDatabase(url, 3);
  try {
    const db = orm.em.fork() as Db;
    await query(db, 'create table bench_dataset (id int primary key, info jsonb not null)');
    for (let i = 0; i < flippers; i++) await upsertCustomer(db, null, { id: flipperId(i), name: `Live ${i}` }, { mayReadStored: true });
    let batch: EngagementEventInput[] = [];
    const flush = async () => {
      if (batch.length > 0) await trackEngagementBatch(db, null, batch, anchor);
      batch = [];
    };
    for (let i = 0; i < flippers; i++) {
      const silentDays = i % 2 === 0 ? 25 : 12;
      for (let day = 60; day > silentDays; day--) {
        const at = anchor.getTime() - day * DAY_MS;
        batch.push({ customerId: flipperId(i), eventType: 'login', userId: 'u1', occurredAt: new Date(at) });
        for (let f = 0; f < 3; f++)
          batch.push({
            customerId: flipperId(i),
            eventType: 'feature_used',
            userId: 'u1',
            feature: FEATURES[(day + f + i) % FEATURES.length],
            occurredAt: new Date(at + (f + 1) * 60_000),
          });
        if (batch.length >= 5000) await flush();
      }
    }
    await flush();
    const services: CoreServices = {
      orm,
      pubsub: new InProcessPubSub(),
      logger: createLogger('silent'),
      config: { ...readConfig({}), databaseUrl: url },
      onModelActivated: [],
      onFullRunLockLost: [],
    };
    // One history point, when every flipper was still active: each of them changes tier when scored now.
    await refreshAllHealthScores(services, orm.em.fork() as Db, new Date(anchor.getTime() - 25 * DAY_MS + 3_600_000));
    await query(db, 'delete from rescore_request');
    await query(db, 'insert into bench_dataset (id, info) values (1, ?::jsonb)', [
      JSON.stringify({ version: LIVE_VERSION, flippers, anchor }),
    ]);
  } finally {
    await orm.close(true);
  }
  return { url, anchor };
}

class Subscribers {
  private readonly child: ChildProcess;
  private readonly waiting: Array<(message: ChildMessage) => void> = [];

  constructor() {
    this.child = fork(path.join(__dirname, '../clients/subscribers.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only', '--max-old-space-size=4096'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: ChildMessage) => {
      const index = this.waiting.findIndex(() => true);
      if (index >= 0) this.waiting.splice(index, 1)[0](message);
    });
  }

  request<T extends ChildMessage['type']>(message: ParentMessage, reply: T): Promise<Extract<ChildMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiting.push((answer) =>
        answer.type === reply
          ? resolve(answer as Extract<ChildMessage, { type: T }>)
          : reject(new Error(`expected ${reply}, got ${answer.type}`)),
      );
      this.child.send(message);
    });
  }

  post(message: ParentMessage): void {
    this.child.send(message);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

async function waitForDeliveries(
  subscribers: Subscribers,
  expected: number,
  timeoutMs: number,
): Promise<{ received: number; lastReceiveMs: number }> {
  const deadline = Date.now() + timeoutMs;
  let progress = await subscribers.request({ type: 'progress' }, 'progress');
  while (progress.received < expected && Date.now() < deadline) {
    await sleep(100);
    progress = await subscribers.request({ type: 'progress' }, 'progress');
  }
  return progress;
}

export async function runFanout(options: FanoutOptions): Promise<FanoutResult> {
  const name = 'hg_bench_live';
  const { url, anchor } = await ensureLiveDataSet(name, options.flippers);
  await forgetLiveScoring(name, anchor);
  const reader: ServerProcess = await startServer({ name: 'fanout-reader', database: url, redisUrl: options.redisUrl });
  const writer: ServerProcess = await startServer({ name: 'fanout-writer', database: url, redisUrl: options.redisUrl });
  const subscribers = new Subscribers();
  try {
    const connected = await subscribers.request({ type: 'connect', url: reader.wsUrl, count: options.clients }, 'connected');
    if (connected.failed > 0) throw new Error(`${connected.failed} of ${options.clients} clients failed to connect`);
    process.stderr.write(`  [fanout] ${connected.count} clients connected in ${connected.seconds.toFixed(1)} s\n`);

    // ---- A: one change, every client ----
    await subscribers.request({ type: 'subscribe', specs: [{}] }, 'subscribed');
    await sleep(2000);
    const rssAtConnections = reader.rss();
    await reader.loopStats();
    await sleep(1000);
    const idle = await reader.loopStats();
    const p50: number[] = [];
    const p99: number[] = [];
    const max: number[] = [];
    let deliveries = 0;
    for (let run = 0; run < options.runs; run++) {
      await forgetLiveScoring(name, anchor);
      subscribers.post({ type: 'reset' });
      const sentAt: Record<string, number> = {};
      for (let i = 0; i < options.singleFlips; i++) {
        const customerId = flipperId(i);
        sentAt[customerId] = nowMs();
        await graphql(writer.url, 'mutation ($id: ID!) { refreshHealthScore(customerId: $id) { tier } }', { id: customerId });
        await waitForDeliveries(subscribers, (i + 1) * options.clients, 5000);
        await sleep(100);
      }
      const report = await subscribers.request({ type: 'report' }, 'report');
      if (report.errors.length) throw new Error(`subscription errors: ${report.errors.join('; ')}`);
      const latencies: number[] = [];
      for (const [customerId, times] of Object.entries(report.receiveTimesMsByCustomer))
        for (const t of times) latencies.push(t - sentAt[customerId]);
      deliveries = latencies.length;
      if (deliveries !== options.singleFlips * options.clients)
        throw new Error(`one-change fan-out delivered ${deliveries} of ${options.singleFlips * options.clients} events`);
      p50.push(percentile(latencies, 50));
      p99.push(percentile(latencies, 99));
      max.push(percentile(latencies, 100));
      process.stderr.write(
        `  [fanout] one change to ${options.clients} clients: p50 ${p50.at(-1)?.toFixed(0)} ms, p99 ${p99.at(-1)?.toFixed(0)} ms\n`,
      );
    }

    // ---- B: a scoring run that changes every flipper's tier, clients with their own filters ----
    const specs: SubscriberSpec[] = Array.from({ length: options.clients }, (_, index) => {
      if (index < options.clients - options.tierSubscribers - options.globalSubscribers)
        return { customerId: flipperId(index % options.flippers) };
      if (index < options.clients - options.globalSubscribers) return { tiers: ['critical'] };
      return {};
    });
    await subscribers.request({ type: 'subscribe', specs }, 'subscribed');
    await sleep(3000);
    const seconds: number[] = [];
    const stalls: number[] = [];
    const rss: number[] = [];
    let tierChanges = 0;
    let expectedDeliveries = 0;
    let complete = true;
    for (let run = 0; run < options.runs; run++) {
      await forgetLiveScoring(name, anchor);
      subscribers.post({ type: 'reset' });
      await reader.loopStats();
      const watch = reader.watchRss();
      const sentAt = nowMs();
      const result = await graphql<{ refreshAllHealthScores: { tierChanges: number } }>(
        writer.url,
        'mutation { refreshAllHealthScores { tierChanges } }',
        {},
      );
      tierChanges = result.refreshAllHealthScores.tierChanges;
      const changes = await sql<{ customer_id: string; to_tier: string }>(
        name,
        'select customer_id, to_tier from tier_change where changed_at > $1',
        [anchor.toISOString()],
      );
      const byCustomer = new Map(changes.map((c) => [c.customer_id, c]));
      const expected = specs.map((spec) =>
        spec.customerId
          ? byCustomer.has(spec.customerId)
            ? 1
            : 0
          : spec.tiers
            ? changes.filter((c) => spec.tiers?.includes(c.to_tier)).length
            : changes.length,
      );
      expectedDeliveries = expected.reduce((a, b) => a + b, 0);
      const progress = await waitForDeliveries(subscribers, expectedDeliveries, 120_000);
      await sleep(500);
      const loop = await reader.loopStats();
      rss.push(watch.stop() / 1048576);
      const report = await subscribers.request({ type: 'report' }, 'report');
      const ok = report.clients.every((c, i) => c.received === expected[i] && c.distinctCustomers === expected[i] && c.wrong === 0);
      complete &&= ok;
      seconds.push((progress.lastReceiveMs - sentAt) / 1000);
      stalls.push(loop.maxStallMs);
      process.stderr.write(
        `  [fanout] scoring run: ${tierChanges} tier changes, ${progress.received}/${expectedDeliveries} deliveries in ${seconds.at(-1)?.toFixed(2)} s, ` +
          `largest stall ${loop.maxStallMs.toFixed(0)} ms${ok ? '' : ' (INCOMPLETE)'}\n`,
      );
    }
    await forgetLiveScoring(name, anchor);
    return {
      clients: connected.count,
      connectSeconds: connected.seconds,
      rssAtConnectionsMb: rssAtConnections / 1048576,
      oneChange: { p50Ms: summarise(p50), p99Ms: summarise(p99), maxMs: summarise(max), deliveries },
      scoringRun: {
        tierChanges,
        expectedDeliveries,
        deliveredSeconds: summarise(seconds),
        maxStallMs: summarise(stalls),
        complete,
        peakRssMb: summarise(rss),
      },
      idleMaxStallMs: idle.maxStallMs,
    };
  } finally {
    await subscribers.close();
    await writer.stop();
    await reader.stop();
  }
}
