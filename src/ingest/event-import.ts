// Bulk import of engagement events from NDJSON (one event per line, the fields of
// `EngagementEventInput`): each line is validated like an item of `trackEngagementBatch`, valid
// lines are COPYed into a session-local staging table and merged set-based, batch by batch, into the
// events, the daily rollup and the rescoring queue. Bad lines are reported by line number and the
// good ones stored; memory stays bounded whatever the input's size (lines are streamed into COPY as
// they are parsed: a line, a chunk of COPY text, and at most MAX_REPORTED_ERRORS errors are held).
// A batch's transaction is open only while its lines arrive: it begins at its first complete line and
// is committed once its source keeps it waiting, so a slow client never holds a transaction for long.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { EngagementRow, eventTooLargeToIndex, mayOverflowIndex, rollUpInserted, toEngagementRow } from '../engagement/engagement.service';
import { firstAborted } from '../infra/abort-signals';
import { INDEX_SAFE_BYTES, isIndexEntryTooLarge } from '../infra/index-limits';
import { queueRescoreStatement, RescoreScheduler } from '../scoring/rescore-queue';
import type { EngagementEventInput } from '../engagement/engagement.types';
import { DomainError, hasSqlState, InvalidInputError, isDatabaseOutage } from '../infra/errors';
import type { Logger } from '../infra/logger';
import { DATE_TIME_FORMAT, DateTimeScalar } from '../infra/scalars';
import { sessionUrl } from '../infra/postgres-session';
import { cancelStatement } from '../infra/session-lock';
import { NdjsonLine, ndjsonLineChunks } from './ndjson-lines';

/** Events per COPY and merge (one transaction each). */
export const IMPORT_BATCH_SIZE = 100_000;
/** Connections an import writes over (batches in flight). */
export const IMPORT_CONNECTIONS = 2;
/** A line longer than this is refused without being read into memory (an event's fields and 8 KB of metadata fit many times). */
export const MAX_LINE_BYTES = 64 * 1024;
/** Errors listed in the summary; beyond them only their number is kept. */
export const MAX_REPORTED_ERRORS = 1_000;
/**
 * Longest a batch waits for its source's next line with its transaction open: then the batch is
 * committed, and the next one begins when a line arrives (a paused or slow client holds no
 * transaction, nor the vacuum horizon, while it is silent).
 */
export const MAX_BATCH_WAIT_MS = 1_000;
/**
 * Longest a batch reads with its transaction open: past it, the batch is committed as soon as it
 * would wait for its source, however briefly (a client sending a line now and then, never pausing for
 * MAX_BATCH_WAIT_MS, writes a batch at least this often rather than one endless transaction). A
 * source whose lines are already there when the import asks for them never waits: a fast upload or a
 * file is read in full batches of `batchSize`.
 */
export const MAX_BATCH_READ_MS = 10_000;
/**
 * Longest an import reads and parses lines without letting the event loop run other work (requests,
 * timers, I/O). Lines the source has already buffered reach the import as promise reactions, which
 * run before anything else: refused lines, which write nothing and so never wait for the database,
 * would otherwise keep every other request of the instance waiting until the input ends.
 */
export const READ_SLICE_MS = 10;

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
  /** Customers that got at least one new event, queued for rescoring (one whose lines were all duplicates is not: nothing of it changed). */
  customers: number;
  batches: number;
  seconds: number;
  /**
   * Set when the import was stopped before every line of its input was stored: the line up to which
   * the input is stored (its key revoked, or its source silent for idleTimeoutMs: the last line read;
   * the server stopping, its client gone, or its source failing (ImportSourceError): the last line of
   * the last batch committed). The counts
   * and errors are those of the lines up to it. A stop that comes once the input has ended and every
   * batch is committed (a client gone after its last batch) stopped nothing: it is not set.
   */
  stoppedAfterLine?: number;
}

