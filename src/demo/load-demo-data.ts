// Loads the demo data set through the service's own ingestion code (upsertCustomer, also for each
// plan change; trackEngagementBatch in batches of ≤ 10,000; the per-item payment, ticket and NPS
// services), then scores the last 30 days of history the way the scheduler's first-start backfill does.
import { setCommunicationOptOut, upsertCustomer } from '../customers/customer.service';
import { MAX_BATCH_SIZE, trackEngagementBatch } from '../engagement/engagement.service';
import type { EngagementEventInput } from '../engagement/engagement.types';
import type { CoreServices } from '../context';
import { Db, json, query } from '../infra/sql';
import { submitNpsResponse } from '../nps/nps.service';
import { recordPayment } from '../payments/payment.service';
import { PaymentStatus } from '../payments/payment.types';
import { backfillHistory } from '../scoring/backfill-history';
import { refreshAllHealthScores, ScoringRunRecord } from '../scoring/scoring.service';
import { recordSupportTicket } from '../support/support-ticket.service';
import { SupportTicketSeverity, SupportTicketStatus } from '../support/support-ticket.types';
import { Archetype, countByArchetype } from './demo-archetypes';
import type { DemoCustomer, DemoDataSet, DemoPlanChange } from './demo-data';
import { customerEvents, customerSignals, DemoEvent } from './demo-signals';

const DAY_MS = 86_400_000;

export type DemoPhase = 'customers' | 'events' | 'signals' | 'scoring';

export interface DemoProgress {
  phase: DemoPhase;
  done: number;
  total: number;
  /** Free text for humans, e.g. the running event count. */
  detail?: string;
}

export interface LoadDemoDataOptions {
  /** Called after each step of each phase (throttling is the caller's business). */
  onProgress?: (progress: DemoProgress) => void;
  /**
   * Customers whose per-item signals are ingested at the same time; also the number of engagement
   * batches in flight is min(2, this). Stay below the connection pool size. Default 8.
   */
  concurrency?: number;
}

export interface DemoLoadSummary {
  customers: number;
  archetypes: Record<Archetype, number>;
  churned: number;
  optedOut: number;
  /** Plan changes applied (those a previous load had applied are not repeated). */
  planChanges: number;
  events: { generated: number; inserted: number; duplicates: number; batches: number };
  payments: { recorded: number; failed: number };
  tickets: number;
  npsResponses: { submitted: number; alreadyPresent: number };
  seconds: number;
  /** Seconds per loading phase. */
  phaseSeconds: Record<Exclude<DemoPhase, 'scoring'>, number>;
}

/** Runs `work` over `items` with at most `limit` in flight; resolves when all are done, rejects on the first failure. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function toEventInput(customerId: string, event: DemoEvent): EngagementEventInput {
  return {
    customerId,
    eventType: event.eventType,
    userId: event.userId,
    feature: event.feature,
    metadata: event.metadata,
    occurredAt: event.occurredAt,
    idempotencyKey: event.idempotencyKey,
  };
}

/** The plan changes already stored (a previous load applied them), as `customerId|changedAt ms`. */
async function storedPlanChanges(db: Db, customerIds: string[]): Promise<Set<string>> {
  const rows = await query<{ customerId: string; changedAt: Date | string }>(
    db,
    `select customer_id as "customerId", changed_at as "changedAt"
     from customer_plan_change where customer_id in (select jsonb_array_elements_text(?::jsonb))`,
    [json(customerIds)],
  );
  return new Set(rows.map((row) => planChangeKey(row.customerId, new Date(row.changedAt))));
}

function planChangeKey(customerId: string, changedAt: Date): string {
  return `${customerId}|${changedAt.getTime()}`;
}

/**
 * Upserts each customer with the plan it started with (or, on a re-run, the latest change already
 * stored), then applies its later plan changes in order through upsertCustomer with `planChangedAt`,
 * as a billing integration would: the plan history gets one row per change, dated when it happened.
 */
async function loadCustomers(
  db: Db,
  customers: readonly DemoCustomer[],
  concurrency: number,
  report: (done: number) => void,
): Promise<number> {
  const stored = await storedPlanChanges(
    db,
    customers.map((c) => c.id),
  );
  let done = 0;
  let applied = 0;
  await forEachLimited(customers, concurrency, async (customer) => {
    const isStored = (change: DemoPlanChange) => stored.has(planChangeKey(customer.id, change.at));
    const inForce = customer.planChanges.filter(isStored).at(-1) ?? { seats: customer.seats, arrCents: customer.arrCents };
    await upsertCustomer(
      db,
      null,
      {
        id: customer.id,
        name: customer.name,
        plan: customer.plan,
        arrCents: inForce.arrCents,
        seats: inForce.seats,
        signedUpAt: customer.signedUpAt,
        csmOwner: customer.csmOwner,
        // Explicit nulls, so a re-run also clears a churn an earlier data set had set.
        churnedAt: customer.churnedAt,
        churnReason: customer.churnReason,
      },
      { mayReadStored: true },
    );
    // The opt-out is not part of the upsert input: it has its own service, as in the API.
    await setCommunicationOptOut(db, customer.id, customer.communicationOptOut);
    for (const change of customer.planChanges.filter((c) => !isStored(c))) {
      await upsertCustomer(
        db,
        null,
        {
          id: customer.id,
          name: customer.name,
          arrCents: change.arrCents,
          seats: change.seats,
          planChangedAt: change.at,
        },
        { mayReadStored: true },
      );
      applied++;
    }
    report(++done);
  });
  return applied;
}

