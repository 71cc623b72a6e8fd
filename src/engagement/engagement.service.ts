// Engagement ingestion: validation per event (a batch reports bad items by index and stores
// the rest), then set-based inserts — one statement per chunk of 5,000 events, which also keeps
// the daily rollup scoring reads (engagement_day) up to date, and queues each touched customer for
// rescoring (rescore_request).
import { checkCustomerId } from '../customers/customer.service';
import { DomainError, InvalidInputError, NotFoundError } from '../infra/errors';
import { byTimeThenId, ConnectionResult, keysetPage } from '../infra/pagination';
import { Db, inTransaction, json, query, queryOne } from '../infra/sql';
import { addTimeRange } from '../infra/time-range';
import type { BatchIngestResult, BatchItemError, EngagementEvent, EngagementEventInput, EngagementEventsArgs } from './engagement.types';

export const MAX_BATCH_SIZE = 10_000;
export const INSERT_CHUNK_SIZE = 5_000;
const MAX_TEXT = 500;

export const ENGAGEMENT_COLUMNS = `e.id::text as id, e.customer_id as "customerId", e.event_type as "eventType", e.user_id as "userId",
  e.feature, e.metadata, e.occurred_at as "occurredAt", e.idempotency_key as "idempotencyKey", e.received_at as "receivedAt"`;

/** A validated event, shaped like the columns it is stored in. */
export interface EngagementRow {
  customer_id: string;
  event_type: string;
  user_id: string | null;
  feature: string | null;
  metadata: Record<string, unknown> | null;
  occurred_at: string;
  idempotency_key: string | null;
}

function optionalText(value: string | null | undefined, argument: string): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  if (trimmed.length > MAX_TEXT) throw new InvalidInputError(`${argument} is longer than ${MAX_TEXT} characters`, { argument });
  return trimmed.length > 0 ? trimmed : null;
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Pure validation of one event; throws InvalidInputError. `now` fills a missing occurredAt. */
export function toEngagementRow(input: EngagementEventInput, now: Date): EngagementRow {
  const customerId = checkCustomerId(input.customerId);
  const eventType = optionalText(input.eventType, 'eventType');
  if (!eventType) throw new InvalidInputError('eventType must not be empty', { argument: 'eventType' });
  if (input.metadata !== undefined && input.metadata !== null && !isJsonObject(input.metadata)) {
    throw new InvalidInputError('metadata must be a JSON object', { argument: 'metadata' });
  }
  const occurredAt = input.occurredAt ?? now;
  if (!(occurredAt instanceof Date) || Number.isNaN(occurredAt.getTime())) {
    throw new InvalidInputError('occurredAt is not a valid date-time', { argument: 'occurredAt' });
  }
  return {
    customer_id: customerId,
    event_type: eventType,
    user_id: optionalText(input.userId, 'userId'),
    feature: optionalText(input.feature, 'feature'),
    metadata: (input.metadata as Record<string, unknown> | null | undefined) ?? null,
    occurred_at: occurredAt.toISOString(),
    idempotency_key: optionalText(input.idempotencyKey, 'idempotencyKey'),
  };
}

/**
 * The statement that stores events (`$events`: a JSON record set) and keeps the daily rollup that
 * scoring reads (`engagement_day`) up to date. `returning` is the select list over `inserted`.
 * With `markCustomers`, it also queues the customers for rescoring (the single-event path; a batch
 * queues its customers in one statement first, see `markKnownCustomers`).
 *
 * Ingestion never writes the customer row: a scoring batch holds those locked while it computes,
 * and events must not wait for it. Lock order, which keeps concurrent ingestion free of deadlocks:
 * rescoring marks first, then rollup rows, each in key order.
 */
function storeEventsStatement(returning: string, options: { markCustomers?: boolean } = {}): string {
  return `with input as (
       select * from jsonb_to_recordset(?::jsonb) as x(customer_id text, event_type text, user_id text, feature text,
                                                         metadata jsonb, occurred_at timestamptz, idempotency_key text)
     ), inserted as (
       insert into engagement_event (customer_id, event_type, user_id, feature, metadata, occurred_at, idempotency_key)
       select customer_id, event_type, user_id, feature, metadata, occurred_at, idempotency_key from input
       ${options.markCustomers ? 'where exists (select 1 from customer c where c.id = input.customer_id)' : ''}
       on conflict (customer_id, idempotency_key) where idempotency_key is not null do nothing
       returning *
     ), marked as (
       ${
         options.markCustomers
           ? `insert into rescore_request (customer_id) select distinct customer_id from inserted order by 1
              on conflict (customer_id) do nothing returning 1`
           : 'select 1 where false'
       }
     ), rolled_up as (
       insert into engagement_day as d (customer_id, day, event_count, user_added_count, first_at, last_at, features)
       select customer_id, (occurred_at at time zone 'UTC')::date, count(*), count(*) filter (where event_type = 'user_added'),
              min(occurred_at), max(occurred_at), coalesce(array_agg(distinct feature) filter (where feature is not null), '{}')
       from inserted
       where (select count(*) from marked) >= 0
       group by 1, 2 order by 1, 2
       on conflict (customer_id, day) do update set
         event_count = d.event_count + excluded.event_count,
         user_added_count = d.user_added_count + excluded.user_added_count,
         first_at = least(d.first_at, excluded.first_at),
         last_at = greatest(d.last_at, excluded.last_at),
         features = case when excluded.features <@ d.features then d.features
                         else array(select distinct f from unnest(d.features || excluded.features) f order by 1) end
       returning 1
     )
     ${returning}`;
}

