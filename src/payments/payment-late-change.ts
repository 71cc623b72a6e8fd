// A payment change dated before the payment's current state (a failure whose webhook arrives after the
// payment that settled it) is an earlier state that arrived late: it is recorded in the payment's
// history (payment_earlier_state) at its own date, and the payment keeps its current state.
import { EndedState, sameInstant, withLateState } from '../ingest/late-state';
import { Db, query, queryOne } from '../infra/sql';
import type { QueueRescore } from '../scoring/rescore-queue';
import { Payment, PaymentStatus } from './payment.types';

/** What scoring reads of a payment as of an instant (payment_earlier_state). */
interface PaymentState {
  status: PaymentStatus;
  dueAt: Date | null;
  paidAt: Date | null;
  occurredAt: Date;
}

/** A change of a stored payment, validated: a date left out (undefined) keeps the one of the state it changes. */
export interface PaymentChange {
  status: PaymentStatus;
  dueAt?: Date | null;
  paidAt?: Date | null;
  occurredAt?: Date;
}

/** A late change placed in its payment's history: the history to record, null when it already holds the change. */
export interface LatePayment {
  paymentId: string;
  history: EndedState<PaymentState>[] | null;
}

/** When a change took effect, if it says: at the paidAt it brings for a payment made, else its occurredAt. */
export function changeDate(change: PaymentChange): Date | null {
  if (change.status === PaymentStatus.PAID && change.paidAt != null) return change.paidAt;
  return change.occurredAt ?? null;
}

/**
 * The paid date of the state a late change brings, as the payment service writes one: none once it
 * failed; a payment made without a date keeps the one it had, else was paid when the change took effect.
 */
function paidAtAfter(change: PaymentChange, held: PaymentState, at: Date): Date | null {
  if (change.status === PaymentStatus.FAILED) return null;
  if (change.status === PaymentStatus.PAID) return change.paidAt ?? held.paidAt ?? at;
  return change.paidAt !== undefined ? change.paidAt : held.paidAt;
}

/** The date of a payment's state: its payment for one made, else its attempt. */
function stateDate(state: PaymentState): Date {
  return state.status === PaymentStatus.PAID && state.paidAt !== null ? state.paidAt : state.occurredAt;
}

function sameState(a: PaymentState, b: PaymentState): boolean {
  return (
    a.status === b.status && sameInstant(a.dueAt, b.dueAt) && sameInstant(a.paidAt, b.paidAt) && sameInstant(a.occurredAt, b.occurredAt)
  );
}

interface StoredState {
  status: PaymentStatus;
  due_at: string | null;
  paid_at: string | null;
  occurred_at: string;
}

const toState = (row: StoredState): PaymentState => ({
  status: row.status,
  dueAt: row.due_at === null ? null : new Date(row.due_at),
  paidAt: row.paid_at === null ? null : new Date(row.paid_at),
  occurredAt: new Date(row.occurred_at),
});

/**
 * The change placed in the history of the payment stored under (customer, externalId) when it is dated
 * before the payment's current state took effect (its own date, or the end of its latest earlier
 * state when later); null when it is not (no date, dated at or after it, or no payment stored): the
 * caller records it as the payment's new state. Run under the payment's turn (takeTurns).
 */
export async function placeLatePayment(tx: Db, customerId: string, externalId: string, change: PaymentChange): Promise<LatePayment | null> {
  const at = changeDate(change);
  if (at === null) return null;
  const stored = await queryOne<StoredState & { id: string; history: Array<StoredState & { ended_at: string }> }>(
    tx,
    `select p.id::text as id, p.status, p.due_at, p.paid_at, p.occurred_at,
            coalesce((select json_agg(json_build_object('status', e.status, 'due_at', e.due_at, 'paid_at', e.paid_at,
                                                        'occurred_at', e.occurred_at, 'ended_at', e.ended_at) order by e.ended_at, e.id)
                      from payment_earlier_state e where e.payment_id = p.id), '[]') as history
     from payment p where p.customer_id = ? and p.external_id = ?`,
    [customerId, externalId],
  );
  if (!stored) return null;
  const history = stored.history.map((row) => ({ state: toState(row), endedAt: new Date(row.ended_at) }));
  const current = toState(stored);
  const lastEnded = history.at(-1)?.endedAt.getTime() ?? Number.NEGATIVE_INFINITY;
  const since = new Date(Math.max(stateDate(current).getTime(), lastEnded));
  if (at.getTime() >= since.getTime()) return null;
  const late = {
    at,
    from: (held: PaymentState): PaymentState => ({
      status: change.status,
      dueAt: change.dueAt !== undefined ? change.dueAt : held.dueAt,
      paidAt: paidAtAfter(change, held, at),
      occurredAt: change.occurredAt ?? held.occurredAt,
    }),
  };
  return { paymentId: stored.id, history: withLateState(history, { state: current, since }, late, sameState) };
}

/**
 * Records the history of a late change (the payment's earlier states, rewritten in the order scoring
 * reads them) and queues its customer for rescoring; returns the payment as it stands, unchanged.
 */
export async function recordLatePayment(tx: Db, late: LatePayment, queueRescore: QueueRescore, columns: string): Promise<Payment> {
  const history = late.history?.map((entry, ord) => ({
    ord,
    status: entry.state.status,
    due_at: entry.state.dueAt,
    paid_at: entry.state.paidAt,
    occurred_at: entry.state.occurredAt,
    ended_at: entry.endedAt,
  }));
  const rewrite = history
    ? `, removed as (
       delete from payment_earlier_state where payment_id = ?
     ), recorded as (
       insert into payment_earlier_state (payment_id, customer_id, status, due_at, paid_at, occurred_at, ended_at)
       select p.id, p.customer_id, s.status, s.due_at, s.paid_at, s.occurred_at, s.ended_at
       from payment p cross join jsonb_to_recordset(?::jsonb)
         as s(ord int, status text, due_at timestamptz, paid_at timestamptz, occurred_at timestamptz, ended_at timestamptz)
       where p.id = ? order by s.ord
     )`
    : '';
  const [row] = await query<Payment>(
    tx,
    `with marked as (
       ${queueRescore('select customer_id from payment where id = ?')}
     )${rewrite}
     select ${columns} from payment p where p.id = ?`,
    [late.paymentId, ...(history ? [late.paymentId, JSON.stringify(history), late.paymentId] : []), late.paymentId],
  );
  return row;
}
