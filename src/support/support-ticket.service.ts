// Support-ticket ingestion and the customer's ticket list. Helpdesks send a ticket again on every
// change, so tickets are upserted by (customer, externalId): only the fields sent change, and the
// same statement records the ticket's status history (and the severity and rating a change of
// either ends) and marks the customer for rescoring. A change dated before the ticket's current
// state arrived late, and goes into those histories at its own date instead (support-ticket-late-change.ts).
import { ForbiddenError } from '../auth/auth.errors';
import type { ScopedArgument } from '../auth/operation-scopes';
import { Scope } from '../auth/scopes';
import { checkCustomerId, MAX_ID_LENGTH } from '../customers/customer.service';
import { answeringCheckAsInput, ensure, InvalidInputError, NotFoundError } from '../infra/errors';
import { checkStrings, optionalText, pastInstant, requiredLabel } from '../infra/input';
import { LoaderRegistry, loadChildPage } from '../infra/loaders';
import { byTimeThenId } from '../infra/pagination';
import type { ConnectionResult } from '../infra/pagination';
import { Db, inTransaction, queryOne, takeTurns } from '../infra/sql';
import { forgetScoresBeforeStart } from '../scoring/history-links';
import { QueueRescore, RescoreScheduler, signalsArrived } from '../scoring/rescore-queue';
import {
  AnswerAudience,
  checkAnswerOfStoredRecord,
  recordStored,
  RecordKeyColumns,
  refuseUndecidedFieldsOfStored,
  StoredRecordReadback,
  storedUnderKey,
} from '../ingest/stored-record-readback';
import { placeLateTicket, recordLateTicket, ticketChange } from './support-ticket-late-change';
import {
  CustomerSupportTicketsArgs,
  SupportTicket,
  SupportTicketInput,
  SupportTicketSeverity,
  SupportTicketStatus,
  MAX_SUBJECT_LENGTH,
} from './support-ticket.types';

export const SUPPORT_TICKET_COLUMNS = `t.id::text as id, t.customer_id as "customerId", t.external_id as "externalId", t.subject,
  t.severity, t.status, t.csat_rating as "csatRating", t.sentiment, t.opened_at as "openedAt", t.resolved_at as "resolvedAt",
  t.updated_at as "updatedAt"`;

const SEVERITIES = new Set<string>(Object.values(SupportTicketSeverity));
const STATUSES = new Set<string>(Object.values(SupportTicketStatus));

/**
 * One column of the upsert: its value on insert, whether an update overwrites the stored one, and
 * with what (`update`, an SQL expression over the stored row `t` and `excluded`; default the value).
 */
interface ColumnValue {
  column: string;
  value: unknown;
  cast?: string;
  overwrite: boolean;
  update?: string;
}

