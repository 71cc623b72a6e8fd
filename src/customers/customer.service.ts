// Customer reads and writes. Customers are few (thousands) but read on every dashboard page,
// so lookups go through a DataLoader and lists use keyset pagination on indexed sort keys.
import { ForbiddenError } from '../auth/auth.errors';
import type { ScopedArgument } from '../auth/operation-scopes';
import { Scope } from '../auth/scopes';
import { ColumnMap, selectColumns } from '../infra/columns';
import { answeringCheckAsInput, InvalidInputError, NotFoundError, ensure } from '../infra/errors';
import {
  optionalEmailAddress,
  checkStrings,
  checkTextValue,
  longerThan,
  MAX_ID_LENGTH,
  MAX_LABEL_LENGTH,
  labelFilter,
  optionalLabel,
  optionalText as checkedText,
  pastInstant,
  requiredLabel,
} from '../infra/input';
import { isIndexEntryTooLarge } from '../infra/index-limits';
import { LoaderRegistry } from '../infra/loaders';
import { ConnectionResult, KeysetLeg, SortKey, keysetPage, mergedKeysetPage } from '../infra/pagination';
import { Db, inTransaction, json, query, queryOne, takeTurns } from '../infra/sql';
import { forgetScoresBeforeStart } from '../scoring/history-links';
import { RescoreScheduler, signalsArrived } from '../scoring/rescore-queue';
import type { AnswerAudience } from '../ingest/stored-record-readback';
import { checkModelKeys } from '../scoring/scoring-model.service';
import { LifecycleStage } from '../scoring/scoring.enums';
import { CUSTOMER_KEY_PATTERN, customerKeySql } from './customer-key';
import type { Customer, CustomerInput, CustomersArgs } from './customer.types';
import { CustomerOrder, MAX_CHURN_REASON_LENGTH } from './customer.types';

/** SQL over a customer row `c`: not cancelled (no churn label, or one still ahead). */
export const STILL_A_CUSTOMER = '(c.churned_at is null or c.churned_at > now())';

/**
 * SQL over a customer row `c`: its lifecycle stage as of now. A churn date given ahead is staged
 * CHURNED by the scoring round after it comes; until then the stored stage is the one before, which
 * no reader takes: the stage, its filter and every list read CHURNED from the moment the date passes.
 */
export const LIFECYCLE_STAGE_SQL = `(case when not ${STILL_A_CUSTOMER} then 'CHURNED' else c.lifecycle_stage end)`;

/** The customer row, by GraphQL field. */
const CUSTOMER_COLUMN_MAP: ColumnMap = {
  id: 'c.id',
  name: 'c.name',
  plan: 'c.plan',
  arrCents: 'c.arr_cents::float8',
  seats: 'c.seats',
  signedUpAt: 'c.signed_up_at',
  csmOwner: 'c.csm_owner',
  communicationOptOut: 'c.communication_opt_out',
  contactEmail: 'c.contact_email',
  churnedAt: 'c.churned_at',
  // A reason is the reason of a churn (checkReasonOfChurn): one stored on an account without a churn
  // date, as writes took before that rule, is kept but reads as none, here for every reader.
  churnReason: 'case when c.churned_at is not null then c.churn_reason end',
  healthScore: 'c.health_score',
  engagementScore: 'c.engagement_score',
  tier: 'c.tier',
  trend: 'c.trend',
  lifecycleStage: LIFECYCLE_STAGE_SQL,
  lastActivityAt: 'c.last_activity_at',
  nps: 'c.nps',
  scoredAt: 'c.scored_at',
  createdAt: 'c.created_at',
  updatedAt: 'c.updated_at',
};

export const CUSTOMER_COLUMNS = selectColumns(CUSTOMER_COLUMN_MAP);

export { MAX_ID_LENGTH };
/** A plan name or a CSM owner. */
export const MAX_PLAN_LENGTH = 200;
/** `customers(search:)`: the longest id or name it looks for. */
const MAX_SEARCH_LENGTH = 200;

/** Validates a customer id argument: non-empty, trimmed, bounded, no NUL. */
export function checkCustomerId(id: string | null | undefined, argument = 'customerId'): string {
  const trimmed = (id ?? '').trim();
  ensure(trimmed.length > 0, `${argument} must not be empty`, { argument });
  checkTextValue(trimmed, argument, MAX_ID_LENGTH);
  return trimmed;
}

/** The dates of a customer describe the past: from 1970 up to a day after now. */
const PAST_DATES = ['signedUpAt', 'churnedAt', 'planChangedAt'] as const;

