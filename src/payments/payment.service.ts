// Payment ingestion and the customer's payment history. A payment with an externalId is upserted
// by (customer, externalId), so a retried webhook or a later status change (FAILED → PAID) updates
// the row instead of counting twice in the failed/total ratio; a change of its status or a date
// keeps the state it ends (payment_earlier_state), so scoring as of an earlier instant reads the payment as it was;
// a change dated before the payment's current state arrived late, and goes into that history at its
// own date instead (payment-late-change.ts); every write marks the customer for rescoring in the same statement.
import { checkCustomerId, MAX_ID_LENGTH } from '../customers/customer.service';
import { ensure, NotFoundError } from '../infra/errors';
import { checkStrings, instantBetween, pastInstant, optionalLabel } from '../infra/input';
import { LoaderRegistry, loadChildPage } from '../infra/loaders';
import { byTimeThenId } from '../infra/pagination';
import type { ConnectionResult } from '../infra/pagination';
import { Db, inTransaction, queryOne, takeTurns } from '../infra/sql';
import { RescoreScheduler, signalsArrived } from '../scoring/rescore-queue';
import {
  AnswerAudience,
  checkAnswerOfStoredRecord,
  recordStored,
  RecordKey,
  RecordKeyColumns,
  refuseUndecidedFieldsOfStored,
  StoredRecordReadback,
  storedUnderKey,
} from '../ingest/stored-record-readback';
import { PaymentChange, placeLatePayment, recordLatePayment } from './payment-late-change';
import { Payment, PaymentInput, PaymentStatus } from './payment.types';

export const PAYMENT_COLUMNS = `p.id::text as id, p.customer_id as "customerId", p.external_id as "externalId",
  p.amount_cents::float8 as "amountCents", p.currency, p.status, p.due_at as "dueAt", p.paid_at as "paidAt",
  p.occurred_at as "occurredAt"`;

const STATUSES = new Set<string>(Object.values(PaymentStatus));
/**
 * Codes of ISO 4217's list of currencies in use that the runtime's ICU data leaves out: units of
 * account and funds codes (Chile's CLF, Uruguay's UYW and UYI, Bolivia's BOV, Switzerland's CHE and
 * CHW, Colombia's COU, Mexico's MXV, USN, XUA) and Venezuela's VED.
 */
const ISO_4217_BEYOND_ICU = ['BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW', 'VED', 'XUA'];
/** The currencies in use (ISO 4217): the runtime's ICU data and the codes it lacks. `XYZ` is a typo, not money. */
const CURRENCIES = new Set<string>([...Intl.supportedValuesOf('currency'), ...ISO_4217_BEYOND_ICU]);

/** How far ahead an invoice may fall due (a multi-year contract), in calendar years. */
const MAX_DUE_AHEAD_YEARS = 10;

/** The latest an invoice may fall due: the same instant of the calendar MAX_DUE_AHEAD_YEARS years on. */
function latestDueAt(now: Date): Date {
  const latest = new Date(now.getTime());
  latest.setUTCFullYear(latest.getUTCFullYear() + MAX_DUE_AHEAD_YEARS);
  return latest;
}

/**
 * The instant a date field may hold, as ISO-8601 text: an invoice falls due from 1970 up to ten years
 * after now; a payment (or its attempt) happened, from 1970 up to a day after now.
 */
function isoDate(value: Date, argument: 'dueAt' | 'paidAt' | 'occurredAt', now: Date): string {
  if (argument === 'dueAt') return instantBetween(value, argument, latestDueAt(now)).toISOString();
  return pastInstant(value, argument, now).toISOString();
}

/** Optional date columns: omitted keeps the stored value on update, null clears it. */
const OPTIONAL_DATES: Array<['dueAt' | 'paidAt', string]> = [
  ['dueAt', 'due_at'],
  ['paidAt', 'paid_at'],
];

/** The payment as stored before the write (none for a new one), with the end of its latest earlier state. */
const PREVIOUS_STATE = `
       select x.id, x.customer_id, x.status, x.due_at, x.paid_at, x.occurred_at,
              (select max(e.ended_at) from payment_earlier_state e where e.payment_id = x.id) as last_ended_at
       from payment x where x.customer_id = ? and x.external_id = ?`;