/** Validates the input into column values; throws BAD_USER_INPUT. */
function toColumns(input: SupportTicketInput, now: Date, statusChangedAt: Date | null): ColumnValue[] {
  const externalId = requiredLabel(input.externalId, 'externalId', MAX_ID_LENGTH);
  // A ticket always has a severity, a status and an opening: null would clear none of them, and
  // reading it as "left out" would answer a field that was meant to change with the stored one.
  ensure(
    input.severity === undefined || SEVERITIES.has(input.severity as string),
    'severity must be LOW, NORMAL, HIGH or URGENT when given (it cannot be cleared: leave it out to keep the stored one)',
    { argument: 'severity' },
  );
  ensure(
    input.status === undefined || STATUSES.has(input.status as string),
    'status must be OPEN, PENDING or SOLVED when given (it cannot be cleared: leave it out to keep the stored one)',
    { argument: 'status' },
  );
  ensure(input.openedAt !== null, 'openedAt must be a date when given (it cannot be cleared: leave it out to keep the stored one)', {
    argument: 'openedAt',
  });
  ensure(
    input.csatRating == null || (Number.isInteger(input.csatRating) && input.csatRating >= 1 && input.csatRating <= 5),
    'csatRating must be an integer from 1 to 5',
    { argument: 'csatRating' },
  );
  ensure(
    input.sentiment == null || (Number.isFinite(input.sentiment) && input.sentiment >= -1 && input.sentiment <= 1),
    'sentiment must be between -1 and 1',
    { argument: 'sentiment' },
  );
  const subject = optionalText(input.subject, 'subject', MAX_SUBJECT_LENGTH);
  // Both describe the past: from 1970 up to a day after now.
  const openedAt = input.openedAt != null ? pastInstant(input.openedAt, 'openedAt', now) : null;
  const resolvedAt = input.resolvedAt != null ? pastInstant(input.resolvedAt, 'resolvedAt', now) : null;
  ensure(!openedAt || !resolvedAt || resolvedAt.getTime() >= openedAt.getTime(), 'resolvedAt must not be before openedAt', {
    argument: 'resolvedAt',
  });
  ensure(
    !resolvedAt || input.status == null || input.status === SupportTicketStatus.SOLVED,
    'resolvedAt is for a SOLVED ticket: an OPEN or PENDING one has none',
    {
      argument: 'resolvedAt',
    },
  );
  // Last: a field checked above is refused naming its own limit; this holds the rest (checkStrings).
  checkStrings(input, '');

  return [
    { column: 'external_id', value: externalId, overwrite: false },
    { column: 'subject', value: subject, overwrite: input.subject !== undefined },
    { column: 'severity', value: input.severity ?? SupportTicketSeverity.NORMAL, overwrite: input.severity != null },
    { column: 'status', value: input.status ?? SupportTicketStatus.OPEN, overwrite: input.status != null },
    { column: 'csat_rating', value: input.csatRating ?? null, cast: 'smallint', overwrite: input.csatRating !== undefined },
    // Stored as a real: rounded to one here, so a value too small for a real (1e-46) is the 0 it
    // rounds to, not an underflow the database refuses.
    {
      column: 'sentiment',
      value: input.sentiment == null ? null : Math.fround(input.sentiment),
      cast: 'real',
      overwrite: input.sentiment !== undefined,
    },
    // A new ticket received already resolved, without its opening, was opened by then at the latest.
    { column: 'opened_at', value: (openedAt ?? resolvedAt ?? now).toISOString(), cast: 'timestamptz', overwrite: openedAt !== null },
    resolvedAtColumn(input, { resolvedAt, openedAt, changedAt: statusChangedAt ?? now, now }),
  ];
}

/**
 * `resolved_at`. A ticket reopened (OPEN or PENDING) is no longer resolved: its earlier resolution is
 * cleared. One sent SOLVED without `resolvedAt` (left out or null) keeps the resolution it has, else is
 * resolved when its SOLVED status is recorded (`STATUS_CHANGES`: at `statusChangedAt` or now, not
 * before its opening nor its latest change); `resolvedAt: null` without a status clears only the
 * resolution of a ticket that is not solved (which has none), so that a solved ticket always reads
 * with its resolution.
 */
function resolvedAtColumn(
  input: SupportTicketInput,
  dates: { resolvedAt: Date | null; openedAt: Date | null; changedAt: Date; now: Date },
): ColumnValue {
  const { resolvedAt, openedAt, changedAt, now } = dates;
  const column = 'resolved_at';
  if (input.resolvedAt == null && input.status === SupportTicketStatus.SOLVED) {
    // A new ticket opens now unless told otherwise; a known one keeps its opening unless given one.
    const opening = openedAt ? 'excluded.opened_at' : 't.opened_at';
    // An ISO instant from a Date: safe to write into the statement.
    const changed = `'${changedAt.toISOString()}'::timestamptz`;
    return {
      column,
      value: new Date(Math.max(changedAt.getTime(), (openedAt ?? now).getTime())).toISOString(),
      cast: 'timestamptz',
      overwrite: true,
      update: `case when t.status = 'SOLVED' and t.resolved_at is not null then t.resolved_at
                    else greatest(${changed}, ${opening}, (select last_changed_at from previous)) end`,
    };
  }
  if (input.resolvedAt === null && input.status === undefined) {
    // Not a resolution undone: that is a reopening, which says what the ticket is now.
    return { column, value: null, cast: 'timestamptz', overwrite: true, update: `case when t.status = 'SOLVED' then t.resolved_at end` };
  }
  return {
    column,
    value: resolvedAt?.toISOString() ?? null,
    cast: 'timestamptz',
    overwrite: input.resolvedAt !== undefined || (input.status != null && input.status !== SupportTicketStatus.SOLVED),
  };
}