export function validateCustomerInput(input: CustomerInput, now = new Date()): void {
  // Labels a list, a CSV cell and an alert show: one line of visible text each.
  requiredLabel(input.id, 'id', MAX_ID_LENGTH);
  // Left out, the stored name stays (writeCustomerChecked asks for one to create the account).
  if (input.name !== undefined) requiredLabel(input.name, 'name', MAX_LABEL_LENGTH);
  optionalLabel(input.plan, 'plan', MAX_PLAN_LENGTH);
  optionalLabel(input.csmOwner, 'csmOwner', MAX_PLAN_LENGTH);
  checkedText(input.churnReason, 'churnReason', MAX_CHURN_REASON_LENGTH);
  optionalEmailAddress(input.contactEmail, 'contactEmail');
  ensure(input.arrCents !== null, 'arrCents must be a number when given (0 for none)', { argument: 'arrCents' });
  ensure(input.arrCents == null || input.arrCents >= 0, 'arrCents must be ≥ 0', { argument: 'arrCents' });
  ensure(input.seats == null || input.seats >= 0, 'seats must be ≥ 0', { argument: 'seats' });
  ensure(input.communicationOptOut !== null, 'communicationOptOut must be true or false when given', { argument: 'communicationOptOut' });
  for (const field of PAST_DATES) {
    const value = input[field];
    if (value != null) pastInstant(value, field, now);
  }
  ensure(
    input.signedUpAt == null || input.churnedAt == null || input.churnedAt.getTime() >= input.signedUpAt.getTime(),
    'churnedAt must not be before signedUpAt',
    { argument: 'churnedAt' },
  );
  ensure(
    input.churnedAt !== null || optionalText(input.churnReason) === null,
    'churnReason is the reason of a churn, and churnedAt: null undoes the churn (and clears its reason): leave churnReason out',
    { argument: 'churnReason' },
  );
  if (input.correctsLastPlanChange) {
    ensure(input.arrCents !== undefined || input.seats !== undefined, 'correctsLastPlanChange needs the corrected arrCents or seats', {
      argument: 'correctsLastPlanChange',
    });
    const dated = 'a correction (correctsLastPlanChange) is dated the change it corrects: send no planChangedAt with it';
    ensure(input.planChangedAt == null, dated, { argument: 'planChangedAt' });
  }
  // Last: a field checked above is refused naming its own limit; this holds the rest (checkStrings).
  checkStrings(input, '');
}

/**
 * The stored dates are checked too (`customer_churned_after_signup`): a churn given in one call and a
 * later sign-up in another are refused, naming the date this call sent.
 */
function churnAfterSignup(input: { churnedAt?: Date | null }) {
  return {
    constraint: 'customer_churned_after_signup',
    message: 'churnedAt must not be before signedUpAt (as stored, or as given)',
    argument: input.churnedAt != null ? 'churnedAt' : 'signedUpAt',
  };
}

/**
 * SQL over a customer row `c`: an account still to keep, neither cancelled nor CHURNED by a silence
 * past the churn window. The lost ones keep a tier but are in none of the book's (healthSummary's
 * tiers and averages, `customers(tier:)`, `healthScores` narrowed by tier or score), as the worklist leaves them out
 * and ARR_AT_RISK_DESC sorts them below every account still to keep.
 */
export const STILL_TO_KEEP = `(${STILL_A_CUSTOMER} and c.lifecycle_stage is distinct from 'CHURNED')`;

/** Optional text as stored: trimmed, and null when empty. */
function optionalText(value: string | null | undefined): string | null {
  const trimmed = value?.trim() ?? '';
  return trimmed.length > 0 ? trimmed : null;
}

/** The input fields stored as columns (beside id and name), with the value each stores. */
const FIELDS: Array<[keyof CustomerInput, string, (input: CustomerInput) => unknown]> = [
  // A blank plan or owner (an empty cell of an export) is none, not a plan or a CSM of its own.
  ['plan', 'plan', (input) => optionalLabel(input.plan, 'plan', MAX_PLAN_LENGTH)],
  ['arrCents', 'arr_cents', (input) => input.arrCents ?? null],
  ['seats', 'seats', (input) => input.seats ?? null],
  ['signedUpAt', 'signed_up_at', (input) => input.signedUpAt ?? null],
  ['csmOwner', 'csm_owner', (input) => optionalLabel(input.csmOwner, 'csmOwner', MAX_PLAN_LENGTH)],
  ['churnedAt', 'churned_at', (input) => input.churnedAt ?? null],
  ['churnReason', 'churn_reason', (input) => optionalText(input.churnReason)],
  ['communicationOptOut', 'communication_opt_out', (input) => input.communicationOptOut ?? null],
  ['contactEmail', 'contact_email', (input) => optionalEmailAddress(input.contactEmail, 'contactEmail') ?? null],
];

/** A segment of the book: a CSM owner's accounts, a plan's, or both (each indexed on customer with the id). */
export interface CustomerSegment {
  csmOwner?: string | null;
  plan?: string | null;
}

/** The customer columns a segment filters on, with the label each must hold (blank ones left out: see labelFilter). */
function segmentLabels(segment: CustomerSegment): Array<[column: string, label: string]> {
  const labels: Array<[string, string]> = [];
  for (const [column, value] of [
    ['csm_owner', segment.csmOwner],
    ['plan', segment.plan],
  ] as const) {
    const label = labelFilter(value);
    if (label != null) labels.push([column, label]);
  }
  return labels;
}

/** Narrows a list of records that carry a customer id (in `customerIdColumn`) to one segment of the book. */
export function addCustomerSegment(where: string[], params: unknown[], customerIdColumn: string, segment: CustomerSegment): void {
  for (const [column, label] of segmentLabels(segment)) {
    where.push(`${customerIdColumn} in (select id from customer where ${column} = ?)`);
    params.push(label);
  }
}

/** Narrows a list of customers (rows `c`) to one segment of the book. */
export function addSegmentFilter(where: string[], params: unknown[], segment: CustomerSegment): void {
  for (const [column, label] of segmentLabels(segment)) {
    where.push(`c.${column} = ?`);
    params.push(label);
  }
}

/** The customer's GraphQL fields, as `upserted` below returns them. */
const CUSTOMER_FIELD_LIST = Object.keys(CUSTOMER_COLUMN_MAP)
  .map((field) => `"${field}"`)
  .join(', ');

/**
 * Inserts or updates a customer; fields left out of the input keep their stored value. A sign-up
 * date also removes, in the same transaction, whatever was scored before it (`forgetScoresBeforeStart`):
 * no score exists before a customer signed up, including when its sign-up date moves later.
 */
