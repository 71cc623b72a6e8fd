// Engagement ingestion: validation per event (a batch reports bad items by index and stores
// the rest), then set-based inserts — one statement per chunk of 5,000 events, which also keeps
// the daily rollup scoring reads (engagement_day) up to date, and queues each touched customer for
// rescoring (signalsArrived). `SingleEventWriter` shares statements between concurrent single events;
// the app creates one (src/app.ts) and the resolver writes through it.
import { checkCustomerId } from '../customers/customer.service';
import { DomainError, InvalidInputError, NotFoundError } from '../infra/errors';
import {
  checkJsonObject,
  checkStrings,
  labelFilter,
  MAX_LABEL_LENGTH,
  pastInstant,
  requiredText,
  requiredLabel,
  optionalLabel,
} from '../infra/input';
import { INDEX_SAFE_BYTES, isIndexEntryTooLarge, utf8Bytes } from '../infra/index-limits';
import { loadChildPage, LoaderRegistry } from '../infra/loaders';
import { byTimeThenId, ConnectionResult, keysetPage } from '../infra/pagination';
import { Db, inTransaction, json, query, queryOne } from '../infra/sql';
import { QueueRescore, RescoreScheduler, signalsArrived } from '../scoring/rescore-queue';
import { addTimeRange } from '../infra/time-range';
import {
  AnswerAudience,
  checkAnswerOfStoredRecord,
  RecordKey,
  StoredRecordReadback,
  storedUnderKey,
} from '../ingest/stored-record-readback';
import type {
  BatchIngestResult,
  BatchItemError,
  CustomerEngagementArgs,
  EngagementEvent,
  EngagementEventInput,
  EngagementEventsArgs,
} from './engagement.types';

export const MAX_BATCH_SIZE = 10_000;
export const INSERT_CHUNK_SIZE = 5_000;

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

/**
 * Pure validation of one event; throws InvalidInputError. `now` fills a missing occurredAt, which
 * describes the past: from 1970 up to a day after now.
 */
export function toEngagementRow(input: EngagementEventInput, now: Date): EngagementRow {
  const row = {
    customer_id: checkCustomerId(input.customerId),
    event_type: requiredLabel(input.eventType, 'eventType', MAX_LABEL_LENGTH),
    user_id: optionalLabel(input.userId, 'userId', MAX_LABEL_LENGTH),
    feature: optionalLabel(input.feature, 'feature', MAX_LABEL_LENGTH),
    metadata: input.metadata == null ? null : checkJsonObject(input.metadata, 'metadata'),
    occurred_at: pastInstant(input.occurredAt ?? now, 'occurredAt', now).toISOString(),
    // Blank is refused, not read as "no key": a client meaning a key would lose its deduplication silently.
    idempotency_key: input.idempotencyKey == null ? null : requiredText(input.idempotencyKey, 'idempotencyKey', MAX_LABEL_LENGTH),
  };
  // Last: a field checked above is refused naming its own limit; this holds the rest (checkStrings).
  checkStrings(input, '', ['metadata']);
  return row;
}

/**
 * Whether a row's index entries (its customer id beside its event type, or beside its idempotency
 * key) may be larger than PostgreSQL stores (see infra/index-limits): such a row is stored on its
 * own, so a refusal is its own and not its statement's.
 */
export function mayOverflowIndex(row: EngagementRow): boolean {
  return utf8Bytes(row.customer_id) + Math.max(utf8Bytes(row.event_type), utf8Bytes(row.idempotency_key)) > INDEX_SAFE_BYTES;
}

/** The refusal of an event whose `argument` is too large, in bytes, to be indexed beside its customer id. */
export function eventTooLargeToIndex(argument: string): InvalidInputError {
  return new InvalidInputError(
    `${argument} is too large beside this customerId for the database to index it (a character outside the BMP, such as an emoji, takes 4 bytes): shorten one`,
    { argument },
  );
}