export interface EventImportOptions {
  /**
   * Fills a missing occurredAt and bounds the others (at most a day ahead); default the time each line
   * is read, as trackEngagement dates an event when it is received (a stream open for hours dates its
   * lines as they arrive, and bounds them by that time, not by its start).
   */
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
  /**
   * Aborted when the request's key is revoked: no line is read past the one being read, the batch in
   * progress is committed, and the summary says where the import stopped (`stoppedAfterLine`).
   */
  signal?: AbortSignal;
  /**
   * Aborted when the server stops, which leaves the import its drain to answer: it stops at once,
   * also while it waits for its client to send; the batch being read, not yet merged, is rolled back
   * rather than merged (merging a large batch could outlast the drain); the merges under way finish,
   * or are ended by the drain with the requests still at work (see `sessionName`) and roll back.
   * `stoppedAfterLine` is the last line of the batches committed.
   */
  stopping?: AbortSignal;
  /**
   * Aborted when the client has gone (its connection closed before its answer): the import reads no
   * further line and begins no further commit: the batch being read is rolled back, and so are the
   * merges under way (their statement cancelled). A merge whose commit was already sent when the abort
   * came is not stopped (the cancel does not interrupt a commit under way): its batch is stored, and
   * counted. The batches committed before stay; `stoppedAfterLine` is the last line of them.
   */
  abandoned?: AbortSignal;
  /**
   * Where a merge that failed while the import was being stopped (`stopping` or `abandoned`) is logged,
   * at warn level with its error, when the failure was not the stop itself: its batch is rolled back
   * and left out of the summary, which says where the import stopped but not why that batch is lost
   * (unset: not logged).
   */
  logger?: Pick<Logger, 'warn'>;
  /**
   * The longest the import waits for its source's next line (a line completed, not a byte): past it,
   * it stops as when `signal` is aborted, every line read stored. A client trickling a byte now and
   * then would otherwise keep its import, and the instance's import slot, for good. Unset: as long as
   * the source takes (a file, a pipe).
   */
  idleTimeoutMs?: number;
  /** Longest a batch waits for its source with its transaction open, default MAX_BATCH_WAIT_MS. */
  batchWaitMs?: number;
  /** Longest a batch reads with its transaction open before it is committed at its next wait, default MAX_BATCH_READ_MS. */
  batchReadMs?: number;
  /**
   * The `application_name` of the import's sessions: the server's (shutdown-drain.ts), so that the
   * end of a stopping server's drain ends a merge still running, as it ends a late request's statement.
   */
  sessionName?: string;
}

/**
 * The import's source failed (a body that is not what its Content-Encoding says, or that decompresses
 * to too much; a file that cannot be read on): the import stopped as when the server stops (the batch
 * being read rolled back, the batches committed before kept), and `summary` says what is stored, up
 * to its `stoppedAfterLine`. `cause` is the source's error.
 */
export class ImportSourceError extends Error {
  constructor(
    readonly summary: EventImportSummary & { stoppedAfterLine: number },
    cause: unknown,
  ) {
    super(`the input could not be read past line ${summary.stoppedAfterLine} (every line up to it is stored): ${String(cause)}`, {
      cause,
    });
  }
}

const EVENT_FIELDS = new Set(['customerId', 'eventType', 'userId', 'feature', 'metadata', 'occurredAt', 'idempotencyKey']);
const TEXT_FIELDS = ['customerId', 'eventType', 'userId', 'feature', 'idempotencyKey'] as const;

/**
 * One NDJSON line as an event row, refused with the error `trackEngagementBatch` gives (GraphQL's
 * own type checks first: a JSON object, known fields, strings where the schema has strings, an
 * RFC 3339 `occurredAt`, then the same item validation).
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
  // An ID takes an integer too, as GraphQL coerces one (warehouse exports often hold numeric ids).
  if (Number.isSafeInteger(fields.customerId)) fields.customerId = String(fields.customerId);
  for (const key of TEXT_FIELDS) {
    const field = fields[key];
    const required = key === 'customerId' || key === 'eventType';
    const absent = field === undefined || field === null;
    if (absent && required) throw new InvalidInputError(`${key} is required`, { argument: key });
    if (!absent && typeof field !== 'string') {
      // JSON.parse rounds an integer past 2^53 (a warehouse's 64-bit id): only a string keeps it.
      const expected =
        key === 'customerId'
          ? 'a string or an integer up to 2^53 − 1 (send a larger id as a string)'
          : `a string${required ? '' : ' or null'}`;
      throw new InvalidInputError(`${key} must be ${expected}`, { argument: key });
    }
  }
  let occurredAt: Date | undefined;
  if (fields.occurredAt !== undefined && fields.occurredAt !== null) {
    try {
      occurredAt = DateTimeScalar.parseValue(fields.occurredAt) as Date;
    } catch {
      throw new InvalidInputError(`occurredAt must be ${DATE_TIME_FORMAT}`, { argument: 'occurredAt' });
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

/**
 * Settings of an import's own sessions. The staging table is temporary: no WAL, no index, no other
 * session sees it, and its buffers are the session's own (`temp_buffers`, which must be set before
 * the session first touches a temporary table), sized to hold a batch. The merge sorts a batch twice
 * (into insertion order, and into the rollup's groups): `work_mem` lets it do so in memory.
 * JIT compilation is off: the merge is planned once per batch with large row counts, which makes
 * PostgreSQL compile it, and the compiled code saves less than compiling costs.
 */
