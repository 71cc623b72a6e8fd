// Benchmark data sets: N customers with 90 days of signals (about 200 engagement events per
// customer, monthly payments, tickets, NPS answers) ending at a fixed time, written through the
// service's own ingestion code (upsertCustomer, trackEngagementBatch, recordPayment,
// recordSupportTicket, submitNpsResponse) called in-process on parallel connections, then given a
// score history by refreshAllHealthScores, the way a deployed instance would have one.
// Events are generated day by day across all customers, so the table is laid out in time order
// as production ingestion lays it out. A data set is kept and reused when its recorded shape matches.
import 'reflect-metadata';
import { upsertCustomer } from '../../src/customers/customer.service';
import { trackEngagementBatch } from '../../src/engagement/engagement.service';
import type { EngagementEventInput } from '../../src/engagement/engagement.types';
import { readConfig } from '../../src/infra/config';
import type { CoreServices } from '../../src/context';
import { openDatabase } from '../../src/database';
import { createLogger } from '../../src/infra/logger';
import { InProcessPubSub } from '../../src/infra/pubsub';
import { Db, query } from '../../src/infra/sql';
import { submitNpsResponse } from '../../src/nps/nps.service';
import { recordPayment } from '../../src/payments/payment.service';
import { PaymentStatus } from '../../src/payments/payment.types';
import { refreshAllHealthScores } from '../../src/scoring/scoring.service';
import { recordSupportTicket } from '../../src/support/support-ticket.service';
import { SupportTicketSeverity, SupportTicketStatus } from '../../src/support/support-ticket.types';
import { createDatabase, databaseExists, databaseUrl, dropDatabase, sql } from '../support/databases';
import { integerBetween, pick, poisson, Random, streamFor } from './random';

const DAY_MS = 86_400_000;
/** Bump when the generated data changes shape: older data sets are then regenerated. */
export const GENERATOR_VERSION = 1;
export const DAYS = 90;
/** Days before the anchor at which the history is scored (previous score, 7-day trend, 14-day peak). */
export const HISTORY_DAYS_BEFORE = [14, 7, 1];

export interface DataSetSpec {
  /** Database name, `hg_bench_*`. */
  name: string;
  customers: number;
  /** Mean engagement events per customer over the 90 days (the full-size set has 200: 20 M for 100 k). */
  eventsPerCustomer: number;
}

export interface DataSetInfo extends DataSetSpec {
  url: string;
  /** The end of the data: scoring benchmarks score as of this time, so every run sees the same data. */
  anchor: Date;
  events: number;
  payments: number;
  tickets: number;
  npsResponses: number;
  generatedSeconds: number;
  reused: boolean;
}

type Profile = 'steady' | 'weekday' | 'growing' | 'declining' | 'going_silent' | 'sporadic' | 'dormant';
const PROFILES: Array<[Profile, number]> = [
  ['steady', 0.4],
  ['weekday', 0.2],
  ['growing', 0.08],
  ['declining', 0.1],
  ['going_silent', 0.07],
  ['sporadic', 0.1],
  ['dormant', 0.05],
];
const FEATURES = [
  'dashboards',
  'reports',
  'alerts',
  'exports',
  'integrations',
  'sso',
  'api_keys',
  'webhooks',
  'segments',
  'playbooks',
  'forecasts',
  'notes',
  'tasks',
  'calendar',
  'email_sync',
  'slack',
  'billing',
  'audit_log',
  'custom_fields',
  'workflows',
  'templates',
  'imports',
  'mobile',
  'search',
  'sharing',
];
const PAGES = ['/home', '/accounts', '/reports', '/settings', '/billing', '/inbox', '/analytics'];

interface CustomerPlan {
  index: number;
  id: string;
  profile: Profile;
  seats: number;
  /** Mean events on an active day. */
  intensity: number;
  features: string[];
  signedUpAt: Date;
  silentSinceDay: number;
  paymentTrouble: boolean;
  monthly: boolean;
}

export function customerId(index: number): string {
  return `bench_${String(index).padStart(6, '0')}`;
}