/** PostgreSQL's refusal of a row's index entry, as the event's own BAD_USER_INPUT; any other error as it is. */
function asEventRefusal(error: unknown, row: EngagementRow): unknown {
  if (!isIndexEntryTooLarge(error)) return error;
  return eventTooLargeToIndex(utf8Bytes(row.idempotency_key) > utf8Bytes(row.event_type) ? 'idempotencyKey' : 'eventType');
}

// Storing events: the daily rollup scoring reads (`engagement_day`: counts, features used, users
// active) is kept up to date from the events a write inserted (`inserted`). Ingestion never writes
// the customer row: a scoring batch holds those locked while it computes, and events must not wait
// for it.
//
// THE LOCK ORDER of every write of events (trackEngagement's statement, trackEngagementBatch, an
// import's merge), which keeps concurrent ingestion free of deadlocks:
//   1. the events' unique keys (customer, idempotency key), in KEY_ORDER;
//   2. then the rescoring marks (`rescore_request`), in customer id order (queueRescoreStatement);
//   3. then the rollup rows (`engagement_day`), in (customer, day) order (rollupEventsStatement).
// A transaction takes all its locks of one kind before any of the next, over all its statements:
// trackEngagementBatch inserts every chunk of events before it queues and rolls up in one last
// statement. Two writes then wait for each other in one direction only. A write that queued its
// customer before inserting its events (a new `rescore_request` row, uncommitted) and one that
// inserted the same key before queueing would each wait for the other. The one exception: an event
// too large for its index entries to be stored with the others (mayOverflowIndex) is inserted alone
// after them, out of key order; in an import, with its mark and rollup after the batch's.

/** The columns of an event record in a statement's `$events` (a JSON record set). */
const EVENT_RECORD = `customer_id text, event_type text, user_id text, feature text, metadata jsonb, occurred_at timestamptz, idempotency_key text`;
const EVENT_COLUMNS = 'customer_id, event_type, user_id, feature, metadata, occurred_at, idempotency_key';
const SKIP_IDEMPOTENT_DUPLICATES = 'on conflict (customer_id, idempotency_key) where idempotency_key is not null do nothing';
/**
 * The order every writer of events inserts them in (these statements, an import's merge, a batch's
 * rows sorted in memory by compareText, which is this byte order): step 1 of THE LOCK ORDER above.
 */
const KEY_ORDER = 'customer_id collate "C", idempotency_key collate "C"';

/**
 * The CTE that adds `inserted` to the daily rollup, in key order. `after` names a CTE that must run
 * first (PostgreSQL runs a statement's writes in no set order unless one reads another's result).
 */
export function rollUpInserted(after?: string): string {
  return `rolled_up as (
       ${rollupEventsStatement('inserted', after ? `where (select count(*) from ${after}) >= 0` : '')}
       returning 1
     )`;
}

/**
 * The upsert that adds events to the daily rollup scoring reads, from `source` (a CTE or table with
 * customer_id, event_type, user_id, feature, occurred_at); `condition` orders it after other CTEs.
 * Rollup rows are locked in key order.
 */
function rollupEventsStatement(source: string, condition = ''): string {
  return `insert into engagement_day as d (customer_id, day, event_count, user_added_count, first_at, last_at, team_last_at, features, user_ids)
       select customer_id, (occurred_at at time zone 'UTC')::date, count(*), count(*) filter (where event_type = 'user_added'),
              min(occurred_at), max(occurred_at), max(occurred_at) filter (where user_id is not null), coalesce(array_agg(distinct feature) filter (where feature is not null), '{}'),
              coalesce(array_agg(distinct user_id) filter (where user_id is not null), '{}')
       from ${source}
       ${condition}
       group by 1, 2 order by 1, 2
       on conflict (customer_id, day) do update set
         event_count = d.event_count + excluded.event_count,
         user_added_count = d.user_added_count + excluded.user_added_count,
         first_at = least(d.first_at, excluded.first_at),
         last_at = greatest(d.last_at, excluded.last_at),
         team_last_at = greatest(d.team_last_at, excluded.team_last_at),
         features = case when excluded.features <@ d.features then d.features
                         else array(select distinct f from unnest(d.features || excluded.features) f order by 1) end,
         user_ids = case when excluded.user_ids <@ d.user_ids then d.user_ids
                         else array(select distinct u from unnest(d.user_ids || excluded.user_ids) u order by 1) end`;
}