export async function upsertCustomer(
  db: Db,
  scheduler: RescoreScheduler | null,
  input: CustomerInput,
  sender: UpsertSender,
): Promise<Customer> {
  validateCustomerInput(input);
  return answeringIndexLimitAsName(() => writeCustomerChecked(db, scheduler, input, sender));
}

/**
 * Who sends an upsert. A key without `read` may not learn a stored customer's values from whether its
 * write is taken (README, "Scopes"): a value a rule would compare with what is stored is refused
 * FORBIDDEN, or taken, whatever is stored, unless it is the stored value sent again (which compares
 * nothing); no refusal it gets names a stored value.
 */
export type UpsertSender = Pick<AnswerAudience, 'mayReadStored'>;

/**
 * The name is indexed beside the id (`NAME_ASC`): PostgreSQL refuses an entry of both that is too
 * large and does not compress (see infra/index-limits), which is the caller's input, not a failure.
 */
async function answeringIndexLimitAsName<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isIndexEntryTooLarge(error)) throw error;
    throw new InvalidInputError(
      'name is too large beside this id for the database to index it (a character outside the BMP, such as an emoji, takes 4 bytes): shorten one',
      { argument: 'name' },
    );
  }
}

function writeCustomerChecked(db: Db, scheduler: RescoreScheduler | null, input: CustomerInput, sender: UpsertSender): Promise<Customer> {
  return answeringCheckAsInput(
    () =>
      inTransaction(db, async (tx) => {
        // Writes of one customer take turns: the plan history compares with the customer as it was,
        // and two concurrent writes reading the same "before" would record a change twice or miss one.
        await takeTurns(tx, `customer/${input.id.trim()}`);
        if (input.name === undefined) await checkNamedOrStored(tx, input.id.trim());
        if (!sender.mayReadStored) await refuseSignUpHeldToStoredChurn(tx, input);
        await checkReasonOfChurn(tx, input);
        // Unread, a change is moved up to the stored sign-up and plan history instead (writeCustomer).
        if (sender.mayReadStored || input.correctsLastPlanChange) await checkPlanChangeOrder(tx, input);
        else await checkPlanChangeDateUnread(tx, input);
        const written = await writeCustomer(tx, scheduler, input, sender);
        // A sign-up date set, moved or cleared (the start is then the first signal or the creation).
        if (input.signedUpAt === undefined) return written;
        const reset = await forgetScoresBeforeStart(tx, [written.id]);
        if (reset.length === 0) return written;
        // Its current score was from before the sign-up: answered as it now stands, never scored.
        return (await queryOne<Customer>(tx, `select ${CUSTOMER_COLUMNS} from customer c where c.id = ?`, [written.id])) as Customer;
      }),
    churnAfterSignup(input),
  );
}

/** An upsert without a name updates a stored account: it cannot create one (BAD_USER_INPUT naming `name`). */
async function checkNamedOrStored(tx: Db, id: string): Promise<void> {
  const stored = await queryOne<{ id: string }>(tx, 'select id from customer where id = ?', [id]);
  ensure(stored !== undefined, `name is required to create customer ${id}: no customer has this id yet`, { argument: 'name' });
}

/**
 * A churn reason says why an account churned: sent without `churnedAt`, it needs the churn date the
 * account has (BAD_USER_INPUT naming `churnReason` otherwise), or the export would show a reason for
 * an account that never left. Clearing it (null, blank) needs nothing. Taken or refused by the stored
 * churn date, such a reason needs `read` as well (REASON_WITHOUT_CHURN_DATE).
 */
async function checkReasonOfChurn(tx: Db, input: CustomerInput): Promise<void> {
  if (input.churnedAt !== undefined || optionalText(input.churnReason) === null) return;
  const id = input.id.trim();
  const stored = await queryOne<{ churnedAt: Date | null }>(tx, 'select churned_at as "churnedAt" from customer where id = ?', [id]);
  ensure(stored?.churnedAt != null, `churnReason is the reason of a churn, and customer ${id} has no churnedAt: send churnedAt with it`, {
    argument: 'churnReason',
  });
}

/**
 * The scope check of a reason sent without `churnedAt`, before the operation runs: whether checkReasonOfChurn
 * takes it tells whether the account churned, the churn label an ingest-only key may not read, so such a
 * key sends `churnedAt` with the reason (FORBIDDEN otherwise, whatever is stored).
 */
export const REASON_WITHOUT_CHURN_DATE: ScopedArgument = {
  path: ['input', 'churnReason'],
  scopes: [Scope.READ],
  action: 'customer.churnReason',
  when: (argument) => {
    const reason = argument(['input', 'churnReason']);
    return argument(['input', 'churnedAt']) === undefined && typeof reason === 'string' && optionalText(reason) !== null;
  },
  reason:
    "sent without churnedAt, a reason is taken or refused by the account's stored churn date, which an ingest-only key may not " +
    'read: send churnedAt with it',
};

/**
 * A sign-up date sent without `churnedAt` for a stored customer is held to its stored churn date, the
 * churn label (`customer_churned_after_signup`), which a key without `read` may not learn from the
 * answer: it is taken when it is the stored sign-up (a sync sending the record again: nothing changes,
 * nothing is compared), and FORBIDDEN otherwise, whatever the churn date; sent with `churnedAt` (or a
 * null), the input shows the order itself. The refusal does not just say to send `churnedAt`: a key
 * that cannot read it could send only null, which clears a stored churn date and its reason. A churn
 * date sent alone is taken: it is held to the stored
 * sign-up, and its refusal names neither date (churnAfterSignup), though it lets such a key narrow the
 * sign-up down (README, "Scopes"), which is why a sign-up that is not the stored one tells it nothing
 * more. A customer not stored yet has nothing to compare with, and whether one is stored is no secret
 * to such a key (its events are refused NOT_FOUND without one).
 */
