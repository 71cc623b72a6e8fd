// Bulk import of engagement events from NDJSON (one event per line, the fields of
// `EngagementEventInput`): each line is validated like an item of `trackEngagementBatch`, valid
// lines are COPYed into a session-local staging table and merged set-based, batch by batch, into the
// events, the daily rollup and the rescoring queue. Bad lines are reported by line number and the
// good ones stored; memory stays bounded whatever the input's size (a line, three batches, and at
// most MAX_REPORTED_ERRORS errors are held).
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { EngagementRow, rollUpInserted, toEngagementRow } from '../engagement/engagement.service';
import { queueRescoreStatement, RescoreScheduler } from '../scoring/rescore-queue';
import type { EngagementEventInput } from '../engagement/engagement.types';
import { DomainError, InvalidInputError } from '../infra/errors';
import { DateTimeScalar } from '../infra/scalars';
import { ndjsonLines } from './ndjson-lines';

/** Events per COPY and merge (one transaction each). */
export const IMPORT_BATCH_SIZE = 20_000;
/** Connections an import writes over (batches in flight). */
export const IMPORT_CONNECTIONS = 2;
/** A line longer than this is refused without being read into memory (an event's fields and 8 KB of metadata fit many times). */
export const MAX_LINE_BYTES = 64 * 1024;
/** Errors listed in the summary; beyond them only their number is kept. */
export const MAX_REPORTED_ERRORS = 1_000;

export interface ImportLineError {
  line: number;
  code: string;
  message: string;
}

export interface EventImportSummary {
  /** Lines read (blank lines not counted). */
  lines: number;
  /** Events stored. */
  accepted: number;
  /** Valid events whose idempotency key was already stored for their customer (or repeated in the input). */
  duplicates: number;
  /** Lines refused: invalid, or naming an unknown customer. */
  rejected: number;
  /** At most MAX_REPORTED_ERRORS refusals, sorted by line number (past the cap, those of the batches that finished first). */
  errors: ImportLineError[];
  /** Known customers named by valid lines, queued for rescoring (as trackEngagementBatch queues them). */
  customers: number;
  batches: number;
  seconds: number;
}

export interface EventImportOptions {
  /** Fills a missing occurredAt and bounds the others (at most a day ahead); default the import's start. */
  now?: Date;
  batchSize?: number;
  /** Connections (batches written at once), default IMPORT_CONNECTIONS. */
  connections?: number;
  /**
   * Woken after each committed batch that queued customers, as `signalsArrived` wakes it for the other
   * writes (the import commits on connections of its own); null where no scheduler runs (`npm run import`).
   */
  scheduler?: RescoreScheduler | null;
  onProgress?: (summary: EventImportSummary) => void;
}

const EVENT_FIELDS = new Set(['customerId', 'eventType', 'userId', 'feature', 'metadata', 'occurredAt', 'idempotencyKey']);
const TEXT_FIELDS = ['customerId', 'eventType', 'userId', 'feature', 'idempotencyKey'] as const;

/**
 * One NDJSON line as an event row, refused with the error `trackEngagementBatch` gives (GraphQL's
 * own type checks first: a JSON object, known fields, strings where the schema has strings, an
 * ISO-8601 `occurredAt`, then the same item validation).
 */
export function parseEventLine(text: string, now: Date): EngagementRow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidInputError('the line is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidInputError('the line is not a JSON object (one event per line)');
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!EVENT_FIELDS.has(key)) throw new InvalidInputError(`unknown field "${key}"`, { argument: key });
  }
  for (const key of TEXT_FIELDS) {
    const field = fields[key];
    const required = key === 'customerId' || key === 'eventType';
    if (field === undefined || field === null ? required : typeof field !== 'string') {
      throw new InvalidInputError(`${key} must be a string${required ? '' : ' or null'}`, { argument: key });
    }
  }
  let occurredAt: Date | undefined;
  if (fields.occurredAt !== undefined && fields.occurredAt !== null) {
    try {
      occurredAt = DateTimeScalar.parseValue(fields.occurredAt) as Date;
    } catch {
      throw new InvalidInputError('occurredAt must be an ISO-8601 date-time, e.g. 2026-11-24T09:30:00Z', { argument: 'occurredAt' });
    }
  }
  return toEngagementRow({ ...(fields as unknown as EngagementEventInput), occurredAt }, now);
}