/** The fields of an inserted event the rollup reads. */
interface InsertedEvent {
  customer_id: string;
  event_type: string;
  user_id: string | null;
  feature: string | null;
  occurred_at: Date;
}
const INSERTED_RECORD = 'customer_id text, event_type text, user_id text, feature text, occurred_at timestamptz';

/** Inserts a chunk of a batch's events (customers known, rows in key order): the events that were new. */
const INSERT_BATCH_CHUNK = `insert into engagement_event (${EVENT_COLUMNS})
     select ${EVENT_COLUMNS} from jsonb_to_recordset(?::jsonb) as x(${EVENT_RECORD})
     ${SKIP_IDEMPOTENT_DUPLICATES}
     returning customer_id, event_type, user_id, feature, occurred_at`;

/** A batch's last statement, once its events are in: queues its customers, then rolls up the events it inserted. */
function queueAndRollUpStatement(queueRescore: QueueRescore): string {
  return `with marked as (
       ${queueRescore('select jsonb_array_elements_text(?::jsonb)')}
     ), inserted as (
       select * from jsonb_to_recordset(?::jsonb) as x(${INSERTED_RECORD})
     ), ${rollUpInserted('marked')}
     select (select count(*) from rolled_up)::int as days`;
}

/** The event's customer and idempotency key, as a write stores them; null without a key. */
function eventKey(input: EngagementEventInput): RecordKey | null {
  const customerId = checkCustomerId(input.customerId);
  if (input.idempotencyKey == null) return null;
  return { customerId, key: requiredText(input.idempotencyKey, 'idempotencyKey', MAX_LABEL_LENGTH) };
}

/** A repeated key stores nothing: of the event stored first it may show only the identity (stored-record-readback.ts). */
export const ENGAGEMENT_EVENT_READBACK: StoredRecordReadback<EngagementEventInput> = {
  record: 'an event',
  keyField: 'idempotencyKey',
  isStored: (db, input) => storedUnderKey(db, { table: 'engagement_event', keyColumn: 'idempotency_key' }, () => eventKey(input)),
  fieldsFromInput: () => [],
};

/** A single event's answer: the event, and whether it was stored before this call (a repeated idempotency key). */
interface StoredEvent {
  event: EngagementEvent;
  storedBefore: boolean;
}

/**
 * Stores single events (`$events` numbered by `ord`) of existing customers and queues those
 * customers, in one statement. Each row's id is drawn up front so its caller's row can be found in
 * `inserted` (RETURNING cannot reach the input's columns): per `ord`, the event stored, or the one
 * already stored under its idempotency key.
 */
function storeSingleEventsStatement(queueRescore: QueueRescore): string {
  return `with input as (
       select x.*, nextval('engagement_event_id_seq') as new_id from jsonb_to_recordset(?::jsonb) as x(${EVENT_RECORD}, ord int)
     ), inserted as (
       insert into engagement_event (id, ${EVENT_COLUMNS})
       select new_id, ${EVENT_COLUMNS} from input where exists (select 1 from customer c where c.id = input.customer_id)
       order by ${KEY_ORDER}, ord
       ${SKIP_IDEMPOTENT_DUPLICATES}
       returning *
     ), marked as (
       ${queueRescore('select customer_id from inserted')}
     ), ${rollUpInserted('marked')}
     select i.ord, false as "storedBefore", ${ENGAGEMENT_COLUMNS} from input i join inserted e on e.id = i.new_id
     union all
     select i.ord, true, ${ENGAGEMENT_COLUMNS} from input i join engagement_event e on e.customer_id = i.customer_id and e.idempotency_key = i.idempotency_key
     where i.idempotency_key is not null and not exists (select 1 from inserted x where x.id = i.new_id)`;
}