async function refuseSignUpHeldToStoredChurn(tx: Db, input: CustomerInput): Promise<void> {
  if (input.signedUpAt == null || input.churnedAt !== undefined) return;
  const stored = await queryOne<{ resent: boolean }>(
    tx,
    'select signed_up_at is not distinct from ?::timestamptz as resent from customer where id = ?',
    [input.signedUpAt.toISOString(), input.id.trim()],
  );
  if (stored === undefined || stored.resent) return;
  throw new ForbiddenError(
    'customer.signedUpAt needs the read scope for a stored customer when sent without churnedAt and not the stored sign-up: ' +
      'it is refused or taken by the stored churnedAt, which an ingest-only key may not read: send it with the churnedAt the ' +
      'account has, if you know it (churnedAt: null records that it never churned, clearing a stored churn date and its reason), ' +
      'or correct it with a key that has read',
    { requiredScopes: [Scope.READ], fields: ['signedUpAt'] },
  );
}

/**
 * A dated plan change (`planChangedAt` with `arrCents` or `seats`) from a key without `read`. The order
 * checkPlanChangeOrder holds it to is the stored sign-up and plan history, and whether it records
 * anything tells the stored plan: neither may such a key learn from the answer, nor from a refusal
 * that compares its date with them, which a few sends would narrow down. So of a stored customer it is
 * taken whatever its date, which writeCustomer moves up to the sign-up: dated the plan in effect (the
 * latest entry of the history, the first plan's included) or after it, a plan that differs is the
 * plan from then on (at that entry's instant it corrects it, as any change at its instant does); dated
 * before it, it is a late change (latePlanChangeSql), recorded at its date and leaving the plan in
 * effect. The plan in effect sent again records nothing, whatever its date, so a record sent again
 * records nothing, whatever date its plan was first recorded at (a first plan dated the sign-up, as
 * customers created before it was dated `planChangedAt` have it, or created by another key). Only a
 * date before the `signedUpAt` sent with it is refused: the input
 * shows that order itself. A customer not stored yet is held to the input's own dates only.
 */
async function checkPlanChangeDateUnread(tx: Db, input: CustomerInput): Promise<void> {
  if (input.planChangedAt == null || (input.arrCents === undefined && input.seats === undefined)) return;
  const stored = await queryOne<{ id: string }>(tx, 'select id from customer where id = ?', [input.id.trim()]);
  if (stored === undefined) return checkPlanChangeOrder(tx, input);
  ensure(
    !input.signedUpAt || input.planChangedAt >= input.signedUpAt,
    `planChangedAt must not be before the signedUpAt sent with it (${input.signedUpAt?.toISOString()})`,
    { argument: 'planChangedAt' },
  );
}

/**
 * A plan change takes effect after the ones already recorded and after the sign-up: the history is
 * read in time order, and its latest entry must be the plan the customer has, or the contraction
 * signal reads an older plan as the current one. That holds for a change dated by `planChangedAt`
 * and for one that takes effect now (no `planChangedAt`), which a change or sign-up recorded ahead
 * of now (a clock ahead of ours) would otherwise follow.
 */
async function checkPlanChangeOrder(tx: Db, input: CustomerInput): Promise<void> {
  if (input.arrCents === undefined && input.seats === undefined) return;
  // "Now" is the database's clock, which dates the changes the upsert records without planChangedAt.
  const [stored] = await query<{
    lastChangeAt: Date | null;
    signedUpAt: Date | null;
    arrCents: string | null;
    seats: number | null;
    now: Date;
    known: boolean;
  }>(
    tx,
    `select (select max(p.changed_at) from customer_plan_change p where p.customer_id = c.id) as "lastChangeAt",
            c.signed_up_at as "signedUpAt", c.arr_cents::text as "arrCents", c.seats, n.now, c.id is not null as known
     from (select statement_timestamp() as now) n left join customer c on c.id = ?`,
    [input.id.trim()],
  );
  const { known } = stored;
  if (input.correctsLastPlanChange) {
    // Dated the instant of the change it corrects (writeCustomer), so it keeps the history's order.
    ensure(
      known && stored.lastChangeAt !== null,
      `customer ${input.id.trim()} has no recorded plan change to correct (correctsLastPlanChange): create it with its plan`,
      { argument: 'correctsLastPlanChange' },
    );
    return;
  }
  const arrChanges = input.arrCents !== undefined && String(input.arrCents) !== stored.arrCents;
  const seatsChange = input.seats !== undefined && (input.seats ?? null) !== stored.seats;
  // The plan the customer already has, sent again, records nothing: there is nothing to order.
  if (known && !arrChanges && !seatsChange) return;
  const dated = input.planChangedAt != null;
  // A new customer's first plan dates from its sign-up: only a dated change of it is checked.
  if (!known && !dated) return;
  const at = (input.planChangedAt ?? new Date(stored.now)).getTime();
  const when = dated ? 'planChangedAt' : 'this change of arrCents or seats, taking effect now (no planChangedAt),';
  const argument = dated ? 'planChangedAt' : arrChanges ? 'arrCents' : 'seats';
  // The sign-up is checked first: it dates the first row of the plan history, so a change before it
  // is also before the last recorded change, and would otherwise be told so with the sign-up's date.
  const signedUpAt = input.signedUpAt ?? (stored.signedUpAt ? new Date(stored.signedUpAt) : null);
  ensure(!signedUpAt || at >= signedUpAt.getTime(), `${when} must not be before signedUpAt (${signedUpAt?.toISOString()})`, {
    argument,
  });
  const lastChangeAt = stored.lastChangeAt ? new Date(stored.lastChangeAt) : null;
  ensure(
    !lastChangeAt || at >= lastChangeAt.getTime(),
    `${when} must not be before the last recorded plan change (${lastChangeAt?.toISOString()}): record changes in the order they took effect`,
    { argument },
  );
}