const SESSION_SETTINGS = ["set temp_buffers = '128MB'", "set work_mem = '64MB'", 'set jit = off'];

const STAGING_TABLE = `create temp table engagement_import_staging (
  line bigint not null, customer_id text not null, event_type text not null, user_id text, feature text,
  metadata jsonb, occurred_at timestamptz not null, idempotency_key text
) on commit delete rows`;

const COPY_STAGING =
  'copy engagement_import_staging (line, customer_id, event_type, user_id, feature, metadata, occurred_at, idempotency_key) from stdin';

/**
 * The set-based merge of a staged batch, one statement. Events of unknown customers are left out
 * (and reported); the rest are inserted in key order (customer, idempotency key, line; byte order, as
 * trackEngagement and trackEngagementBatch insert theirs, so none of them deadlocks another): index
 * entries of one customer land together, of a key repeated in the batch the first line is stored,
 * and two batches inserting the same keys at once wait for each other in one direction only (a
 * deadlock needs two keys taken in opposite orders). Duplicates are left out by `on conflict do
 * nothing`, which probes the unique index once per row whatever the table's size and however stale
 * its statistics; a key being stored by a concurrent writer makes the insert wait for that writer's
 * commit, then skip the row. An anti-join would do the same work but is planned: a merge or hash
 * anti-join reads the whole event table for every batch, and a nested loop over a sequential scan,
 * chosen while the table is still empty, reads the rows the same statement inserts, for every row.
 *
 * Order of the writes: the events (the marks read `inserted`), then the rescoring marks (the rollup
 * reads `marked` first), then the rollup rows: THE LOCK ORDER of every write of events
 * (engagement.service.ts). Only the customers that got a new event are queued: lines that were all
 * duplicates (a file sent again) change nothing to score.
 */
/** SQL over a staged row `s`: its index entries fit whatever its text (as mayOverflowIndex, for an event). */
const FITS_INDEX = `octet_length(s.customer_id) + greatest(octet_length(s.event_type), coalesce(octet_length(s.idempotency_key), 0)) <= ${INDEX_SAFE_BYTES}`;

const MERGE_STAGED = `with known as (
    select distinct s.customer_id from engagement_import_staging s where exists (select 1 from customer c where c.id = s.customer_id)
  ), inserted as (
    insert into engagement_event (customer_id, event_type, user_id, feature, metadata, occurred_at, idempotency_key)
    select s.customer_id, s.event_type, s.user_id, s.feature, s.metadata, s.occurred_at, s.idempotency_key
    from engagement_import_staging s join known k on k.customer_id = s.customer_id
    where ${FITS_INDEX}
    order by s.customer_id collate "C", s.idempotency_key collate "C", s.line
    on conflict (customer_id, idempotency_key) where idempotency_key is not null do nothing
    returning customer_id, event_type, user_id, feature, occurred_at
  ), marked as (
    ${queueRescoreStatement('select customer_id from inserted')}
  ), ${rollUpInserted('marked')}
  select (select count(*) from inserted)::int as accepted, (select count(*) from rolled_up)::int as days,
         coalesce((select json_agg(distinct customer_id) from inserted), '[]') as "customerIds",
         coalesce((select json_agg(json_build_object('line', s.line, 'customerId', s.customer_id) order by s.line)
                   from engagement_import_staging s where not exists (select 1 from known k where k.customer_id = s.customer_id)), '[]') as unknown`;

/** One staged line stored on its own (a row the merge left out: see FITS_INDEX), its customer queued if it is new, with its rollup. */
const STORE_STAGED_LINE = `with inserted as (
    insert into engagement_event (customer_id, event_type, user_id, feature, metadata, occurred_at, idempotency_key)
    select s.customer_id, s.event_type, s.user_id, s.feature, s.metadata, s.occurred_at, s.idempotency_key
    from engagement_import_staging s where s.line = $1
    on conflict (customer_id, idempotency_key) where idempotency_key is not null do nothing
    returning customer_id, event_type, user_id, feature, occurred_at
  ), marked as (
    ${queueRescoreStatement('select customer_id from inserted')}
  ), ${rollUpInserted('marked')}
  select (select count(*) from inserted)::int as accepted, (select customer_id from inserted) as "customerId"`;