/**
 * A change of status or of a date (another attempt, a retry that failed again; an invoice given
 * another due date) keeps the state it ends, so scoring as of an earlier instant reads that one. It ended when the change took
 * effect (parameters: paidAt, occurredAt and occurredAt as sent, or null), never before it began: its
 * own date (a payment made when it was paid, else its attempt: stateDate in payment-late-change.ts,
 * which sends a change dated earlier into the history instead) or the end of the state before it.
 */
const EARLIER_STATE = `
       insert into payment_earlier_state (payment_id, customer_id, status, due_at, paid_at, occurred_at, ended_at)
       select b.id, b.customer_id, b.status, b.due_at, b.paid_at, b.occurred_at,
              greatest(case when u.status = 'PAID' then coalesce(?::timestamptz, ?::timestamptz, now())
                            else coalesce(?::timestamptz, now()) end,
                       case when b.status = 'PAID' and b.paid_at is not null then b.paid_at else b.occurred_at end, b.last_ended_at)
       from previous b join upserted u on u.id = b.id
       where u.status <> b.status or u.occurred_at <> b.occurred_at or u.due_at is distinct from b.due_at
          or u.paid_at is distinct from b.paid_at`;

/** The payment's customer and billing id, as a write stores them; null without an externalId. */
function paymentKey(input: PaymentInput): RecordKey | null {
  const customerId = checkCustomerId(input.customerId);
  const externalId = optionalLabel(input.externalId, 'externalId', MAX_ID_LENGTH);
  return externalId === null ? null : { customerId, key: externalId };
}

/** Where a payment is kept under its customer and billing id. */
const PAYMENT_KEY: RecordKeyColumns = { table: 'payment', keyColumn: 'external_id' };

/**
 * The `paidAt` a write sends: undefined when it sends none. A payment recorded PAID always has a paid
 * date, so `paidAt: null` with PAID clears nothing: it is one left out, as `resolvedAt: null` is for a
 * ticket sent SOLVED (the paid date is then kept, or is when PAID is recorded: paidAtColumn).
 */
function paidAtSent(input: PaymentInput): Date | null | undefined {
  return input.paidAt === null && input.status === PaymentStatus.PAID ? undefined : input.paidAt;
}

/**
 * What a write of a stored payment sets from the input (stored-record-readback.ts): the amount,
 * currency and status always; a date when given (`paidAt` cleared by FAILED too, not one kept or
 * computed for PAID); `occurredAt` kept unless given.
 */
export const PAYMENT_READBACK: StoredRecordReadback<PaymentInput> = {
  record: 'a payment',
  keyField: 'externalId',
  isStored: (db, input) => storedUnderKey(db, PAYMENT_KEY, () => paymentKey(input)),
  fieldsFromInput: (input) => [
    'amountCents',
    'currency',
    'status',
    ...(input.dueAt !== undefined ? ['dueAt'] : []),
    ...(paidAtSent(input) !== undefined || input.status === PaymentStatus.FAILED ? ['paidAt'] : []),
    ...(input.occurredAt != null ? ['occurredAt'] : []),
  ],
};

/**
 * Writes of one payment take turns: its earlier state is read before the upsert, and two concurrent
 * writes reading the same one would record it twice. What the answer may show of a stored one is
 * decided then too (stored-record-readback.ts).
 */
async function takePaymentsTurn(tx: Db, key: RecordKey, input: PaymentInput, audience: AnswerAudience | undefined): Promise<void> {
  await takeTurns(tx, `payment/${key.customerId}/${key.key}`);
  await refuseUndecidedFieldsOfStored(PAYMENT_READBACK, input, audience, () => recordStored(tx, PAYMENT_KEY, key));
}

/** What a late change (payment-late-change.ts) decides of its answer: none of the payment's fields, which it leaves as they are. */
const LATE_PAYMENT_READBACK: StoredRecordReadback<PaymentInput> = { ...PAYMENT_READBACK, fieldsFromInput: () => [] };