/**
 * Inserts rows set-based (their customers must exist, and be queued for rescoring by the caller);
 * returns how many were new (the rest were idempotency duplicates). One statement per chunk of 5,000.
 */
export async function insertEngagementRows(db: Db, rows: EngagementRow[]): Promise<number> {
  let accepted = 0;
  // Chunks in customer order (stable, so a customer's events keep their order): the rollup rows a
  // batch locks then ascend across chunks as well as within each.
  const ordered = rows.length > INSERT_CHUNK_SIZE ? [...rows].sort((a, b) => (a.customer_id < b.customer_id ? -1 : a.customer_id > b.customer_id ? 1 : 0)) : rows;
  for (let start = 0; start < ordered.length; start += INSERT_CHUNK_SIZE) {
    const chunk = ordered.slice(start, start + INSERT_CHUNK_SIZE);
    const [result] = await query<{ accepted: number }>(
      db,
      storeEventsStatement('select (select count(*) from inserted)::int as accepted, (select count(*) from rolled_up)::int as days'),
      [json(chunk)],
    );
    accepted += result.accepted;
  }
  return accepted;
}

/**
 * The ids among `ids` that exist, in one statement, queued for rescoring in id order (a batch's
 * marks all come before its rollup rows, whatever its number of chunks: the lock order above).
 */
export async function markKnownCustomers(db: Db, ids: Iterable<string>): Promise<Set<string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Set();
  const rows = await query<{ id: string }>(
    db,
    `with known as (
       select id from customer where id in (select jsonb_array_elements_text(?::jsonb))
     ), marked as (
       insert into rescore_request (customer_id) select id from known order by id
       on conflict (customer_id) do nothing
     )
     select id from known`,
    [json(unique)],
  );
  return new Set(rows.map((row) => row.id));
}

/** Stores one event in one statement and returns it (or, for a repeated idempotency key, the stored one). */
export async function trackEngagement(db: Db, input: EngagementEventInput, now = new Date()): Promise<EngagementEvent> {
  const row = toEngagementRow(input, now);
  const stored = await queryOne<EngagementEvent>(
    db,
    storeEventsStatement(
      `select ${ENGAGEMENT_COLUMNS} from inserted e
       union all
       select ${ENGAGEMENT_COLUMNS} from engagement_event e
       where e.customer_id = ? and e.idempotency_key = ? and not exists (select 1 from inserted)`,
      { markCustomers: true },
    ),
    [json([row]), row.customer_id, row.idempotency_key],
  );
  if (stored) return stored;
  // Nothing stored and nothing found: an unknown customer, or the same key stored by a concurrent
  // call that committed after this statement began (visible now).
  const duplicate = row.idempotency_key
    ? await queryOne<EngagementEvent>(db, `select ${ENGAGEMENT_COLUMNS} from engagement_event e where e.customer_id = ? and e.idempotency_key = ?`, [row.customer_id, row.idempotency_key])
    : undefined;
  if (duplicate) return duplicate;
  throw new NotFoundError(`customer ${row.customer_id} does not exist`, { customerId: row.customer_id });
}

export async function trackEngagementBatch(db: Db, inputs: EngagementEventInput[], now = new Date()): Promise<BatchIngestResult & { customerIds: string[] }> {
  if (inputs.length > MAX_BATCH_SIZE) {
    throw new InvalidInputError(`a batch holds at most ${MAX_BATCH_SIZE} events, got ${inputs.length}`, { argument: 'events', max: MAX_BATCH_SIZE });
  }
  const errors: BatchItemError[] = [];
  const candidates: Array<{ index: number; row: EngagementRow }> = [];
  inputs.forEach((input, index) => {
    try {
      candidates.push({ index, row: toEngagementRow(input, now) });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      errors.push({ index, code: error.code, message: error.message });
    }
  });
  return inTransaction(db, async (tx) => {
    const known = await markKnownCustomers(
      tx,
      candidates.map((c) => c.row.customer_id),
    );
    const rows: EngagementRow[] = [];
    for (const { index, row } of candidates) {
      if (known.has(row.customer_id)) rows.push(row);
      else errors.push({ index, code: 'NOT_FOUND', message: `customer ${row.customer_id} does not exist` });
    }
    errors.sort((a, b) => a.index - b.index);
    const accepted = await insertEngagementRows(tx, rows);
    return { accepted, duplicates: rows.length - accepted, errors, customerIds: [...known] };
  });
}

export async function listEngagementEvents(db: Db, args: EngagementEventsArgs): Promise<ConnectionResult<EngagementEvent>> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (args.customerId != null) {
    where.push('e.customer_id = ?');
    params.push(checkCustomerId(args.customerId));
  }
  if (args.eventType) {
    where.push('e.event_type = ?');
    params.push(args.eventType);
  }
  addTimeRange(where, params, 'e.occurred_at', args.from, args.to);
  return keysetPage<EngagementEvent>(db, {
    select: ENGAGEMENT_COLUMNS,
    from: 'engagement_event e',
    where,
    params,
    sortKeys: byTimeThenId('e', 'occurred_at'),
    direction: 'desc',
    first: args.first,
    after: args.after,
  });
}