/**
 * The status changes a write records (`support_ticket_status_change`), over `upserted` (the ticket as
 * written) and `previous` (as it was; none for a new ticket). A new ticket has its own status at its
 * opening, except that one received already SOLVED was OPEN then and SOLVED at its resolution (or
 * now). An update that changes the status records the new one at the resolution when it is SOLVED and
 * resolved_at is known, else at `:status_changed_at` (a reopening loaded after the fact), else now. A
 * change is never dated before the ticket's opening or its latest change (one dated before its
 * latest change is recorded late instead, support-ticket-late-change.ts), so the latest change is
 * always the status the ticket has.
 */
const STATUS_CHANGES = `
  select 1 as ord, u.id, u.customer_id, case when u.status = 'SOLVED' then 'OPEN' else u.status end as status, u.opened_at as changed_at
  from upserted u where not exists (select 1 from previous)
  union all
  select 2, u.id, u.customer_id, 'SOLVED', greatest(u.opened_at, coalesce(u.resolved_at, now()))
  from upserted u where not exists (select 1 from previous) and u.status = 'SOLVED'
  union all
  select 3, u.id, u.customer_id, u.status,
         greatest(case when u.status = 'SOLVED' and u.resolved_at is not null then u.resolved_at else coalesce(:status_changed_at::timestamptz, now()) end,
                  u.opened_at, p.last_changed_at)
  from upserted u join previous p on p.id = u.id where u.status <> p.status`;

/**
 * A correction of a known ticket's dates moves its history with them (`history_redated`, over
 * `upserted` and `previous` as above), so scoring as of a past day sees the ticket as it now reads:
 * its first change (the opening) to the new `opened_at`, no change before it; and, for a ticket
 * SOLVED before and after whose `resolved_at` changed, its last change (the resolution) to the new
 * `resolved_at`, never before the change that precedes it. One update computes each row's date: a row
 * is written once per statement.
 */
const HISTORY_REDATED = `
  update support_ticket_status_change s set changed_at = redated.changed_at
  from (
    select h.id, case
             when h.n = 1 then u.opened_at
             when h.n = h.total and h.status = 'SOLVED' and p.status = 'SOLVED' and u.status = 'SOLVED'
                  and u.resolved_at is not null and u.resolved_at is distinct from p.resolved_at
               then greatest(u.resolved_at, u.opened_at, case when h.n > 2 then h.before_it end)
             else greatest(h.changed_at, u.opened_at)
           end as changed_at
    from upserted u join previous p on p.id = u.id
    cross join lateral (
      select c.id, c.status, c.changed_at, row_number() over w as n, count(*) over () as total, lag(c.changed_at) over w as before_it
      from support_ticket_status_change c where c.ticket_id = u.id
      window w as (order by c.changed_at, c.id)
    ) h
    where u.opened_at <> p.opened_at or u.resolved_at is distinct from p.resolved_at
  ) redated
  where s.id = redated.id and s.changed_at <> redated.changed_at`;

/**
 * The stored dates are checked too (`support_ticket_resolved_after_opened`): `resolvedAt` and
 * `openedAt` given in two calls are refused like both in one, naming the date this call sent.
 */
function resolvedAfterOpened(input: { resolvedAt?: Date | null }) {
  return {
    constraint: 'support_ticket_resolved_after_opened',
    message: 'resolvedAt must not be before openedAt (as stored, or as given)',
    argument: input.resolvedAt != null ? 'resolvedAt' : 'openedAt',
  };
}

/**
 * `resolvedAt` without a status corrects the resolution of a SOLVED ticket. An OPEN or PENDING one (a
 * new ticket opens OPEN) would read unsolved with a resolution: solving it takes `status: SOLVED`.
 * Run under the ticket's turn (takeTurns), before anything is written. Taken or refused by the stored
 * status, such a `resolvedAt` needs `read` as well (RESOLUTION_WITHOUT_STATUS).
 */