interface MergeResult {
  accepted: number;
  /** The customers that got a new event, queued for rescoring. */
  customerIds: string[];
  unknown: Array<{ line: number; customerId: string }>;
  /** Lines whose index entries PostgreSQL refused (too large in bytes): refused, the batch stored. */
  oversized: number[];
}

/**
 * The staged rows of known customers the merge left out, stored one at a time under a savepoint
 * (they are rare: a long customer id beside a long event type or key, in 4-byte characters): how
 * many were new, and the lines whose index entry PostgreSQL refused.
 */
async function storeOversizedStaged(client: Client): Promise<{ accepted: number; oversized: number[]; customerIds: string[] }> {
  const { rows } = await client.query<{ line: string }>(
    `select s.line from engagement_import_staging s
     where not (${FITS_INDEX}) and exists (select 1 from customer c where c.id = s.customer_id) order by s.line`,
  );
  let accepted = 0;
  const oversized: number[] = [];
  const customerIds: string[] = [];
  for (const { line } of rows) {
    await client.query('savepoint oversized_event');
    try {
      const { rows: stored } = await client.query<{ accepted: number; customerId: string | null }>(STORE_STAGED_LINE, [line]);
      await client.query('release savepoint oversized_event');
      accepted += stored[0].accepted;
      if (stored[0].customerId !== null) customerIds.push(stored[0].customerId);
    } catch (error) {
      await client.query('rollback to savepoint oversized_event');
      if (!isIndexEntryTooLarge(error)) throw error;
      oversized.push(Number(line));
    }
  }
  return { accepted, oversized, customerIds };
}

/** Connections whose staging table has statistics (see mergeStaged). */
const analyzed = new WeakSet<Client>();

/**
 * Merges the batch staged in `client`'s open transaction and commits it; `oversized`: whether the
 * batch holds rows the merge leaves out (mayOverflowIndex), to be stored one at a time. Once
 * `abandoned` is aborted it sends no commit: it rolls back and throws the signal's reason. The signal
 * is checked before the commit, not during it: an abort that lands while the commit runs leaves it to
 * complete (the cancel of cancelMerges does not interrupt a commit under way), and the batch is
 * stored.
 */
async function mergeStaged(client: Client, oversized: boolean, abandoned: AbortSignal | undefined): Promise<MergeResult> {
  try {
    // Temporary tables are never analyzed automatically: without statistics the merge's joins are
    // planned blind. The statistics of the first batch outlive its commit (rows go, statistics stay)
    // and every batch is alike, so once per connection is enough.
    if (!analyzed.has(client)) {
      await client.query('analyze engagement_import_staging (customer_id)');
      analyzed.add(client);
    }
    const { rows } = await client.query<Omit<MergeResult, 'oversized'>>(MERGE_STAGED);
    const alone = oversized ? await storeOversizedStaged(client) : { accepted: 0, oversized: [], customerIds: [] };
    abandoned?.throwIfAborted();
    await client.query('commit');
    return {
      ...rows[0],
      accepted: rows[0].accepted + alone.accepted,
      customerIds: [...rows[0].customerIds, ...alone.customerIds],
      oversized: alone.oversized,
    };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}

/** Characters of COPY text sent to PostgreSQL at once. */
const COPY_CHUNK_CHARS = 64 * 1024;

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
  const record = (staged: number, result: MergeResult) => {
    summary.batches++;
    summary.accepted += result.accepted;
    summary.duplicates += staged - result.unknown.length - result.oversized.length - result.accepted;
    for (const { line, customerId } of result.unknown)
      refuse({ line, code: 'NOT_FOUND', message: `customer ${customerId} does not exist` });
    for (const line of result.oversized)
      refuse({ line, code: 'BAD_USER_INPUT', message: eventTooLargeToIndex('eventType or idempotencyKey').message });
    for (const id of result.customerIds) customers.add(id);
    summary.customers = customers.size;
    if (result.customerIds.length > 0) options.scheduler?.scheduleRescore();
    options.onProgress?.(summary);
  };
  return { summary, refuse, record };
}

type Tally = ReturnType<typeof importTally>;