/** The input checked (BAD_USER_INPUT otherwise), its dates as ISO-8601 text (`given`: sent, null included). */
function checkedPayment(input: PaymentInput, now: Date) {
  const customerId = checkCustomerId(input.customerId);
  const externalId = optionalLabel(input.externalId, 'externalId', MAX_ID_LENGTH);
  ensure(input.externalId == null || externalId !== null, 'externalId must not be empty when given', { argument: 'externalId' });
  ensure(Number.isSafeInteger(input.amountCents) && input.amountCents >= 0, 'amountCents must be an integer ≥ 0', {
    argument: 'amountCents',
  });
  const currency = (input.currency ?? '').trim();
  ensure(
    /^[A-Za-z]{3}$/.test(currency) && CURRENCIES.has(currency.toUpperCase()),
    'currency must be a three-letter ISO-4217 code (USD, EUR…)',
    {
      argument: 'currency',
    },
  );
  ensure(STATUSES.has(input.status), 'status must be PAID, FAILED or REFUNDED', { argument: 'status' });
  ensure(input.status !== PaymentStatus.FAILED || input.paidAt == null, 'a FAILED payment has no paidAt', { argument: 'paidAt' });
  // Every payment has an attempt: null would clear none, and reading it as "left out" would keep a stored date meant to change.
  ensure(
    input.occurredAt !== null,
    'occurredAt must be a date when given (it cannot be cleared: leave it out to keep the stored one, or now for a new payment)',
    { argument: 'occurredAt' },
  );
  const dates = OPTIONAL_DATES.map(([key, column]) => {
    const value = key === 'paidAt' ? paidAtSent(input) : input[key];
    return { column, given: value !== undefined, value: value == null ? null : isoDate(value, key, now) };
  });
  const occurredAt = isoDate(input.occurredAt ?? now, 'occurredAt', now);
  // Last: a field checked above is refused naming its own limit; this holds the rest (checkStrings).
  checkStrings(input, '');
  return { customerId, externalId, currency, dates, occurredAt };
}

/**
 * `paid_at`, for the insert and for the update (SQL over the stored row `p`, `excluded` and the
 * `previous` state). A payment that failed is not paid, whatever an earlier call said. One recorded
 * PAID without `paidAt` keeps the paid date it has, else was paid when PAID is recorded: at the
 * `occurredAt` sent with it, else now, never before the state it ends (the date EARLIER_STATE ends
 * that state at), so it never reads paid before it was. Without a status that pays it, a `paidAt`
 * left out keeps the stored one and null clears it.
 */
function paidAtColumn(input: PaymentInput, checked: Pick<ReturnType<typeof checkedPayment>, 'dates' | 'occurredAt'>) {
  const sent = checked.dates.find((d) => d.column === 'paid_at')!;
  const paidWhenRecorded = input.status === PaymentStatus.PAID && sent.value === null;
  const insert = paidWhenRecorded ? checked.occurredAt : sent.value;
  // The state it ends dates from its payment for one made, else its attempt; it may have ended later still.
  const endedState = `(select greatest(case when b.status = 'PAID' and b.paid_at is not null then b.paid_at else b.occurred_at end,
                                        b.last_ended_at) from previous b)`;
  const recordedAt = input.occurredAt != null ? 'excluded.occurred_at' : 'now()';
  const update = paidWhenRecorded
    ? `coalesce(p.paid_at, greatest(${recordedAt}, ${endedState}))`
    : sent.given
      ? 'excluded.paid_at'
      : 'p.paid_at';
  return { insert, update: `paid_at = case when excluded.status = 'FAILED' then null else ${update} end` };
}

/** The change `input` makes to a stored payment (payment-late-change.ts): its status, and the dates it sends. */
function paymentChange(input: PaymentInput, { dates, occurredAt }: ReturnType<typeof checkedPayment>): PaymentChange {
  const change: PaymentChange = { status: input.status };
  for (const date of dates) {
    if (!date.given) continue;
    const value = date.value === null ? null : new Date(date.value);
    if (date.column === 'due_at') change.dueAt = value;
    else change.paidAt = value;
  }
  if (input.occurredAt != null) change.occurredAt = new Date(occurredAt);
  return change;
}