/**
 * The lifecycle stage a churn date given to `upsertCustomer` settles at once, before the rescoring it
 * queues: a cancellation in the past is CHURNED (in the answer, the lists and their filters); one
 * lifted, or moved ahead, leaves an account CHURNED by its date with no stage until that rescoring
 * stages it (a stage CHURNED by silence is the rescoring's to change too). As SQL for the insert (the
 * churn date a parameter) and for the update.
 */
const CHURN_STAGE = {
  insert: `case when ?::timestamptz <= statement_timestamp() then 'CHURNED' end`,
  update: `lifecycle_stage = coalesce(excluded.lifecycle_stage, case when c.churned_at <= statement_timestamp() then null else c.lifecycle_stage end)`,
};

/** The customer's columns that hold its plan, the latest entry of its plan history. */
const PLAN_COLUMNS = new Set(['arr_cents', 'seats']);

/**
 * The `late_plan` of writeCustomer's statement: a dated plan change from a sender without `read`
 * whose date, moved up to the stored sign-up, is before the plan in effect (the latest entry of the
 * plan history), as a pipeline's late message is. It is the plan from that date on, not the plan in
 * effect: it is recorded at that date (just after an entry already there), between the entries
 * around it, and the customer keeps the
 * plan of the latest entry, so a stale plan never replaces a change recorded after it (a contraction).
 * A date before the sign-up goes just after the entry in effect at the sign-up, which so stays on
 * record (at its instant it would read as never in effect). Its fields left out are the plan's in
 * effect at that date. It records nothing when the fields sent are the plan in effect (the plan the
 * customer has, sent again, whatever its date) or the plan in effect at that date (the same message
 * sent again): `records`. No row when there is no such change.
 */
function latePlanChangeSql(input: CustomerInput, sender: UpsertSender): { sql: string; bindings: unknown[] } {
  const sentArr = input.arrCents !== undefined;
  const sentSeats = input.seats !== undefined;
  if (sender.mayReadStored || input.planChangedAt == null || (!sentArr && !sentSeats))
    return {
      sql: 'select null::timestamptz as at, null::bigint as arr_cents, null::integer as seats, false as records where false',
      bindings: [],
    };
  // A sign-up sent with it is never after it (checkPlanChangeDateUnread).
  const at =
    input.signedUpAt !== undefined
      ? 'g.at'
      : `case when p.signed_up_at is null or g.at >= p.signed_up_at then g.at
              else greatest(p.signed_up_at, (select max(x.changed_at) from customer_plan_change x
                                             where x.customer_id = p.id and x.changed_at <= p.signed_up_at) + interval '1 microsecond') end`;
  const sentDiffers = [
    ...(sentArr ? ['g.arr_cents is distinct from p.arr_cents'] : []),
    ...(sentSeats ? ['g.seats is distinct from p.seats'] : []),
  ].join(' or ');
  return {
    sql: `select t.at, m.arr_cents, m.seats,
              (${sentDiffers}) and (e.found is null or m.arr_cents is distinct from e.arr_cents or m.seats is distinct from e.seats) as records
       from previous p
       cross join (select ?::timestamptz as at, ?::bigint as arr_cents, ?::integer as seats) g
       cross join lateral (select ${at} as at) r
       -- Just after an entry already at that instant: at it, it would mark that entry (another
       -- key's, often dated the same whole day) as never in effect. The same message sent again
       -- then finds itself there, in effect, and records nothing.
       cross join lateral (
         select case when exists (select 1 from customer_plan_change x where x.customer_id = p.id and x.changed_at = r.at)
                     then r.at + interval '1 microsecond' else r.at end as at
       ) t
       left join lateral (
         select true as found, x.arr_cents, x.seats from customer_plan_change x
         where x.customer_id = p.id and x.changed_at <= t.at order by x.changed_at desc, x.id desc limit 1
       ) e on true
       cross join lateral (
         select ${sentArr ? 'g.arr_cents' : 'coalesce(e.arr_cents, p.arr_cents)'} as arr_cents,
                ${sentSeats ? 'g.seats' : 'case when e.found then e.seats else p.seats end'} as seats
       ) m
       where t.at < (select max(x.changed_at) from customer_plan_change x where x.customer_id = p.id)`,
    bindings: [input.planChangedAt.toISOString(), input.arrCents ?? null, input.seats ?? null],
  };
}

/**
 * The upsert itself, in one statement. The same statement keeps the plan history
 * (`customer_plan_change`): the first plan when the customer arrives (as of `planChangedAt` when sent
 * with it, else its sign-up, else the statement's start), then each change of ARR or seats (as of
 * `planChangedAt`, moved up to the sign-up for a key without `read`, checkPlanChangeDateUnread, whose
 * change dated before the plan in effect is a late one, latePlanChangeSql; else the statement's start:
 * after the write it waited for, where the transaction's start could be before it). A correction
 * (`correctsLastPlanChange`) is dated the latest change, read in the same statement: to the
 * microsecond, which no `planChangedAt` sent back from an answer could match, so the change it
 * corrects reads as replaced, never in effect.
 */