/** An input's lines, read a chunk at a time (`lines`, of which `at` is the next) and taken one at a time. */
interface LineReader {
  chunks: AsyncGenerator<NdjsonLine[]>;
  lines: NdjsonLine[];
  at: number;
  /** The number of the last line taken (0 before the first). */
  last: number;
  /**
   * The read of `chunks` under way: a wait cut short (a batch committed on a pause, the import
   * stopped) leaves it to the next wait, or, once the import is over, to settle when the body ends or
   * is destroyed (the caller's part).
   */
  pending?: Promise<IteratorResult<NdjsonLine[]>>;
  /** When `pending` began: how long the source has kept the import waiting for its next line. */
  waitingSince: number;
}

/** When an import last let the event loop run (see READ_SLICE_MS). */
interface Turn {
  since: number;
}

/** How an import reads its batches: its settings, its tally, and what stops it. */
interface ImportReading {
  reader: LineReader;
  tally: Tally;
  /** The time a line is read at: options.now, else the clock's. */
  now: () => Date;
  turn: Turn;
  batchSize: number;
  batchWaitMs: number;
  batchReadMs: number;
  idleTimeoutMs: number;
  /** Aborted when the import is to stop (`signal`, `stopping` or `abandoned`): a stopped import waits for no line. */
  interrupt: AbortSignal;
  /** Set when a read of the source failed (otherwise than by its client leaving): the import stops. */
  sourceFailure?: { error: unknown };
  /** Stops listening to the signals `interrupt` follows: called when the import ends. */
  release(): void;
}

/** Whether the import has kept the event loop for READ_SLICE_MS: it is to let other work run (`takeTurn`), checked per line. */
function turnDue(turn: Turn): boolean {
  return Date.now() - turn.since >= READ_SLICE_MS;
}

/** Lets the event loop run what is waiting (I/O, timers) before the import goes on. */
async function takeTurn(turn: Turn): Promise<void> {
  await nextTurn();
  turn.since = Date.now();
}

/**
 * The chunks of `source`, the event loop let run between two of them once it has been kept for
 * READ_SLICE_MS: an input of blank lines completes no line to parse (batchText takes its turns
 * between lines), but splitting it takes time all the same.
 */
async function* takingTurns(source: AsyncIterable<Buffer | string>, turn: Turn): AsyncGenerator<Buffer | string> {
  for await (const chunk of source) {
    if (turnDue(turn)) await takeTurn(turn);
    yield chunk;
  }
}

/** How an import of `source` reads it, as its options say. */
function importReading(source: AsyncIterable<Buffer | string>, options: EventImportOptions, tally: Tally): ImportReading {
  const stops = [options.signal, options.stopping, options.abandoned].filter((stop) => stop !== undefined);
  const turn = { since: Date.now() };
  const fixedNow = options.now;
  const stop = firstAborted(stops);
  return {
    interrupt: stop.signal,
    release: stop.release,
    reader: { chunks: ndjsonLineChunks(takingTurns(source, turn), MAX_LINE_BYTES), lines: [], at: 0, last: 0, waitingSince: Date.now() },
    tally,
    turn,
    now: fixedNow ? () => fixedNow : () => new Date(),
    batchSize: options.batchSize ?? IMPORT_BATCH_SIZE,
    batchWaitMs: options.batchWaitMs ?? MAX_BATCH_WAIT_MS,
    batchReadMs: options.batchReadMs ?? MAX_BATCH_READ_MS,
    idleTimeoutMs: options.idleTimeoutMs ?? Infinity,
  };
}

/** One batch of an import: the lines it read (from `firstLine` to `lastLine`) and what became of them. */
interface Batch {
  firstLine: number;
  lastLine: number;
  /** When its transaction began. */
  openedAt: number;
  /** Lines read, blank ones not counted, and how many of them were refused as they were read. */
  lines: number;
  refused: number;
  /** Valid lines COPYed into the staging table. */
  staged: number;
  oversized: boolean;
  /** The input ended with this batch, or the import was stopped while it was read (`cut`). */
  ended: boolean;
  cut: boolean;
  /** Committed (or nothing to commit); false once rolled back; undefined while its merge runs. */
  stored?: boolean;
}

/** A batch to read after line `after`, its transaction just begun. */
function newBatch(after: number): Batch {
  return {
    firstLine: after + 1,
    lastLine: after,
    openedAt: Date.now(),
    lines: 0,
    refused: 0,
    staged: 0,
    oversized: false,
    ended: false,
    cut: false,
  };
}