/**
 * Generates events customer by customer and sends them in batches of MAX_BATCH_SIZE, with a second
 * batch in flight while the next is generated. A customer's events span at most two consecutive
 * batches, so concurrent batches never lock customer rows in opposite orders.
 */
async function loadEvents(
  db: Db,
  dataSet: DemoDataSet,
  inFlight: number,
  report: (customersDone: number, totals: DemoLoadSummary['events']) => void,
): Promise<DemoLoadSummary['events']> {
  const totals = { generated: 0, inserted: 0, duplicates: 0, batches: 0 };
  const running = new Set<Promise<void>>();
  let failure: unknown;
  let customersDone = 0;
  const send = async (batch: EngagementEventInput[]): Promise<void> => {
    while (running.size >= inFlight) await Promise.race(running);
    if (failure !== undefined) throw failure;
    totals.generated += batch.length;
    const sending: Promise<void> = trackEngagementBatch(db.fork() as Db, null, batch)
      .then((result) => {
        if (result.errors.length > 0) {
          throw new Error(`engagement batch rejected ${result.errors.length} events, first: ${JSON.stringify(result.errors[0])}`);
        }
        totals.inserted += result.accepted;
        totals.duplicates += result.duplicates;
        totals.batches++;
        report(customersDone, totals);
      })
      // Remembered and rethrown by the loop: a batch in flight has nobody awaiting it yet.
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => running.delete(sending));
    running.add(sending);
  };
  let buffer: EngagementEventInput[] = [];
  for (const customer of dataSet.customers) {
    for (const event of customerEvents(dataSet, customer)) buffer.push(toEventInput(customer.id, event));
    customersDone++;
    while (buffer.length >= MAX_BATCH_SIZE) {
      await send(buffer.slice(0, MAX_BATCH_SIZE));
      buffer = buffer.slice(MAX_BATCH_SIZE);
    }
  }
  if (buffer.length > 0) await send(buffer);
  await Promise.all(running);
  if (failure !== undefined) throw failure;
  report(customersDone, totals);
  return totals;
}

/** NPS responses have no external id, so a re-run recognises the ones it stored by (customer, respondent, time). */
async function storedNpsKeys(db: Db, customerIds: string[]): Promise<Set<string>> {
  const rows = await query<{ customerId: string; respondent: string | null; respondedAt: Date | string }>(
    db,
    `select customer_id as "customerId", respondent, responded_at as "respondedAt"
     from nps_response where customer_id in (select jsonb_array_elements_text(?::jsonb))`,
    [json(customerIds)],
  );
  return new Set(rows.map((row) => npsKey(row.customerId, row.respondent, new Date(row.respondedAt))));
}

function npsKey(customerId: string, respondent: string | null, respondedAt: Date): string {
  return `${customerId}|${respondent ?? ''}|${respondedAt.getTime()}`;
}

async function loadPerItemSignals(
  db: Db,
  dataSet: DemoDataSet,
  concurrency: number,
  report: (done: number) => void,
): Promise<Pick<DemoLoadSummary, 'payments' | 'tickets' | 'npsResponses'>> {
  const totals = { payments: { recorded: 0, failed: 0 }, tickets: 0, npsResponses: { submitted: 0, alreadyPresent: 0 } };
  const storedNps = await storedNpsKeys(
    db,
    dataSet.customers.map((c) => c.id),
  );
  let done = 0;
  await forEachLimited(dataSet.customers, concurrency, async (customer) => {
    const { payments, tickets, npsResponses } = customerSignals(dataSet, customer);
    // Upserted by (customer, externalId): a re-run updates the same rows.
    for (const payment of payments) {
      await recordPayment(db, null, {
        customerId: customer.id,
        externalId: payment.externalId,
        amountCents: payment.amountCents,
        currency: payment.currency,
        status: PaymentStatus[payment.status],
        dueAt: payment.dueAt,
        paidAt: payment.paidAt,
        occurredAt: payment.occurredAt,
      });
      totals.payments.recorded++;
      if (payment.status === 'FAILED') totals.payments.failed++;
    }
    for (const ticket of tickets) {
      await recordSupportTicket(db, null, {
        customerId: customer.id,
        externalId: ticket.externalId,
        subject: ticket.subject,
        severity: SupportTicketSeverity[ticket.severity],
        status: SupportTicketStatus[ticket.status],
        csatRating: ticket.csatRating,
        sentiment: ticket.sentiment,
        openedAt: ticket.openedAt,
        resolvedAt: ticket.resolvedAt,
      });
      totals.tickets++;
    }
    for (const response of npsResponses) {
      if (storedNps.has(npsKey(customer.id, response.respondent, response.respondedAt))) {
        totals.npsResponses.alreadyPresent++;
        continue;
      }
      await submitNpsResponse(db, null, { customerId: customer.id, ...response });
      totals.npsResponses.submitted++;
    }
    report(++done);
  });
  return totals;
}