/**
 * Inserts rows set-based (their customers must exist; the caller queues them and rolls up what was
 * inserted after); returns the events that were new (the rest were idempotency duplicates). One
 * statement per chunk of 5,000.
 */
async function insertEngagementRows(db: Db, rows: EngagementRow[]): Promise<InsertedEvent[]> {
  const inserted: InsertedEvent[] = [];
  // In key order, as an import merges its batches: customer, then idempotency key (keyless events
  // last), then the order sent (a stable sort: of a key repeated in the batch the first is stored).
  // Two batches storing the same keys at once then wait for each other in one direction only; in the
  // order each was sent, one could hold a key the other waits for while waiting for one the other
  // holds, and PostgreSQL would end one as a deadlock.
  const ordered = [...rows].sort((a, b) => compareText(a.customer_id, b.customer_id) || compareKeys(a.idempotency_key, b.idempotency_key));
  for (let start = 0; start < ordered.length; start += INSERT_CHUNK_SIZE) {
    const chunk = ordered.slice(start, start + INSERT_CHUNK_SIZE);
    inserted.push(...(await query<InsertedEvent>(db, INSERT_BATCH_CHUNK, [json(chunk)])));
  }
  return inserted;
}

/**
 * The order of KEY_ORDER's "C" collation: UTF-8 bytes, which is code point order. JavaScript's `<`
 * compares UTF-16 code units, in which a character past U+FFFF (a surrogate pair, D800–DBFF) sorts
 * before U+E000–U+FFFF, where its UTF-8 bytes sort after: at the first unit that differs, both units
 * from D800 up are moved so that surrogates come after U+E000–U+FFFF.
 */