/**
 * Records a payment; with an externalId, updates the one stored under it, unless `audience` may not
 * read what the answer would show of it (FORBIDDEN, before anything is written). A change dated
 * before the stored payment's current state is recorded in its history instead (payment-late-change.ts),
 * and the answer is the payment as it stands.
 */
export async function recordPayment(
  db: Db,
  scheduler: RescoreScheduler | null,
  input: PaymentInput,
  now = new Date(),
  audience?: AnswerAudience,
): Promise<Payment> {
  const checked = checkedPayment(input, now);
  const { customerId, externalId, currency, dates, occurredAt } = checked;
  const paidAt = paidAtColumn(input, checked);

  const updates = [
    'amount_cents = excluded.amount_cents',
    'currency = excluded.currency',
    'status = excluded.status',
    ...dates.filter((d) => d.given && d.column !== 'paid_at').map((d) => `${d.column} = excluded.${d.column}`),
    paidAt.update,
    ...(input.occurredAt != null ? ['occurred_at = excluded.occurred_at'] : []),
  ];
  // When a change took effect (EARLIER_STATE): a payment made when it was paid, any other change when
  // it happened (the occurredAt sent with it), else now.
  const paidAtGiven = input.paidAt != null ? dates.find((d) => d.column === 'paid_at')!.value : null;
  const occurredAtGiven = input.occurredAt != null ? occurredAt : null;
  const write = (tx: Db) =>
    // The insert reads from the customer row (and queues it for rescoring): an unknown customer writes nothing.
    signalsArrived(tx, scheduler, async (queueRescore) => {
      if (externalId !== null) {
        await takePaymentsTurn(tx, { customerId, key: externalId }, input, audience);
        const late = await placeLatePayment(tx, customerId, externalId, paymentChange(input, checked));
        if (late) {
          // Its answer shows the payment as it stands, which the change did not decide.
          checkAnswerOfStoredRecord(LATE_PAYMENT_READBACK, input, audience);
          return recordLatePayment(tx, late, queueRescore, PAYMENT_COLUMNS);
        }
      }
      const row = await queryOne<Payment>(
        tx,
        `with known as (
       select id from customer where id = ?
     ), previous as (${PREVIOUS_STATE}
     ), marked as (
       ${queueRescore('select id from known')}
     ), upserted as (
       insert into payment as p (customer_id, external_id, amount_cents, currency, status, due_at, paid_at, occurred_at)
       select id, ?, ?::bigint, ?, ?, ?::timestamptz, ?::timestamptz, ?::timestamptz from known
       on conflict (customer_id, external_id) where external_id is not null do update set ${updates.join(', ')}
       returning p.*
     ), earlier_state as (${EARLIER_STATE}
     )
     select ${PAYMENT_COLUMNS} from upserted p`,
        [
          customerId,
          customerId,
          externalId,
          externalId,
          input.amountCents,
          currency.toUpperCase(),
          input.status,
          ...dates.map((d) => (d.column === 'paid_at' ? paidAt.insert : d.value)),
          occurredAt,
          paidAtGiven,
          occurredAtGiven,
          occurredAtGiven,
        ],
      );
      if (!row) throw new NotFoundError(`customer ${customerId} does not exist`, { customerId });
      return row;
    });
  return externalId === null ? write(db) : inTransaction(db, write);
}

/** `Customer.payments`, newest first: one statement per page of customers (plus one for totalCount). */
export function loadCustomerPayments(
  db: Db,
  loaders: LoaderRegistry,
  customerId: string,
  page: { first?: number | null; after?: string | null },
): Promise<ConnectionResult<Payment>> {
  return loadChildPage<Payment>(db, loaders, customerId, {
    name: 'Customer.payments',
    select: PAYMENT_COLUMNS,
    from: 'payment p',
    parentColumn: 'p.customer_id',
    sortKeys: byTimeThenId('p', 'occurred_at'),
    direction: 'desc',
    first: page.first,
    after: page.after,
  });
}