/** A COPY text-format field: backslash, tab and line breaks escaped, NULL as \N. */
function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'))
    : value;
}

/** One staged row (line number first) in COPY text format. */
export function copyLine(line: number, row: EngagementRow): string {
  const metadata = row.metadata === null ? null : JSON.stringify(row.metadata);
  return `${line}\t${copyField(row.customer_id)}\t${copyField(row.event_type)}\t${copyField(row.user_id)}\t${copyField(row.feature)}\t${copyField(metadata)}\t${row.occurred_at}\t${copyField(row.idempotency_key)}\n`;
}

const STAGING_TABLE = `create temp table if not exists engagement_import_staging (
  line bigint not null, customer_id text not null, event_type text not null, user_id text, feature text,
  metadata jsonb, occurred_at timestamptz not null, idempotency_key text
) on commit delete rows`;

/**
 * The set-based merge of a staged batch. Lock order as in engagement.service.ts (rescoring marks
 * first, then rollup rows, each in key order), so an import and live ingestion never deadlock.
 * Duplicates (a key already stored, or repeated in the batch: the first line wins) are left out by
 * an anti-join, so the insert is a plain one: `on conflict` makes PostgreSQL insert each row
 * speculatively, which costs about as much again as the row itself. A key stored concurrently by
 * another writer between the two makes the plain insert fail; the batch is then merged again with
 * `onConflict` (see writeBatch).
 */
function mergeStagedStatement(onConflict: boolean): string {
  return `with known as (
    select distinct s.customer_id from engagement_import_staging s where exists (select 1 from customer c where c.id = s.customer_id)
  ), marked as (
    ${queueRescoreStatement('select customer_id from known')}
  ), inserted as (
    insert into engagement_event (customer_id, event_type, user_id, feature, metadata, occurred_at, idempotency_key)
    select s.customer_id, s.event_type, s.user_id, s.feature, s.metadata, s.occurred_at, s.idempotency_key
    from (select s.*, row_number() over (partition by s.customer_id, s.idempotency_key order by s.line) as nth
          from engagement_import_staging s join known k on k.customer_id = s.customer_id) s
    where s.idempotency_key is null
       or (s.nth = 1 and not exists (select 1 from engagement_event e where e.customer_id = s.customer_id and e.idempotency_key = s.idempotency_key))
    ${onConflict ? 'on conflict (customer_id, idempotency_key) where idempotency_key is not null do nothing' : ''}
    returning customer_id, event_type, user_id, feature, occurred_at
  ), ${rollUpInserted('marked')}
  select (select count(*) from inserted)::int as accepted, (select count(*) from rolled_up)::int as days,
         coalesce((select json_agg(customer_id) from known), '[]') as "customerIds",
         coalesce((select json_agg(json_build_object('line', s.line, 'customerId', s.customer_id) order by s.line)
                   from engagement_import_staging s where not exists (select 1 from known k where k.customer_id = s.customer_id)), '[]') as unknown`;
}

const MERGE_STAGED = mergeStagedStatement(false);
const MERGE_STAGED_ON_CONFLICT = mergeStagedStatement(true);

interface MergeResult {
  accepted: number;
  customerIds: string[];
  unknown: Array<{ line: number; customerId: string }>;
}

/** Connections whose staging table has statistics (see writeBatch). */
const analyzed = new WeakSet<Client>();