/**
 * What a wait for the source's next lines came to: its next chunk of lines (or its end), or what cut
 * it short: `interrupt` aborted, the wait allowed over (`paused`), the source silent for
 * idleTimeoutMs since the read began (`stalled`), or its read failed (`failed`: `sourceFailure`).
 */
type Arrival = IteratorResult<NdjsonLine[]> | 'interrupted' | 'paused' | 'stalled' | 'failed';

/**
 * The source's next chunk of lines, waiting at most `waitMs` (and never past idleTimeoutMs since the
 * read began). Lines that have already arrived are taken whatever the wait allowed, even none: only
 * a wait for the client is cut short. A read cut short stays under way, for the next wait.
 */
async function nextLines(reading: ImportReading, waitMs: number): Promise<Arrival> {
  const { reader, interrupt } = reading;
  if (reader.pending === undefined) {
    reader.pending = reader.chunks.next();
    // Its failure is the next wait's to report; one left waiting at the end is no unhandled rejection.
    reader.pending.catch(() => undefined);
    reader.waitingSince = Date.now();
  }
  const read = reader.pending;
  if (interrupt?.aborted) return 'interrupted';
  const idleMs = reader.waitingSince + reading.idleTimeoutMs - Date.now();
  let timer: NodeJS.Timeout | undefined;
  let onAbort = (): void => undefined;
  const cut = new Promise<'interrupted' | 'paused' | 'stalled'>((resolve) => {
    onAbort = () => resolve('interrupted');
    interrupt?.addEventListener('abort', onAbort, { once: true });
    const wait = Math.min(waitMs, idleMs);
    // A read already settled wins the race over a timer of 0: its reaction runs before any timer.
    if (wait !== Infinity) timer = setTimeout(() => resolve(idleMs <= waitMs ? 'stalled' : 'paused'), Math.max(0, wait));
  });
  try {
    const arrival = await Promise.race([read, cut]);
    if (typeof arrival !== 'string') reader.pending = undefined;
    return arrival;
  } catch (error) {
    // A body cut short by a client that went away fails its read: the import stops as the client left.
    if (interrupt?.aborted) return 'interrupted';
    reading.sourceFailure = { error };
    return 'failed';
  } finally {
    clearTimeout(timer);
    interrupt?.removeEventListener('abort', onAbort);
  }
}

/**
 * Waits, with no transaction open, until the source has a line to read: 'line', or 'ended' at the
 * end of the source, 'stopped' once `interrupt` is aborted, 'stalled' when it sends no line for
 * idleTimeoutMs, 'failed' when its read fails.
 */
async function awaitLine(reading: ImportReading): Promise<'line' | 'ended' | 'stopped' | 'stalled' | 'failed'> {
  const { reader } = reading;
  for (;;) {
    if (reading.interrupt?.aborted) return 'stopped';
    if (reader.at < reader.lines.length) return 'line';
    // No wait allowed but idleTimeoutMs: a wait cut short is a stop or a stall.
    const arrival = await nextLines(reading, Infinity);
    if (typeof arrival === 'string') return arrival === 'interrupted' ? 'stopped' : arrival === 'failed' ? 'failed' : 'stalled';
    if (arrival.done) return 'ended';
    reader.lines = arrival.value;
    reader.at = 0;
  }
}

/**
 * The next batch of the source's lines as COPY text, in chunks: at most `batchSize` valid lines, the
 * refused ones tallied. The batch ends early, to be committed, when its source keeps it waiting longer
 * than batchWaitMs, or at its first wait once it has read for batchReadMs.
 */