function planCustomer(index: number, anchor: Date, eventsPerCustomer: number): CustomerPlan {
  const random = streamFor('customer', index);
  let roll = random();
  let profile: Profile = 'steady';
  for (const [candidate, share] of PROFILES) {
    if (roll < share) {
      profile = candidate;
      break;
    }
    roll -= share;
  }
  const seats = Math.max(1, Math.round(Math.exp(random() * 4)));
  const adopted = [...FEATURES].sort(() => random() - 0.5).slice(0, integerBetween(random, 2, 18));
  // About 54 active days on average across the profiles: the intensity makes the mean come out right.
  const intensity = Math.max(1, (eventsPerCustomer / 54) * (0.4 + 1.2 * random()));
  const recent = random() < 0.05;
  const signedUpAt = new Date(anchor.getTime() - (recent ? integerBetween(random, 5, 80) : integerBetween(random, 100, 900)) * DAY_MS);
  return {
    index,
    id: customerId(index),
    profile,
    seats,
    intensity,
    features: adopted,
    signedUpAt,
    silentSinceDay: DAYS - integerBetween(random, 4, 45),
    paymentTrouble: random() < 0.06,
    monthly: random() < 0.8,
  };
}

/** Probability that the account is active on day `day` (0 = 90 days ago, 89 = the anchor's day). */
function activeProbability(plan: CustomerPlan, day: number, weekday: number): number {
  const weekend = weekday === 0 || weekday === 6;
  const progress = day / (DAYS - 1);
  switch (plan.profile) {
    case 'steady':
      return weekend ? 0.5 : 0.92;
    case 'weekday':
      return weekend ? 0.02 : 0.9;
    case 'growing':
      return (weekend ? 0.3 : 1) * (0.25 + 0.7 * progress);
    case 'declining':
      return (weekend ? 0.3 : 1) * (0.95 - 0.8 * progress);
    case 'going_silent':
      return day >= plan.silentSinceDay ? 0 : weekend ? 0.4 : 0.9;
    case 'sporadic':
      return 0.2;
    case 'dormant':
      return 0.01;
  }
}

function eventsOnDay(plan: CustomerPlan, day: number, dayStart: number, anchorMs: number): EngagementEventInput[] {
  if (dayStart + DAY_MS <= plan.signedUpAt.getTime()) return [];
  const random = streamFor('day', plan.index, day);
  const weekday = new Date(dayStart).getUTCDay();
  if (random() >= activeProbability(plan, day, weekday)) return [];
  const count = 1 + poisson(random, plan.intensity - 1);
  const events: EngagementEventInput[] = [];
  const users = Math.max(1, Math.min(plan.seats, Math.ceil(count / 3)));
  for (let i = 0; i < count; i++) {
    const at = dayStart + (7 + 12 * random()) * 3_600_000;
    if (at > anchorMs) continue;
    const userId = `u${integerBetween(random, 1, users)}`;
    const kind = i === 0 ? 1 : random();
    const occurredAt = new Date(Math.floor(at));
    if (i === 0 || kind < 0.1) events.push({ customerId: plan.id, eventType: 'login', userId, occurredAt });
    else if (kind < 0.55)
      events.push({ customerId: plan.id, eventType: 'feature_used', userId, feature: pick(random, plan.features), occurredAt });
    else if (kind < 0.85)
      events.push({ customerId: plan.id, eventType: 'page_view', userId, metadata: { path: pick(random, PAGES) }, occurredAt });
    else events.push({ customerId: plan.id, eventType: 'api_call', userId, occurredAt });
  }
  if (random() < 0.03) {
    const at = Math.min(anchorMs, dayStart + (8 + 9 * random()) * 3_600_000);
    events.push({ customerId: plan.id, eventType: 'user_added', userId: `u${plan.seats + 1}`, occurredAt: new Date(Math.floor(at)) });
  }
  return events;
}

/** Runs `work(item)` over `items` with `lanes` in flight, each lane on its own EntityManager fork. */
async function inLanes<T>(root: Db, lanes: number, items: readonly T[], work: (db: Db, item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      const db = root.fork() as Db;
      while (next < items.length) {
        const item = items[next++];
        await work(db, item);
        db.clear();
      }
    }),
  );
}

function progress(message: string): void {
  process.stderr.write(`  [generate] ${message}\n`);
}

async function readInfo(spec: DataSetSpec): Promise<DataSetInfo | null> {
  if (!(await databaseExists(spec.name))) return null;
  try {
    const [row] = await sql<{ info: DataSetInfo & { version: number; complete: boolean; anchor: string } }>(
      spec.name,
      `select info from bench_dataset where id = 1`,
    );
    const info = row?.info;
    if (
      !info ||
      !info.complete ||
      info.version !== GENERATOR_VERSION ||
      info.customers !== spec.customers ||
      info.eventsPerCustomer !== spec.eventsPerCustomer
    )
      return null;
    const [counts] = await sql<{ customers: number; events: number }>(
      spec.name,
      'select (select count(*) from customer where id like $1)::int as customers, (select count(*) from engagement_event)::int as events',
      ['bench\\_%'],
    );
    if (counts.customers !== spec.customers || counts.events < info.events) return null;
    return { ...info, anchor: new Date(info.anchor), url: databaseUrl(spec.name), reused: true };
  } catch {
    return null;
  }
}