async function checkResolutionOfSolved(tx: Db, customerId: string, externalId: string, input: SupportTicketInput): Promise<void> {
  if (input.resolvedAt == null || input.status !== undefined) return;
  const stored = await queryOne<{ status: SupportTicketStatus }>(
    tx,
    'select status from support_ticket where customer_id = ? and external_id = ?',
    [customerId, externalId],
  );
  if (stored?.status === SupportTicketStatus.SOLVED) return;
  const ticket = stored ? `ticket ${externalId} is ${stored.status}` : `a new ticket opens OPEN`;
  throw new InvalidInputError(
    `resolvedAt without a status corrects the resolution of a SOLVED ticket, and ${ticket}: send status: SOLVED with it to solve it`,
    { argument: 'resolvedAt' },
  );
}

/**
 * The opening of a stored ticket that `support_ticket_resolved_after_opened` would hold to its stored
 * resolution (kept unless an OPEN or PENDING status clears it), from a key without `read`: taken with a
 * resolution (whose order the input itself shows), with a reopening, or when it is the stored opening
 * (a helpdesk sending the ticket again: nothing moves, nothing is compared); FORBIDDEN otherwise,
 * whatever the stored ticket holds. Such a key's resolution sent without the opening is not refused by
 * the stored opening but held to it (resolutionNotBeforeStoredOpening). Run under the ticket's turn; a
 * new ticket has nothing stored to compare with, and whether one is stored the key already learns
 * (stored-record-readback.ts).
 */
async function refuseOpeningComparedWithStored(tx: Db, customerId: string, externalId: string, input: SupportTicketInput): Promise<void> {
  const reopened = input.status === SupportTicketStatus.OPEN || input.status === SupportTicketStatus.PENDING;
  if (input.openedAt == null || input.resolvedAt != null || reopened) return;
  const stored = await queryOne<{ resent: boolean }>(
    tx,
    'select opened_at = ?::timestamptz as resent from support_ticket where customer_id = ? and external_id = ?',
    [input.openedAt.toISOString(), customerId, externalId],
  );
  if (stored === undefined || stored.resent) return;
  throw new ForbiddenError(
    'supportTicket.openedAt needs the read scope for a stored ticket when sent without resolvedAt and not the stored opening: it is ' +
      'refused or taken by the stored resolvedAt, which an ingest-only key may not read: send resolvedAt with it (or status OPEN ' +
      'or PENDING, which clears the resolution)',
    { requiredScopes: [Scope.READ], fields: ['openedAt'] },
  );
}

/**
 * A resolution sent without the opening, which a stored ticket holds to its stored opening: for a key
 * without `read`, moved up to that opening instead of refused (as a status change is), so that whether
 * it is taken never depends on the stored date. The answer's resolvedAt is then not the request's to
 * decide (SUPPORT_TICKET_READBACK): it may show that opening.
 */
function resolutionNotBeforeStoredOpening(columns: ColumnValue[], input: SupportTicketInput): ColumnValue[] {
  if (input.resolvedAt == null || input.openedAt != null) return columns;
  return columns.map((c) => (c.column === 'resolved_at' ? { ...c, update: 'greatest(excluded.resolved_at, t.opened_at)' } : c));
}

/**
 * The scope check of a `resolvedAt` sent without a status, before the operation runs: whether
 * checkResolutionOfSolved takes it tells the stored ticket's status, which an ingest-only key may not
 * read, so such a key sends `status: SOLVED` with it (FORBIDDEN otherwise, whatever is stored).
 */
export const RESOLUTION_WITHOUT_STATUS: ScopedArgument = {
  path: ['input', 'resolvedAt'],
  scopes: [Scope.READ],
  action: 'supportTicket.resolvedAt',
  when: (argument) => argument(['input', 'status']) === undefined,
  reason:
    "sent without a status, resolvedAt is taken or refused by the stored ticket's status, which an ingest-only key may not read: " +
    'send status: SOLVED with it',
};

/** The SupportTicket field of each column an update may overwrite. */
const FIELD_OF_COLUMN: Record<string, keyof SupportTicket> = {
  subject: 'subject',
  severity: 'severity',
  status: 'status',
  csat_rating: 'csatRating',
  sentiment: 'sentiment',
  opened_at: 'openedAt',
  resolved_at: 'resolvedAt',
};