/** COPYs one batch into the staging table and merges it, in one transaction (again with `on conflict` after a concurrent duplicate). */
async function writeBatch(client: Client, copyText: string[], merge = MERGE_STAGED): Promise<MergeResult> {
  const firstBatch = !analyzed.has(client);
  await client.query('begin');
  try {
    await pipeline(
      Readable.from(copyText),
      client.query(
        copyFrom(
          'copy engagement_import_staging (line, customer_id, event_type, user_id, feature, metadata, occurred_at, idempotency_key) from stdin',
        ),
      ),
    );
    // Temporary tables are never analyzed automatically: without statistics the merge's joins are planned
    // blind. The statistics of the first batch outlive its commit (rows go, statistics stay) and every
    // batch is alike, so once per connection is enough.
    if (firstBatch) {
      await client.query('analyze engagement_import_staging (customer_id, idempotency_key)');
      analyzed.add(client);
    }
    const { rows } = await client.query<MergeResult>(merge);
    await client.query('commit');
    return rows[0];
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    if (merge === MERGE_STAGED && (error as { code?: string }).code === UNIQUE_VIOLATION)
      return writeBatch(client, copyText, MERGE_STAGED_ON_CONFLICT);
    throw error;
  }
}

const UNIQUE_VIOLATION = '23505';

/** The running summary of an import: lines refused (the first MAX_REPORTED_ERRORS kept) and batches merged. */
function importTally(options: EventImportOptions) {
  const summary: EventImportSummary = {
    lines: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    errors: [],
    customers: 0,
    batches: 0,
    seconds: 0,
  };
  const customers = new Set<string>();
  const refuse = (error: ImportLineError) => {
    summary.rejected++;
    if (summary.errors.length < MAX_REPORTED_ERRORS) summary.errors.push(error);
  };
  const record = (copyText: string[], result: MergeResult) => {
    summary.batches++;
    summary.accepted += result.accepted;
    summary.duplicates += copyText.length - result.unknown.length - result.accepted;
    for (const { line, customerId } of result.unknown)
      refuse({ line, code: 'NOT_FOUND', message: `customer ${customerId} does not exist` });
    for (const id of result.customerIds) customers.add(id);
    summary.customers = customers.size;
    if (result.customerIds.length > 0) options.scheduler?.scheduleRescore();
    options.onProgress?.(summary);
  };
  return { summary, refuse, record };
}

/**
 * Imports the NDJSON events of `source` into the database at `databaseUrl` over connections of its
 * own (`connections`, default 2): while one batch is merged, the next is COPYed on the other
 * connection and the one after is parsed. Batches of one import lock rollup rows in the same (key)
 * order, so they never deadlock each other; a key repeated across two concurrent batches is caught
 * by the unique index and that batch merged again with `on conflict`.
 */
export async function importEvents(
  databaseUrl: string,
  source: AsyncIterable<Buffer | string>,
  options: EventImportOptions = {},
): Promise<EventImportSummary> {
  const startedAt = Date.now();
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? IMPORT_BATCH_SIZE;
  const { summary, refuse, record } = importTally(options);
  const clients: Client[] = [];
  const idle: Client[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const flush = async (copyText: string[]): Promise<void> => {
    while (idle.length === 0) await Promise.race(inFlight);
    if (failure !== undefined) throw failure;
    const client = idle.pop() as Client;
    const write: Promise<void> = writeBatch(client, copyText)
      .then((result) => record(copyText, result))
      // Rethrown by the next flush or at the end: a write in flight has nobody awaiting it yet.
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => {
        inFlight.delete(write);
        idle.push(client);
      });
    inFlight.add(write);
  };
  try {
    for (let i = 0; i < Math.max(1, options.connections ?? IMPORT_CONNECTIONS); i++) {
      const client = new Client({ connectionString: databaseUrl });
      clients.push(client);
      await client.connect();
      await client.query(STAGING_TABLE);
      idle.push(client);
    }
    let batch: string[] = [];
    for await (const { number, text } of ndjsonLines(source, MAX_LINE_BYTES)) {
      summary.lines++;
      if (text === null) {
        refuse({ line: number, code: 'BAD_USER_INPUT', message: `the line is longer than ${MAX_LINE_BYTES} bytes` });
        continue;
      }
      try {
        batch.push(copyLine(number, parseEventLine(text, now)));
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        refuse({ line: number, code: error.code, message: error.message });
        continue;
      }
      if (batch.length >= batchSize) {
        await flush(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await flush(batch);
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    summary.errors.sort((a, b) => a.line - b.line);
    summary.seconds = (Date.now() - startedAt) / 1000;
    return summary;
  } finally {
    await Promise.all(inFlight);
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}