async function* batchText(reading: ImportReading, batch: Batch) {
  const { reader, tally, now, interrupt } = reading;
  let chunk = '';
  while (batch.staged < reading.batchSize) {
    if (turnDue(reading.turn)) await takeTurn(reading.turn);
    if (interrupt?.aborted) {
      batch.ended = batch.cut = true;
      break;
    }
    if (reader.at === reader.lines.length) {
      const next = await nextLines(reading, Math.min(reading.batchWaitMs, batch.openedAt + reading.batchReadMs - Date.now()));
      // The wait may have been long: whatever arrived after the signal is not read.
      if (next === 'interrupted') continue;
      if (next === 'failed') {
        batch.ended = batch.cut = true;
        break;
      }
      // The client is slow: the batch is committed rather than held open; the next begins at its next line.
      if (next === 'paused' || next === 'stalled') break;
      if (next.done) {
        batch.ended = true;
        break;
      }
      reader.lines = next.value;
      reader.at = 0;
      continue;
    }
    const { number, text, unreadable } = reader.lines[reader.at++];
    reader.last = batch.lastLine = number;
    tally.summary.lines++;
    batch.lines++;
    if (text === null) {
      const message = unreadable === 'not UTF-8' ? 'the line is not valid UTF-8' : `the line is longer than ${MAX_LINE_BYTES} bytes`;
      tally.refuse({ line: number, code: 'BAD_USER_INPUT', message });
      batch.refused++;
      continue;
    }
    try {
      const row = parseEventLine(text, now());
      batch.oversized ||= mayOverflowIndex(row);
      chunk += copyLine(number, row);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      tally.refuse({ line: number, code: error.code, message: error.message });
      batch.refused++;
      continue;
    }
    batch.staged++;
    if (chunk.length >= COPY_CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** The session (backend pid) of each import connection, to cancel its merge from another. */
const sessions = new WeakMap<Client, number>();

/** Opens the import's connections, each with its settings and its staging table. */
async function openConnections(databaseUrl: string, count: number, clients: Client[], sessionName: string | undefined): Promise<void> {
  for (let i = 0; i < count; i++) {
    const client = new Client({ connectionString: sessionUrl(databaseUrl), application_name: sessionName });
    // A session ended by a stopping server's drain fails the statement it ran (the merge, which rolls
    // back and is reported); the same loss reported again as an event on the client is no failure.
    client.on('error', () => undefined);
    clients.push(client);
    await client.connect();
    for (const setting of SESSION_SETTINGS) await client.query(setting);
    await client.query(STAGING_TABLE);
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    sessions.set(client, rows[0].pid);
  }
}

/** Logged (see `EventImportOptions.logger`) for a merge that failed otherwise than by the stop of its import. */
const MERGE_LOST = 'event import: a batch failed while the import was being stopped, and was rolled back';

/** SQLSTATE query_canceled: a statement cancelled by cancelMerges. */
const QUERY_CANCELED = '57014';

/**
 * Whether `error`, which ended a merge while its import was being stopped, is the stop itself: once
 * the client has gone, the signal's reason (mergeStaged's check before its commit) or the cancel of
 * its statement (cancelMerges); once the server stops, its session ended by the drain (which reads as
 * a database gone). Anything else is a failure of the merge's own.
 */
function isTheStop(error: unknown, { stopping, abandoned }: EventImportOptions): boolean {
  if (abandoned?.aborted && (error === abandoned.reason || hasSqlState(error, QUERY_CANCELED))) return true;
  return stopping?.aborted === true && isDatabaseOutage(error);
}

/** Cancels the merges under way on `merging` (their transactions then roll back): their client has gone. */
function cancelMerges(databaseUrl: string, merging: Iterable<Client>): void {
  for (const client of merging) {
    const pid = sessions.get(client);
    if (pid !== undefined) void cancelStatement(databaseUrl, pid);
  }
}

/**
 * Imports the NDJSON events of `source` into the database at `databaseUrl` over connections of its
 * own (`connections`, default 2). Lines are parsed and validated as they are read and streamed
 * straight into COPY (a batch is never held in memory); while one connection merges its batch, the
 * next batch is parsed and COPYed on the other. Batches of one import take their locks in the same
 * order (see MERGE_STAGED), so they never deadlock each other; of a key repeated across two batches
 * merged at once, the one that commits first is stored.
 */
export async function importEvents(
  databaseUrl: string,
  source: AsyncIterable<Buffer | string>,
  options: EventImportOptions = {},
): Promise<EventImportSummary> {
  const startedAt = Date.now();
  const tally = importTally(options);
  const { stopping, abandoned } = options;
  const reading = importReading(source, options, tally);
  const clients: Client[] = [];
  const merges = new Map<Client, Promise<void>>();
  let failure: unknown;
  // The connection whose merge ends first (all of them are merging when this is called).
  const nextIdle = async (): Promise<Client> => {
    if (failure !== undefined) throw failure;
    const idle = clients.find((client) => !merges.has(client));
    if (idle) return idle;
    await Promise.race(merges.values());
    if (failure !== undefined) throw failure;
    return nextIdle();
  };
  const batches: Batch[] = [];
  let ended = false;
  let stopped = false;
  const cancel = () => cancelMerges(databaseUrl, merges.keys());
  abandoned?.addEventListener('abort', cancel, { once: true });
  try {
    await openConnections(databaseUrl, Math.max(1, options.connections ?? IMPORT_CONNECTIONS), clients, options.sessionName);
    while (!ended && !stopped) {
      const client = await nextIdle();
      // The transaction begins once a line is there to write: a silent client holds none.
      const arrival = await awaitLine(reading);
      if (arrival === 'ended') break;
      stopped = arrival !== 'line';
      if (stopped) break;
      await client.query('begin');
      const batch = newBatch(reading.reader.last);
      batches.push(batch);
      try {
        await pipeline(Readable.from(batchText(reading, batch)), client.query(copyFrom(COPY_STAGING)));
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      }
      ended = batch.ended;
      stopped = batch.cut;
      // Stopping, the batch being read is not merged (its lines are sent again): the answer cannot wait
      // for its merge. Abandoned, nothing more is written for a client that is not there to be told.
      // Its source failed: of a body found corrupt (or too expansive), no more is written than is committed.
      const dropped = batch.cut && (stopping?.aborted === true || abandoned?.aborted === true || reading.sourceFailure !== undefined);
      if (batch.staged === 0 || dropped) {
        await client.query('rollback');
        batch.stored = !dropped;
        continue;
      }
      const staged = batch.staged;
      const merge: Promise<void> = mergeStaged(client, batch.oversized, abandoned)
        .then((result) => {
          batch.stored = true;
          tally.record(staged, result);
        })
        // Rethrown by nextIdle or at the end: a merge in flight has nobody awaiting it yet. Once the
        // import is being stopped, the batch rolled back is left out of the summary instead, which
        // says where the stored lines end; a merge that failed otherwise than by the stop is logged.
        .catch((error: unknown) => {
          batch.stored = false;
          if (!stopping?.aborted && !abandoned?.aborted) failure ??= error;
          else if (!isTheStop(error, options))
            options.logger?.warn({ err: error, firstLine: batch.firstLine, lastLine: batch.lastLine }, MERGE_LOST);
        })
        .finally(() => merges.delete(client));
      merges.set(client, merge);
    }
    await Promise.all(merges.values());
    if (failure !== undefined) throw failure;
    return finalSummary(reading, batches, stopped, startedAt);
  } finally {
    await Promise.all(merges.values());
    abandoned?.removeEventListener('abort', cancel);
    reading.release();
    // A read left waiting (nextLines) settles once the caller ends or destroys the source: not awaited here.
    if (reading.reader.pending) void reading.reader.chunks.return(undefined).catch(() => undefined);
    else await reading.reader.chunks.return(undefined);
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}

/**
 * The summary of an import whose batches are all done (`stopped`: before the end of its input), thrown
 * within an ImportSourceError when its source failed.
 */
function finalSummary(reading: ImportReading, batches: Batch[], stopped: boolean, startedAt: number): EventImportSummary {
  const { summary } = reading.tally;
  // A stop that came once the input had ended and every batch was stored (a client gone after its
  // last commit) stopped nothing.
  if (stopped || batches.some((batch) => batch.stored !== true)) leaveOutUnstored(summary, batches, reading.reader.last);
  summary.errors.sort((a, b) => a.line - b.line);
  summary.seconds = (Date.now() - startedAt) / 1000;
  if (reading.sourceFailure && summary.stoppedAfterLine !== undefined)
    throw new ImportSourceError({ ...summary, stoppedAfterLine: summary.stoppedAfterLine }, reading.sourceFailure.error);
  return summary;
}

/**
 * The summary of an import stopped before every line of its input was stored: `stoppedAfterLine`, the
 * last line of the batches stored one after the other from the first (`lastRead` when all of them
 * are: the input had not ended), and the lines of the batches not stored (rolled back) left out of
 * its counts and errors.
 */
function leaveOutUnstored(summary: EventImportSummary, batches: Batch[], lastRead: number): void {
  const firstUnstored = batches.findIndex((batch) => batch.stored !== true);
  summary.stoppedAfterLine = firstUnstored === -1 ? lastRead : batches[firstUnstored].firstLine - 1;
  for (const batch of batches) {
    if (batch.stored === true) continue;
    summary.lines -= batch.lines;
    summary.rejected -= batch.refused;
    summary.errors = summary.errors.filter((error) => error.line < batch.firstLine || error.line > batch.lastLine);
  }
}