/** Returns the data set, generating it first unless an identical one is already there. */
export async function ensureDataSet(spec: DataSetSpec, options: { lanes?: number; log?: boolean } = {}): Promise<DataSetInfo> {
  const existing = await readInfo(spec);
  if (existing) return existing;
  const started = Date.now();
  const lanes = options.lanes ?? 3;
  await dropDatabase(spec.name);
  await createDatabase(spec.name);
  const url = databaseUrl(spec.name);
  // Whole seconds, ten minutes before generation starts: scoring as of it is a backfill from the
  // first run on (isBackfill), as the scoring workload measures, not a live run for the first few
  // minutes after generation and a backfill after.
  const anchor = new Date(Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000);
  const orm = await openDatabase(url, lanes + 1);
  const root = orm.em.fork() as Db;
  const log = options.log === false ? () => undefined : progress;
  try {
    await query(root, 'create table bench_dataset (id int primary key, info jsonb not null)');
    const plans = Array.from({ length: spec.customers }, (_, index) => planCustomer(index, anchor, spec.eventsPerCustomer));

    log(`${spec.name}: ${spec.customers} customers`);
    await inLanes(root, lanes, plans, (db, plan) => {
      const random = streamFor('profile', plan.index);
      const plan_ = plan.seats > 50 ? 'enterprise' : plan.seats > 15 ? 'business' : plan.seats > 4 ? 'growth' : 'starter';
      return upsertCustomer(
        db,
        null,
        {
          id: plan.id,
          name: `Account ${plan.index}`,
          plan: plan_,
          arrCents: plan.seats * integerBetween(random, 300, 1200) * 1200,
          seats: plan.seats,
          signedUpAt: plan.signedUpAt,
          csmOwner: `csm${plan.index % 25}@example.com`,
          // A recent sign-up churns after it signed up, not before (the API refuses that).
          churnedAt:
            plan.profile === 'dormant' && random() < 0.3
              ? new Date(Math.max(anchor.getTime() - integerBetween(random, 10, 80) * DAY_MS, plan.signedUpAt.getTime()))
              : undefined,
        },
        { mayReadStored: true },
      );
    });

    const anchorMs = anchor.getTime();
    const firstDayStart = Math.floor(anchorMs / DAY_MS) * DAY_MS - (DAYS - 1) * DAY_MS;
    let events = 0;
    for (let day = 0; day < DAYS; day++) {
      const dayStart = firstDayStart + day * DAY_MS;
      // Each lane ingests its own share of the customers (so lanes never wait on each other's
      // customer rows), in arrival order within the day, as an ingestion pipeline would deliver them.
      const perLane: EngagementEventInput[][] = Array.from({ length: lanes }, () => []);
      for (const plan of plans) for (const event of eventsOnDay(plan, day, dayStart, anchorMs)) perLane[plan.index % lanes].push(event);
      await Promise.all(
        perLane.map(async (laneEvents) => {
          laneEvents.sort((a, b) => (a.occurredAt as Date).getTime() - (b.occurredAt as Date).getTime());
          const db = root.fork() as Db;
          for (let start = 0; start < laneEvents.length; start += 5000) {
            await trackEngagementBatch(db, null, laneEvents.slice(start, start + 5000), anchor);
            db.clear();
          }
          events += laneEvents.length;
        }),
      );
      if (day % 10 === 9 || day === DAYS - 1) log(`${spec.name}: events through day ${day + 1}/${DAYS}: ${events.toLocaleString('en')}`);
    }

    let payments = 0;
    let tickets = 0;
    let npsResponses = 0;
    await inLanes(root, lanes, plans, async (db, plan) => {
      const random = streamFor('signals', plan.index);
      const since = Math.max(firstDayStart, plan.signedUpAt.getTime());
      // Monthly invoices on the sign-up day of month; annual plans renew at most once in 90 days.
      const cycleDays = plan.monthly ? 30 : 365;
      for (let at = plan.signedUpAt.getTime(); at <= anchorMs; at += cycleDays * DAY_MS) {
        if (at < since) continue;
        const failed = plan.paymentTrouble ? random() < 0.6 : random() < 0.02;
        await recordPayment(
          db,
          null,
          {
            customerId: plan.id,
            externalId: `inv_${plan.index}_${Math.round(at / DAY_MS)}`,
            amountCents: plan.seats * 4900,
            currency: 'USD',
            status: failed ? PaymentStatus.FAILED : PaymentStatus.PAID,
            dueAt: new Date(at),
            paidAt: failed ? null : new Date(at + 3_600_000),
            occurredAt: new Date(at),
          },
          anchor,
        );
        payments++;
      }
      const unhappy = plan.profile === 'declining' || plan.profile === 'going_silent' || plan.profile === 'dormant';
      const ticketCount = poisson(random, plan.paymentTrouble || unhappy ? 2 : 1);
      for (let t = 0; t < ticketCount; t++) {
        const openedAt = since + random() * (anchorMs - since);
        const solved = random() < 0.75 && openedAt < anchorMs - DAY_MS;
        await recordSupportTicket(
          db,
          null,
          {
            customerId: plan.id,
            externalId: `tkt_${plan.index}_${t}`,
            subject: 'Question about the product',
            severity: random() < 0.1 ? SupportTicketSeverity.HIGH : SupportTicketSeverity.NORMAL,
            status: solved ? SupportTicketStatus.SOLVED : random() < 0.5 ? SupportTicketStatus.OPEN : SupportTicketStatus.PENDING,
            csatRating: solved && random() < 0.7 ? (unhappy ? integerBetween(random, 1, 4) : integerBetween(random, 3, 5)) : null,
            openedAt: new Date(openedAt),
            resolvedAt: solved ? new Date(Math.min(anchorMs, openedAt + random() * 3 * DAY_MS)) : null,
          },
          anchor,
        );
        tickets++;
      }
      if (random() < 0.35) {
        const answers = random() < 0.3 ? 2 : 1;
        for (let a = 0; a < answers; a++) {
          await submitNpsResponse(
            db,
            null,
            {
              customerId: plan.id,
              score: unhappy ? integerBetween(random, 2, 8) : integerBetween(random, 6, 10),
              respondent: `u${a + 1}`,
              respondedAt: new Date(since + random() * (anchorMs - since)),
            },
            anchor,
          );
          npsResponses++;
        }
      }
    });
    log(`${spec.name}: ${payments} payments, ${tickets} tickets, ${npsResponses} NPS answers`);

    // A score history, as the scheduler would have written it: previous score, trend and peak.
    const services: CoreServices = {
      orm,
      pubsub: new InProcessPubSub(),
      logger: createLogger('silent'),
      config: { ...readConfig({}), databaseUrl: url },

      onModelActivated: [],
      onFullRunLockLost: [],
    };
    // Statistics first: without autovacuum (as on the benchmark machine) the history's scoring
    // would be planned for the empty tables the generation started from.
    await orm.em.getConnection().execute('analyze');
    for (const daysBefore of HISTORY_DAYS_BEFORE) {
      const at = Date.now();
      await refreshAllHealthScores(services, orm.em.fork() as Db, new Date(anchorMs - daysBefore * DAY_MS));
      log(`${spec.name}: history scored as of anchor − ${daysBefore} d in ${((Date.now() - at) / 1000).toFixed(1)} s`);
    }
    await query(root, 'delete from rescore_request');
    await orm.em.getConnection().execute('vacuum (analyze)');

    const info: DataSetInfo = {
      ...spec,
      url,
      anchor,
      events,
      payments,
      tickets,
      npsResponses,
      generatedSeconds: Math.round((Date.now() - started) / 1000),
      reused: false,
    };
    await query(root, `insert into bench_dataset (id, info) values (1, ?::jsonb)`, [
      JSON.stringify({ ...info, url: undefined, version: GENERATOR_VERSION, complete: true }),
    ]);
    log(`${spec.name}: generated in ${info.generatedSeconds} s`);
    return info;
  } finally {
    await orm.close(true);
  }
}

/** Removes the scores, tier changes, outreach and run records of scoring runs as of `from` or later, so the next run does the same work (the data set's history ends before its anchor). */
export async function forgetScoringFrom(name: string, from: Date): Promise<void> {
  await sql(
    name,
    `with a as (delete from health_score where as_of >= $1),
          b as (delete from tier_change where changed_at >= $1),
          c as (delete from outreach_action where created_at >= $1)
     delete from scoring_run where as_of >= $1`,
    [from.toISOString()],
  );
}

export type { Random };