/** Where a ticket is kept under its customer and helpdesk id. */
const TICKET_KEY: RecordKeyColumns = { table: 'support_ticket', keyColumn: 'external_id' };

/**
 * What a write of a stored ticket sets from the input (stored-record-readback.ts): the columns it
 * overwrites with the value sent (not a resolution kept or computed from the stored ticket), and
 * `updatedAt`, the write's own time.
 */
export const SUPPORT_TICKET_READBACK: StoredRecordReadback<SupportTicketInput> = {
  record: 'a ticket',
  keyField: 'externalId',
  isStored: (db, input) =>
    storedUnderKey(db, TICKET_KEY, () => ({
      customerId: checkCustomerId(input.customerId),
      key: requiredLabel(input.externalId, 'externalId', MAX_ID_LENGTH),
    })),
  // Only a key without read is held to this, whose resolution may be moved up to the stored opening.
  fieldsFromInput: (input) => [
    ...resolutionNotBeforeStoredOpening(toColumns(input, new Date(), null), input)
      .filter((column) => column.overwrite && column.update === undefined && column.column in FIELD_OF_COLUMN)
      .map((column) => FIELD_OF_COLUMN[column.column]),
    'updatedAt',
  ],
};

/** What a late change (support-ticket-late-change.ts) decides of its answer: none of the ticket's fields, which it leaves as they are. */
const LATE_TICKET_READBACK: StoredRecordReadback<SupportTicketInput> = { ...SUPPORT_TICKET_READBACK, fieldsFromInput: () => [] };

/**
 * The statement that writes a ticket (see the module's head), over its `columns` and the values named
 * `customer_id`, each column's own, `status_changed_at` and `resolution_sent` (the input's resolvedAt).
 * Answers the ticket as written, and whether its opening moved later (`openedLater`).
 */
function upsertTicketSql(columns: ColumnValue[], queueRescore: QueueRescore): string {
  const updates = [
    ...columns.filter((c) => c.overwrite).map((c) => `${c.column} = ${c.update ?? `excluded.${c.column}`}`),
    'updated_at = now()',
  ];
  return `with known as (
       select id from customer where id = :customer_id
     ), previous as (
       select t.id, t.status, t.severity, t.csat_rating, t.opened_at, t.resolved_at,
              (select max(e.ended_at) from support_ticket_earlier_state e where e.ticket_id = t.id) as last_state_ended_at,
              -- The latest change after the opening: the opening itself moves to the ticket's openedAt
              -- in this statement (history_redated), which every change below is held to anyway.
              (select max(later.changed_at) from (select s.changed_at from support_ticket_status_change s where s.ticket_id = t.id
                                                  order by s.changed_at, s.id offset 1) later) as last_changed_at
       from support_ticket t where t.customer_id = :customer_id and t.external_id = :external_id
     ), marked as (
       ${queueRescore('select id from known')}
     ), upserted as (
       insert into support_ticket as t (customer_id, ${columns.map((c) => c.column).join(', ')})
       select id, ${columns.map((c) => `:${c.column}${c.cast ? `::${c.cast}` : ''}`).join(', ')} from known
       on conflict (customer_id, external_id) do update set ${updates.join(', ')}
       returning t.*
     ), status_changed as (
       insert into support_ticket_status_change (ticket_id, customer_id, status, changed_at)
       select id, customer_id, status, changed_at from (${STATUS_CHANGES}) change order by ord
     ), history_redated as (${HISTORY_REDATED}
     ), state_changed as (
       -- A change of severity or rating keeps the state it ends, dated statusChangedAt, else the
       -- resolution sent with it, else now, so scoring as of an earlier instant reads that state.
       insert into support_ticket_earlier_state (ticket_id, severity, csat_rating, ended_at)
       select b.id, b.severity, b.csat_rating,
              greatest(coalesce(:status_changed_at::timestamptz, :resolution_sent::timestamptz, now()), u.opened_at, b.last_state_ended_at)
       from previous b join upserted u on u.id = b.id
       where u.severity <> b.severity or u.csat_rating is distinct from b.csat_rating
     )
     select ${SUPPORT_TICKET_COLUMNS}, (select t.opened_at > p.opened_at from previous p) as "openedLater" from upserted t`;
}