async function writeCustomer(db: Db, scheduler: RescoreScheduler | null, given: CustomerInput, sender: UpsertSender): Promise<Customer> {
  // A churn undone (churnedAt: null) takes its reason with it (validateCustomerInput refuses one sent with it).
  const input = given.churnedAt === null ? { ...given, churnReason: null } : given;
  const provided = FIELDS.filter(([key]) => input[key] !== undefined);
  const named = typeof input.name === 'string';
  const columns = ['id', 'name', ...provided.map(([, column]) => column)];
  const values: unknown[] = [input.id.trim(), named ? input.name?.trim() : input.id.trim(), ...provided.map(([, , value]) => value(input))];
  // Left out, the name is the stored one (checkNamedOrStored found the account), kept by the update.
  const placeholders = values.map((_, index) => (index === 1 && !named ? '(select s.name from customer s where s.id = ?)' : '?'));
  const updates = [
    ...(named ? ['name = excluded.name'] : []),
    ...provided.map(([, column]) =>
      PLAN_COLUMNS.has(column)
        ? // A late plan change (latePlanChangeSql) leaves the plan in effect as it is.
          `${column} = case when exists (select 1 from late_plan) then c.${column} else excluded.${column} end`
        : `${column} = excluded.${column}`,
    ),
    // A churn recorded on an account without one starts without a reason unless one is sent: a reason
    // stored while it had no churn date (which reads as none) is no reason of this churn.
    ...(input.churnedAt != null && input.churnReason === undefined
      ? ['churn_reason = case when c.churned_at is null then null else c.churn_reason end']
      : []),
    'updated_at = now()',
  ];
  const stage = input.churnedAt !== undefined ? CHURN_STAGE : null;
  if (stage) {
    columns.push('lifecycle_stage');
    updates.push(stage.update);
  }
  // A new customer is scored soon after it arrives; an existing one is rescored only when a field
  // that scoring reads changes: its sign-up or churn date (the lifecycle stage; a later sign-up may
  // also have reset its score), or its ARR or seats (the contraction signal).
  const churnChanged = input.churnedAt !== undefined ? 'u."churnedAt" is distinct from p.churned_at' : 'false';
  const signupChanged = input.signedUpAt !== undefined ? 'u."signedUpAt" is distinct from p.signed_up_at' : 'false';
  const lastChangeAt = '(select max(x.changed_at) from customer_plan_change x where x.customer_id = u.id)';
  // A sender that may not read the stored dates is not refused by them (checkPlanChangeOrder): its
  // change, taking effect now, is dated after a sign-up or change recorded ahead of now instead.
  const changeTakesEffect = input.correctsLastPlanChange
    ? lastChangeAt
    : sender.mayReadStored
      ? 'statement_timestamp()'
      : `greatest(statement_timestamp(), u."signedUpAt", ${lastChangeAt} + interval '1 microsecond')`;
  const planChangedAt = input.planChangedAt?.toISOString() ?? null;
  // Only a plan sent dates the first one: checkPlanChangeOrder held that date to the sign-up.
  const firstPlanAt = input.arrCents !== undefined || input.seats !== undefined ? planChangedAt : null;
  // A dated change is moved up to the sign-up. Dated the plan in effect, it corrects that entry (the
  // same instant). From a sender without `read`, one before it is a late change (latePlanChangeSql);
  // checkPlanChangeOrder refuses any other sender a date before either, to the millisecond: a change
  // stored to the microsecond may still be passed, and goes just after it, as an undated change does.
  const changeAt =
    planChangedAt === null
      ? changeTakesEffect
      : `case when ${lastChangeAt} is null or ?::timestamptz >= ${lastChangeAt} then greatest(?::timestamptz, u."signedUpAt")
              else greatest(u."signedUpAt", ${lastChangeAt} + interval '1 microsecond') end`;
  const late = latePlanChangeSql(input, sender);
  const row = await signalsArrived(db, scheduler, (queueRescore) =>
    queryOne<Customer>(
      db,
      `with previous as (
       select true as found, id, signed_up_at, churned_at, arr_cents, seats from customer where id = ?
     ), late_plan as (
       ${late.sql}
     ), upserted as (
       insert into customer as c (${columns.join(', ')}) values (${[...placeholders, ...(stage ? [stage.insert] : [])].join(', ')})
       on conflict (id) do update set ${updates.join(', ')}
       returning ${CUSTOMER_COLUMNS}, c.arr_cents as stored_arr_cents
     ), plan_changed as (
       insert into customer_plan_change (customer_id, arr_cents, seats, changed_at)
       select u.id, case when l.at is null then u.stored_arr_cents else l.arr_cents end, case when l.at is null then u.seats else l.seats end,
              case when p.found is null then coalesce(?::timestamptz, u."signedUpAt", statement_timestamp())
                   when l.at is not null then l.at
                   else ${changeAt} end
       from upserted u left join previous p on true left join late_plan l on true
       where p.found is null or coalesce(l.records, false)
          or (l.at is null and (u.stored_arr_cents is distinct from p.arr_cents or u.seats is distinct from p.seats))
       returning 1
     ), marked as (
       ${queueRescore(`select u.id from upserted u left join previous p on true
                       where p.found is null or exists (select 1 from plan_changed) or ${churnChanged} or ${signupChanged}`)}
     )
     select ${CUSTOMER_FIELD_LIST} from upserted`,
      [
        input.id.trim(),
        ...late.bindings,
        ...values,
        ...(stage ? [input.churnedAt?.toISOString() ?? null] : []),
        firstPlanAt,
        ...(planChangedAt === null ? [] : [planChangedAt, planChangedAt]),
      ],
    ),
  );
  return row as Customer;
}

