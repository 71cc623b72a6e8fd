// The SQL aggregates behind every score (gatherMetrics: engagement read from the daily rollup and
// the raw events of window-boundary days) must equal the reference computed from the raw events
// in memory (metricsFromActivity), for any asOf.
import type { MikroORM } from '@mikro-orm/core';
import { upsertCustomer } from '../../src/customers/customer.service';
import { trackEngagementBatch } from '../../src/engagement/engagement.service';
import { openDatabase } from '../../src/infra/database';
import { Db, query } from '../../src/infra/sql';
import { gatherMetrics } from '../../src/scoring/gather-metrics.sql';
import { DAY_MS, DEFAULT_SCORING_MODEL, lastActivityAt, metricRequests, metricsFromActivity } from '../../src/scoring/model';
import type { ActivityLog } from '../../src/scoring/model';
import { createTestDatabase, TestDatabase } from '../helpers/database';

const LOOKBACK_DAYS = DEFAULT_SCORING_MODEL.lifecycle.churnWindowDays + 1;
const ANCHOR = Date.parse('2026-10-20T00:00:00Z');
const CUSTOMERS = ['cust_a', 'cust_b', 'cust_c', 'cust_d', 'cust_e', 'cust_wide'];
const TYPES = ['login', 'feature_used', 'feature_used', 'page_view', 'user_added'];

let database: TestDatabase;
let orm: MikroORM;
const activity = new Map<string, ActivityLog['engagementEvents']>(CUSTOMERS.map((id) => [id, []]));

/** A deterministic stream in [0, 1). */
function randomStream(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 48271) % 2147483647) / 2147483647;
}

async function store(events: Array<{ customerId: string; eventType: string; feature?: string | null; occurredAt: Date }>): Promise<void> {
  const result = await trackEngagementBatch(orm.em.fork() as Db, events);
  expect(result.errors).toEqual([]);
  for (const e of events) activity.get(e.customerId)!.push({ occurredAt: e.occurredAt, eventType: e.eventType, feature: e.feature ?? null });
}

/** A feature name of 40 characters. */
const wideFeature = (n: number) => `feature-with-a-long-descriptive-name-${String(n).padStart(3, '0')}`;

beforeAll(async () => {
  database = await createTestDatabase('gather_metrics');
  orm = await openDatabase(database.url, 4);
  for (const id of CUSTOMERS) await upsertCustomer(orm.em.fork() as Db, { id, name: id });

  // 100 days of random events (some after the latest asOf below, which must be ignored), sent in
  // shuffled batches so rollup days are written by several statements.
  const random = randomStream(7);
  const events: Array<{ customerId: string; eventType: string; feature?: string | null; occurredAt: Date }> = [];
  for (const customerId of CUSTOMERS.slice(0, 5)) {
    const perDay = 1 + Math.floor(random() * 4);
    for (let day = -95; day < 5; day++) {
      if (random() < 0.35) continue;
      for (let k = 0; k < perDay; k++) {
        const eventType = TYPES[Math.floor(random() * TYPES.length)];
        events.push({
          customerId,
          eventType,
          feature: eventType === 'feature_used' ? `f${Math.floor(random() * 12)}` : null,
          occurredAt: new Date(ANCHOR + day * DAY_MS + Math.floor(random() * DAY_MS)),
        });
      }
    }
  }
  // Events exactly on window edges (a window excludes its start and includes its end) and at midnight.
  for (const offset of [0, -1, -30, -60, -7]) {
    events.push({ customerId: 'cust_a', eventType: 'feature_used', feature: `edge${-offset}`, occurredAt: new Date(ANCHOR + offset * DAY_MS + 13 * 3_600_000) });
    events.push({ customerId: 'cust_b', eventType: 'login', occurredAt: new Date(ANCHOR + offset * DAY_MS) });
  }
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [events[i], events[j]] = [events[j], events[i]];
  }
  for (let start = 0; start < events.length; start += 97) await store(events.slice(start, start + 97));

  // cust_wide: one day 10 days back with 80 distinct long feature names, sent in three statements
  // (overlapping, so the rollup day's feature set is merged twice), and ordinary days around it.
  const wideDay = ANCHOR - 10 * DAY_MS;
  for (const [from, to] of [[0, 10], [10, 50], [40, 80]]) {
    await store(Array.from({ length: to - from }, (_, k) => ({ customerId: 'cust_wide', eventType: 'feature_used', feature: wideFeature(from + k), occurredAt: new Date(wideDay + (from + k) * 60_000) })));
  }
  await store([2, 20, 45].map((days) => ({ customerId: 'cust_wide', eventType: 'feature_used', feature: wideFeature(days), occurredAt: new Date(ANCHOR - days * DAY_MS + 3_600_000) })));
});

afterAll(async () => {
  await orm?.close(true);
  await database?.drop();
});

it('keeps each rollup day\'s features whole, merged across statements', async () => {
  const [day] = await query<{ features: string[] }>(
    orm.em.fork() as Db,
    `select features from engagement_day where customer_id = 'cust_wide' and day = ?::date`,
    [new Date(ANCHOR - 10 * DAY_MS).toISOString().slice(0, 10)],
  );
  expect(day.features).toEqual(Array.from({ length: 80 }, (_, n) => wideFeature(n)));
});

it.each([
  ['at midnight UTC', ANCHOR],
  ['in the middle of a day', ANCHOR - 0.4 * DAY_MS],
  ['just after midnight', ANCHOR - 3 * DAY_MS + 1_000],
  ['at the instant of an event', ANCHOR - 7 * DAY_MS + 13 * 3_600_000],
  ['a month back', ANCHOR - 33.7 * DAY_MS],
])('equal the reference computed from the raw events, as of %s', async (_label, asOfMs) => {
  const asOf = new Date(asOfMs);
  const requests = metricRequests(DEFAULT_SCORING_MODEL);
  const gathered = await gatherMetrics(orm.em.fork() as Db, CUSTOMERS, asOf, requests, LOOKBACK_DAYS);
  for (const customerId of CUSTOMERS) {
    const log: ActivityLog = { engagementEvents: activity.get(customerId)! };
    const expected = metricsFromActivity(log, requests, asOf);
    const actual = gathered.get(customerId)!;
    for (const request of requests) {
      const value = actual.metrics[request.key];
      const want = expected[request.key];
      if (want === null) expect([customerId, request.key, value]).toEqual([customerId, request.key, null]);
      else expect([customerId, request.key, Number(value!.toFixed(9))]).toEqual([customerId, request.key, Number(want!.toFixed(9))]);
    }
    const last = lastActivityAt(log, asOf);
    const withinLookback = last && last.getTime() > asOfMs - LOOKBACK_DAYS * DAY_MS ? last : null;
    expect([customerId, actual.lastActivityAt?.toISOString() ?? null]).toEqual([customerId, withinLookback?.toISOString() ?? null]);
  }
  // The wide day counts all its 80 features (plus the ordinary days' distinct ones) within 30 days.
  const features = gathered.get('cust_wide')!.metrics[requests.find((r) => r.metric === 'distinct_features')!.key];
  if (asOfMs >= ANCHOR - 3 * DAY_MS) expect(features).toBeGreaterThanOrEqual(80);
});