/**
 * Creates the ticket or updates the one stored under its externalId, unless `audience` may not read
 * what the answer would show of it (FORBIDDEN, before anything is written). A change dated before the
 * stored ticket's current state is recorded in its histories instead (support-ticket-late-change.ts),
 * and the answer is the ticket as it stands.
 */
export async function recordSupportTicket(
  db: Db,
  scheduler: RescoreScheduler | null,
  input: SupportTicketInput,
  now = new Date(),
  audience?: AnswerAudience,
): Promise<SupportTicket> {
  const customerId = checkCustomerId(input.customerId);
  const statusChangedAt = input.statusChangedAt != null ? pastInstant(input.statusChangedAt, 'statusChangedAt', now) : null;
  const given = toColumns(input, now, statusChangedAt);
  const columns = audience && !audience.mayReadStored ? resolutionNotBeforeStoredOpening(given, input) : given;
  const externalId = String(columns.find((c) => c.column === 'external_id')!.value);
  const values = {
    customer_id: customerId,
    ...Object.fromEntries(columns.map((c) => [c.column, c.value])),
    status_changed_at: statusChangedAt?.toISOString() ?? null,
    resolution_sent: input.resolvedAt?.toISOString() ?? null,
  };
  // The insert reads from the customer row (and queues it for rescoring): an unknown customer writes nothing.
  return inTransaction(db, (tx) =>
    signalsArrived(tx, scheduler, async (queueRescore) => {
      // Writes of one ticket take turns: the status history compares with the ticket as it was, and
      // two concurrent writes reading the same "before" would record one change twice.
      await takeTurns(tx, `support_ticket/${customerId}/${externalId}`);
      // Before the upsert, under the ticket's lock: what the answer may show of a stored one.
      await refuseUndecidedFieldsOfStored(SUPPORT_TICKET_READBACK, input, audience, () =>
        recordStored(tx, TICKET_KEY, { customerId, key: externalId }),
      );
      if (audience && !audience.mayReadStored) await refuseOpeningComparedWithStored(tx, customerId, externalId, input);
      await checkResolutionOfSolved(tx, customerId, externalId, input);
      const change = ticketChange(input, statusChangedAt);
      const late = change && (await placeLateTicket(tx, customerId, externalId, change));
      if (late) {
        // Its answer shows the ticket as it stands, which the change did not decide.
        checkAnswerOfStoredRecord(LATE_TICKET_READBACK, input, audience);
        return recordLateTicket(tx, late, queueRescore, SUPPORT_TICKET_COLUMNS);
      }
      const row = await answeringCheckAsInput(
        () => queryOne<SupportTicket & { openedLater: boolean | null }>(tx, upsertTicketSql(columns, queueRescore), values),
        resolvedAfterOpened(input),
      );
      if (!row) throw new NotFoundError(`customer ${customerId} does not exist`, { customerId });
      const { openedLater, ...ticket } = row;
      // An opening corrected later may move later the start of a customer without a sign-up date
      // (customer-start.ts): what was scored before that start goes.
      if (openedLater) await forgetScoresBeforeStart(tx, [customerId]);
      return ticket;
    }),
  );
}

/** `Customer.supportTickets`, newest opened first: one statement per page of customers (plus one for totalCount). */
export function loadCustomerSupportTickets(
  db: Db,
  loaders: LoaderRegistry,
  customerId: string,
  args: CustomerSupportTicketsArgs,
): Promise<ConnectionResult<SupportTicket>> {
  const where = args.status ? ['t.status = ?'] : [];
  const params = args.status ? [args.status] : [];
  return loadChildPage<SupportTicket>(db, loaders, customerId, {
    name: 'Customer.supportTickets',
    select: SUPPORT_TICKET_COLUMNS,
    from: 'support_ticket t',
    parentColumn: 't.customer_id',
    where,
    params,
    sortKeys: byTimeThenId('t', 'opened_at'),
    direction: 'desc',
    first: args.first,
    after: args.after,
  });
}