export async function setCommunicationOptOut(db: Db, customerId: string, optedOut: boolean): Promise<Customer> {
  const id = checkCustomerId(customerId);
  const row = await queryOne<Customer>(
    db,
    `update customer c set communication_opt_out = ?, updated_at = now() where id = ? returning ${CUSTOMER_COLUMNS}`,
    [optedOut, id],
  );
  if (!row) throw new NotFoundError(`customer ${id} does not exist`, { customerId: id });
  return row;
}

/**
 * Opts the account out unless it already is, and says whether this did (an unsubscribe link used
 * again changes nothing, so it leaves nothing to audit) and the account's name, which the page
 * shows; NotFoundError for an unknown customer.
 */
export async function optOutIfNotAlready(db: Db, customerId: string): Promise<{ changed: boolean; name: string }> {
  const id = checkCustomerId(customerId);
  const row = await queryOne<{ changed: boolean; name: string }>(
    db,
    `with changed as (
       update customer set communication_opt_out = true, updated_at = now() where id = ? and not communication_opt_out returning id
     )
     select exists (select 1 from changed) as changed, name from customer where id = ?`,
    [id, id],
  );
  if (!row) throw new NotFoundError(`customer ${id} does not exist`, { customerId: id });
  return row;
}

/**
 * The id of the one customer whose key (see customer-key) is `key`, else null. Read by hashing every
 * id: it answers a rare request (an unsubscribe link of a long id, whose signature was checked first).
 */
export async function customerIdByKey(db: Db, key: string): Promise<string | null> {
  const rows = await query<{ id: string }>(db, `select id from customer where ${customerKeySql('id')} = ? limit 2`, [key]);
  return rows.length === 1 ? rows[0].id : null;
}