export function compareText(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** Idempotency keys in ascending order, events without one after those with one. */
function compareKeys(a: string | null | undefined, b: string | null | undefined): number {
  if (a == null || b == null) return a == null ? (b == null ? 0 : 1) : -1;
  return compareText(a, b);
}

/**
 * Inserts one row that may not fit its index entries (mayOverflowIndex) under a savepoint: the event
 * inserted (none for a duplicate), or the event's refusal when PostgreSQL refused the entry.
 */
async function insertUnderSavepoint(tx: Db, row: EngagementRow): Promise<InsertedEvent[] | InvalidInputError> {
  await query(tx, 'savepoint oversized_event');
  try {
    const inserted = await query<InsertedEvent>(tx, INSERT_BATCH_CHUNK, [json([row])]);
    await query(tx, 'release savepoint oversized_event');
    return inserted;
  } catch (error) {
    await query(tx, 'rollback to savepoint oversized_event');
    const refusal = asEventRefusal(error, row);
    if (refusal instanceof InvalidInputError) return refusal;
    throw error;
  }
}

/** The ids among `ids` that exist (read only: a batch queues them after inserting its events, THE LOCK ORDER above). */
async function knownCustomers(db: Db, ids: Iterable<string>): Promise<Set<string>> {
  const unique = [...new Set(ids)];
  const rows = await query<{ id: string }>(db, 'select id from customer where id in (select jsonb_array_elements_text(?::jsonb))', [
    json(unique),
  ]);
  return new Set(rows.map((row) => row.id));
}

/**
 * Stores events sent one per call (`trackEngagement`), several calls per statement: the result of
 * each call, in order — its stored event, the one already stored under its idempotency key, or an
 * error. One statement (one plan, one commit) for everything that arrived together.
 */
async function storeSingleEvents(
  db: Db,
  scheduler: RescoreScheduler | null,
  rows: EngagementRow[],
): Promise<Array<StoredEvent | DomainError>> {
  const found = await signalsArrived(db, scheduler, (queueRescore) =>
    query<EngagementEvent & { ord: number; storedBefore: boolean }>(db, storeSingleEventsStatement(queueRescore), [
      json(rows.map((row, ord) => ({ ...row, ord }))),
    ]),
  );
  const results: Array<StoredEvent | DomainError | undefined> = new Array(rows.length);
  for (const { ord, storedBefore, ...event } of found) results[ord] ??= { event, storedBefore };
  for (let ord = 0; ord < rows.length; ord++) {
    if (results[ord]) continue;
    // Nothing stored and nothing found: an unknown customer, or the same key stored by a call of
    // the same statement or by a concurrent one that committed after it began (visible now).
    const row = rows[ord];
    const duplicate = row.idempotency_key
      ? await queryOne<EngagementEvent>(
          db,
          `select ${ENGAGEMENT_COLUMNS} from engagement_event e where e.customer_id = ? and e.idempotency_key = ?`,
          [row.customer_id, row.idempotency_key],
        )
      : undefined;
    results[ord] = duplicate
      ? { event: duplicate, storedBefore: true }
      : new NotFoundError(`customer ${row.customer_id} does not exist`, { customerId: row.customer_id });
  }
  return results as Array<StoredEvent | DomainError>;
}

/**
 * Coalesces concurrent `trackEngagement` calls: a call that finds no write in flight is stored at
 * once; calls that arrive while writes are in flight are stored together by the next one (as a
 * database's group commit does). Under load that is a few statements per millisecond instead of
 * one per call; alone, a call waits for nothing.
 */
export class SingleEventWriter {
  private queue: Array<{ row: EngagementRow; resolve: (stored: StoredEvent) => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;

  constructor(
    private readonly db: () => Db,
    private readonly scheduler: RescoreScheduler | null,
    private readonly options: { maxInFlight: number; maxPerStatement: number } = { maxInFlight: 2, maxPerStatement: 500 },
  ) {}

  /**
   * Validates (an invalid event is rejected at once, without a statement) and stores one event. An
   * event already stored under its key is the answer, unless `audience` may not read it (FORBIDDEN;
   * nothing was stored either way).
   */
  async write(input: EngagementEventInput, now = new Date(), audience?: AnswerAudience): Promise<EngagementEvent> {
    const { event, storedBefore } = await this.store(input, now);
    if (storedBefore) checkAnswerOfStoredRecord(ENGAGEMENT_EVENT_READBACK, input, audience);
    return event;
  }

  private store(input: EngagementEventInput, now: Date): Promise<StoredEvent> {
    let row: EngagementRow;
    try {
      row = toEngagementRow(input, now);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (this.inFlight < this.options.maxInFlight) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.inFlight++;
    try {
      while (this.queue.length > 0) {
        const calls = this.queue.splice(0, this.options.maxPerStatement);
        try {
          const results = await storeSingleEvents(
            this.db(),
            this.scheduler,
            calls.map((call) => call.row),
          );
          calls.forEach((call, index) => {
            const result = results[index];
            if (result instanceof Error) call.reject(result);
            else call.resolve(result);
          });
        } catch (error) {
          // The statement failed as a whole: store each call alone, so an error reaches only its own caller.
          if (calls.length === 1) calls[0].reject(asEventRefusal(error, calls[0].row));
          else for (const call of calls) this.storeAlone(call);
        }
      }
    } finally {
      this.inFlight--;
    }
  }

  private storeAlone(call: { row: EngagementRow; resolve: (stored: StoredEvent) => void; reject: (error: unknown) => void }): void {
    storeSingleEvents(this.db(), this.scheduler, [call.row]).then(
      ([result]) => (result instanceof Error ? call.reject(result) : call.resolve(result)),
      (error: unknown) => call.reject(asEventRefusal(error, call.row)),
    );
  }
}

/**
 * Stores up to 10,000 events in one transaction: the events of known customers are inserted, then
 * those customers are queued for rescoring and the new events rolled up (the scheduler is woken after
 * the commit); invalid items and unknown customers are reported by index.
 */
export async function trackEngagementBatch(
  db: Db,
  scheduler: RescoreScheduler | null,
  inputs: EngagementEventInput[],
  now = new Date(),
): Promise<BatchIngestResult> {
  if (inputs.length > MAX_BATCH_SIZE) {
    throw new InvalidInputError(`a batch holds at most ${MAX_BATCH_SIZE} events, got ${inputs.length}`, {
      argument: 'events',
      max: MAX_BATCH_SIZE,
    });
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
  if (candidates.length === 0) return { accepted: 0, duplicates: 0, errors };
  return inTransaction(db, (tx) => signalsArrived(tx, scheduler, (queueRescore) => storeBatch(tx, candidates, errors, queueRescore)));
}

/** trackEngagementBatch's transaction, in THE LOCK ORDER: its events, then its customers' marks and rollup rows. */
async function storeBatch(
  tx: Db,
  candidates: Array<{ index: number; row: EngagementRow }>,
  errors: BatchItemError[],
  queueRescore: QueueRescore,
): Promise<BatchIngestResult> {
  const known = await knownCustomers(
    tx,
    candidates.map((c) => c.row.customer_id),
  );
  const rows: EngagementRow[] = [];
  const oversized: Array<{ index: number; row: EngagementRow }> = [];
  for (const { index, row } of candidates) {
    if (!known.has(row.customer_id)) errors.push({ index, code: 'NOT_FOUND', message: `customer ${row.customer_id} does not exist` });
    else if (mayOverflowIndex(row)) oversized.push({ index, row });
    else rows.push(row);
  }
  const inserted = await insertEngagementRows(tx, rows);
  let refused = 0;
  for (const { index, row } of oversized) {
    const stored = await insertUnderSavepoint(tx, row);
    if (Array.isArray(stored)) inserted.push(...stored);
    else {
      refused++;
      errors.push({ index, code: stored.code, message: stored.message });
    }
  }
  await query(tx, queueAndRollUpStatement(queueRescore), [json([...known]), json(inserted)]);
  errors.sort((a, b) => a.index - b.index);
  const accepted = inserted.length;
  return { accepted, duplicates: rows.length + oversized.length - refused - accepted, errors };
}

/** What both event lists page over: events newest first. */
const EVENT_PAGE = {
  select: ENGAGEMENT_COLUMNS,
  from: 'engagement_event e',
  sortKeys: byTimeThenId('e', 'occurred_at'),
  direction: 'desc' as const,
};

/**
 * The filters both event lists take, checked (a NUL would reach PostgreSQL, and an overlong or
 * broken string would be read as a filter that matches nothing), as conditions over `e`. The event
 * type is trimmed, as stored event types are.
 */
function eventFilters(args: { eventType?: string | null; from?: Date | null; to?: Date | null }): { where: string[]; params: unknown[] } {
  checkStrings(args, '');
  const where: string[] = [];
  const params: unknown[] = [];
  const eventType = labelFilter(args.eventType);
  if (eventType) {
    where.push('e.event_type = ?');
    params.push(eventType);
  }
  addTimeRange(where, params, 'e.occurred_at', args.from, args.to);
  return { where, params };
}

export async function listEngagementEvents(db: Db, args: EngagementEventsArgs): Promise<ConnectionResult<EngagementEvent>> {
  // Before the filters' check of every string, so that a long id is refused naming its own limit.
  const customerId = args.customerId == null ? null : checkCustomerId(args.customerId);
  const { where, params } = eventFilters(args);
  if (customerId !== null) {
    where.push('e.customer_id = ?');
    params.push(customerId);
  }
  return keysetPage<EngagementEvent>(db, { ...EVENT_PAGE, where, params, first: args.first, after: args.after });
}

/** `Customer.engagementEvents`: a page of one customer's events, batched with the other customers' of the request. */
export function customerEngagementEvents(
  db: Db,
  loaders: LoaderRegistry,
  customerId: string,
  args: CustomerEngagementArgs,
): Promise<ConnectionResult<EngagementEvent>> {
  const { where, params } = eventFilters(args);
  return loadChildPage<EngagementEvent>(db, loaders, customerId, {
    ...EVENT_PAGE,
    name: 'Customer.engagementEvents',
    parentColumn: 'e.customer_id',
    where,
    params,
    first: args.first,
    after: args.after,
  });
}
