// The baseline of the ingestion benchmark: the same events stored through MikroORM's unit of
// work, `em.create(EngagementEvent, …)` per event and `em.flush()` per call, in this process (no
// HTTP, no GraphQL, no lastActivityAt or rescoring upkeep: it does strictly less than the service).
import type { MikroORM } from '@mikro-orm/postgresql';
import { EngagementEvent } from '../../src/engagement/engagement-event.entity';
import type { EngagementEventInput } from '../../src/engagement/engagement.types';

function store(orm: MikroORM, events: readonly EngagementEventInput[]): Promise<void> {
  const em = orm.em.fork();
  for (const event of events) {
    em.create(EngagementEvent, {
      customer: event.customerId,
      eventType: event.eventType,
      userId: event.userId ?? null,
      feature: event.feature ?? null,
      metadata: (event.metadata as Record<string, unknown> | undefined) ?? null,
      occurredAt: event.occurredAt ?? new Date(),
      idempotencyKey: event.idempotencyKey ?? null,
      receivedAt: new Date(),
    });
  }
  return em.flush();
}

/** Stores `batches` with `concurrency` flushes in flight; returns events per second. */
export async function unitOfWorkBatches(orm: MikroORM, batches: EngagementEventInput[][], concurrency: number): Promise<number> {
  let next = 0;
  let stored = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        await store(orm, batch);
        stored += batch.length;
      }
    }),
  );
  return stored / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** `clients` loops each storing one event per flush for `seconds`; returns events/s and latency percentiles. */
export async function unitOfWorkSingles(
  orm: MikroORM,
  nextEvent: () => EngagementEventInput,
  clients: number,
  seconds: number,
): Promise<{ eventsPerSecond: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < deadline) {
        const at = process.hrtime.bigint();
        await store(orm, [nextEvent()]);
        latenciesMs.push(Number(process.hrtime.bigint() - at) / 1e6);
      }
    }),
  );
  return { eventsPerSecond: latenciesMs.length / (Number(process.hrtime.bigint() - started) / 1e9), latenciesMs };
}