/** Ingests the whole data set; safe to repeat (customers, payments and tickets are upserts, events and NPS are skipped when already stored). */
export async function loadDemoData(db: Db, dataSet: DemoDataSet, options: LoadDemoDataOptions = {}): Promise<DemoLoadSummary> {
  const startedAt = Date.now();
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const total = dataSet.customers.length;
  const progress = (phase: DemoPhase, done: number, detail?: string) => options.onProgress?.({ phase, done, total, detail });
  const phaseSeconds = { customers: 0, events: 0, signals: 0 };
  let phaseStartedAt = startedAt;
  const phaseDone = (phase: keyof typeof phaseSeconds) => {
    phaseSeconds[phase] = (Date.now() - phaseStartedAt) / 1000;
    phaseStartedAt = Date.now();
  };

  const planChanges = await loadCustomers(db, dataSet.customers, concurrency, (done) => progress('customers', done));
  phaseDone('customers');
  const events = await loadEvents(db, dataSet, Math.min(2, concurrency), (done, totals) =>
    progress('events', done, `${totals.inserted.toLocaleString('en-US')} new, ${totals.duplicates.toLocaleString('en-US')} already stored`),
  );
  phaseDone('events');
  const perItem = await loadPerItemSignals(db, dataSet, concurrency, (done) => progress('signals', done));
  phaseDone('signals');
  return {
    customers: total,
    archetypes: countByArchetype(dataSet.customers),
    churned: dataSet.customers.filter((c) => c.churnedAt !== null).length,
    optedOut: dataSet.customers.filter((c) => c.communicationOptOut).length,
    planChanges,
    events,
    ...perItem,
    seconds: (Date.now() - startedAt) / 1000,
    phaseSeconds,
  };
}

export interface ScoreHistorySummary {
  /** Scoring runs made (each rescores every customer). */
  runs: number;
  /** Past days skipped because the customers already had a score from around that time. */
  skipped: number;
  tierChanges: number;
  seconds: number;
}

/**
 * Scores every customer as of each of the last `historyDays` days of the data set (its `now` − k
 * days, k = historyDays…1), then as of the real now, so dashboards show history, trends and tier
 * changes at once. A past day on which these customers were already scored (within 12 hours) is
 * skipped: a re-run adds no second history point per day. The last run is a live one (tier changes
 * published, outreach decided) however long loading took: as of the data set's `now`, a slow load
 * would have made it a backfill that tells no one.
 */
export async function scoreDemoHistory(
  services: CoreServices,
  db: Db,
  dataSet: DemoDataSet,
  options: { historyDays?: number; onProgress?: (progress: DemoProgress) => void } = {},
): Promise<ScoreHistorySummary> {
  const startedAt = Date.now();
  const historyDays = options.historyDays ?? 30;
  const end = dataSet.window.now;
  const total = historyDays + 1;
  let done = 0;
  const report = (when: string, run: ScoringRunRecord | null) =>
    options.onProgress?.({
      phase: 'scoring',
      done: ++done,
      total,
      detail: run ? `as of ${when}: ${run.customersScored} scored, ${run.tierChanges} tier changes` : `${when} already scored`,
    });
  const days = Array.from({ length: historyDays }, (_, i) => new Date(end.getTime() - (historyDays - i) * DAY_MS));
  const history = await backfillHistory(services, db, days, {
    customerIds: dataSet.customers.map((c) => c.id),
    onInstant: (asOf, run) => report(asOf.toISOString().slice(0, 10), run),
  });
  // No asOf: as of when the run gets the lock, the present, so never a backfill.
  const latest = await refreshAllHealthScores(services, db, null, true);
  if (latest) report('now', latest);
  return {
    runs: history.runs + 1,
    skipped: history.skipped,
    tierChanges: history.tierChanges + (latest?.tierChanges ?? 0),
    seconds: (Date.now() - startedAt) / 1000,
  };
}