/** Loads customers by id through the request's DataLoader (null for unknown ids). */
export function loadCustomer(db: Db, loaders: LoaderRegistry, id: string): Promise<Customer | null> {
  return loaders
    .get<string, Customer | null>('customer', async (ids) => {
      const rows = await query<Customer>(
        db,
        `select ${CUSTOMER_COLUMNS} from customer c where c.id in (select jsonb_array_elements_text(?::jsonb))`,
        [json(ids)],
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((key) => byId.get(key) ?? null);
    })
    .load(id);
}

/** The customer `customerId`; a refusal names `argument`, the argument that carried the id. */
export async function getCustomer(db: Db, loaders: LoaderRegistry, customerId: string, argument = 'customerId'): Promise<Customer> {
  const id = checkCustomerId(customerId, argument);
  const customer = await loadCustomer(db, loaders, id);
  if (!customer) throw new NotFoundError(`customer ${id} does not exist`, { customerId: id });
  return customer;
}

/**
 * A list filtered by a customer that does not exist answers NOT_FOUND, as the customer's own score
 * and history do, rather than an empty page that reads like a customer without activity.
 */
export async function checkCustomerFilter(db: Db, loaders: LoaderRegistry, customerId: string | null | undefined): Promise<void> {
  if (customerId != null) await getCustomer(db, loaders, customerId);
}

/**
 * Last activity, an account never used before any use: 1900, before any event (those are dated from
 * 1970), and a date a cursor writes and reads back in any session time zone (`-infinity` is no date,
 * and year 1 is BC west of Greenwich); the index `customer_last_activity_idx` holds the same expression.
 */
const LAST_ACTIVITY_KEYS: SortKey[] = [
  { expression: `coalesce(c.last_activity_at, '1900-01-01 00:00:00+00'::timestamptz)`, type: 'timestamptz' },
  { expression: 'c.id', type: 'text' },
];

/** ARR × (100 − score) of a customer row `c`, in cents. */
const ARR_AT_RISK_SQL = 'c.arr_cents * (100 - coalesce(c.health_score, 100))';

/**
 * ARR_AT_RISK_DESC read through indexes: its first key compares the churn date with now, which no
 * index can hold. On the rows whose stage is read as stored it is the stored stage's key
 * (`customer_arr_at_risk_idx`); the others, cancelled by now but not staged CHURNED yet (by the scoring
 * round after the date), are few and all CHURNED (`customer_churn_unstaged_idx`).
 */
/**
 * ARR at risk by the stored stage, as `customer_arr_at_risk_idx` holds it: the key of a list that holds
 * no account cancelled by now (the worklist), where it equals ARR_AT_RISK_DESC's, and of the first leg below.
 */
export const ARR_AT_RISK_STORED_KEY: SortKey = {
  expression: `(case when c.lifecycle_stage = 'CHURNED' then -1 else ${ARR_AT_RISK_SQL} end)`,
  type: 'bigint',
};

const ARR_AT_RISK_LEGS: KeysetLeg[] = [
  {
    where: [`(${STILL_A_CUSTOMER} or c.lifecycle_stage = 'CHURNED')`],
    sortKeys: [ARR_AT_RISK_STORED_KEY, { expression: 'c.id', type: 'text' }],
  },
  {
    where: [`not ${STILL_A_CUSTOMER}`, `c.lifecycle_stage is distinct from 'CHURNED'`],
    sortKeys: [
      { expression: '-1::bigint', type: 'bigint' },
      { expression: 'c.id', type: 'text' },
    ],
  },
];

/** The orders of `customers(orderBy:)`; exported for the benchmark, which builds a deep page's cursor. */
export const CUSTOMER_ORDERINGS: Record<CustomerOrder, { sortKeys: SortKey[]; direction: 'asc' | 'desc' }> = {
  [CustomerOrder.NAME_ASC]: {
    sortKeys: [
      { expression: 'c.name collate "und-x-icu"', type: 'text' },
      { expression: 'c.id', type: 'text' },
    ],
    direction: 'asc',
  },
  [CustomerOrder.SCORE_ASC]: {
    sortKeys: [
      { expression: 'coalesce(c.health_score, -1)', type: 'int' },
      { expression: 'c.id', type: 'text' },
    ],
    direction: 'asc',
  },
  [CustomerOrder.SCORE_DESC]: {
    sortKeys: [
      { expression: 'coalesce(c.health_score, -1)', type: 'int' },
      { expression: 'c.id', type: 'text' },
    ],
    direction: 'desc',
  },
  [CustomerOrder.ARR_DESC]: {
    sortKeys: [
      { expression: 'c.arr_cents', type: 'bigint' },
      { expression: 'c.id', type: 'text' },
    ],
    direction: 'desc',
  },
  [CustomerOrder.ARR_AT_RISK_DESC]: {
    sortKeys: [
      // A churned account (cancelled, or silent past the churn window) has lost its ARR, not put it at
      // risk: below every account still to keep, one with nothing at risk (no ARR, or a score of 100) included.
      { expression: `(case when ${LIFECYCLE_STAGE_SQL} = 'CHURNED' then -1 else ${ARR_AT_RISK_SQL} end)`, type: 'bigint' },
      { expression: 'c.id', type: 'text' },
    ],
    direction: 'desc',
  },
  [CustomerOrder.LAST_ACTIVITY_ASC]: { sortKeys: LAST_ACTIVITY_KEYS, direction: 'asc' },
  [CustomerOrder.LAST_ACTIVITY_DESC]: { sortKeys: LAST_ACTIVITY_KEYS, direction: 'desc' },
};

/**
 * SQL: the text `sql` as `customers(search:)` compares it, ignoring case and Unicode form. In capitals
 * by Unicode's full case mapping (ICU's root locale), which ILIKE's letter-by-letter lowering is not:
 * ß and SS, a final ς and σ, read alike. In one form (NFC) before and after, as capitals may take
 * apart a letter no single capital has: an é typed as one character finds a name stored as e and a
 * combining accent (as some systems export text), which displays the same.
 */
function caseAndFormFree(sql: string): string {
  return `normalize(upper(normalize(${sql}, NFC) collate "und-x-icu"), NFC)`;
}

export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/**
 * A page of customers: of their own columns the `fields` asked for (all without it) and always the
 * id, which every nested edge is loaded by; `extraColumns` are added to the select list (e.g. joined edges).
 */
export async function listCustomers(
  db: Db,
  args: CustomersArgs,
  extraColumns: readonly string[] = [],
  fields?: { has(name: string): boolean },
): Promise<ConnectionResult<Customer>> {
  const search = args.search?.trim();
  // Counted in characters, as every other text limit: an id of emoji is searched in full. Before the
  // check of every string (checkStrings), so that a longer search is refused naming its own limit.
  if (search != null && longerThan(search, MAX_SEARCH_LENGTH))
    throw new InvalidInputError(`search is longer than ${MAX_SEARCH_LENGTH} characters`, { argument: 'search', max: MAX_SEARCH_LENGTH });
  checkStrings(args, '');
  const where: string[] = [];
  const params: unknown[] = [];
  const tier = labelFilter(args.tier);
  if (tier) {
    await checkModelKeys(db, 'tiers', [tier], 'tier');
    // A lost customer is in no tier (it keeps its last one), as healthSummary counts them.
    where.push('c.tier = ?', STILL_TO_KEEP);
    params.push(tier);
  }
  addSegmentFilter(where, params, args);
  if (args.lifecycleStage) {
    // The stage as of now (LIFECYCLE_STAGE_SQL), written so that the stage's index reads it.
    where.push(
      args.lifecycleStage === LifecycleStage.CHURNED
        ? `(c.lifecycle_stage = 'CHURNED' or not ${STILL_A_CUSTOMER})`
        : `c.lifecycle_stage = ? and ${STILL_A_CUSTOMER}`,
    );
    if (args.lifecycleStage !== LifecycleStage.CHURNED) params.push(args.lifecycleStage);
  }
  if (search != null) {
    if (search) {
      const pattern = likePattern(search);
      // A key (what an unsubscribe email's subject shows for a long id) finds its account too.
      const key = CUSTOMER_KEY_PATTERN.test(search.toLowerCase()) ? search.toLowerCase() : null;
      const searched = ['c.name', 'c.id', 'c.csm_owner'].map((column) => `${caseAndFormFree(column)} like ${caseAndFormFree('?')}`);
      where.push(`(${searched.join(' or ')}${key ? ` or ${customerKeySql('c.id')} = ?` : ''})`);
      params.push(pattern, pattern, pattern, ...(key ? [key] : []));
    }
  }
  const orderBy = args.orderBy ?? CustomerOrder.NAME_ASC;
  const ordering = CUSTOMER_ORDERINGS[orderBy];
  const page = {
    select: [selectColumns(CUSTOMER_COLUMN_MAP, fields, ['id']), ...extraColumns].join(', '),
    from: 'customer c',
    where,
    params,
    sortKeys: ordering.sortKeys,
    direction: ordering.direction,
    first: args.first,
    after: args.after,
  };
  return orderBy === CustomerOrder.ARR_AT_RISK_DESC
    ? mergedKeysetPage<Customer>(db, { ...page, legs: ARR_AT_RISK_LEGS })
    : keysetPage<Customer>(db, page);
}
