// A ticket change dated before the ticket's current state (a move to PENDING whose webhook arrives
// after the resolution that followed it) is an earlier state that arrived late: its status goes into
// the status history at its own date, its severity and rating into the ticket's earlier states until
// the next recorded change, and the ticket keeps its current state (its subject, sentiment and dates too).
import { EndedState, withLateState } from '../ingest/late-state';
import { Db, query, queryOne } from '../infra/sql';
import type { QueueRescore } from '../scoring/rescore-queue';
import { SupportTicket, SupportTicketInput, SupportTicketSeverity, SupportTicketStatus } from './support-ticket.types';

/** What support_ticket_earlier_state keeps of a ticket. */
interface SeverityState {
  severity: SupportTicketSeverity;
  csatRating: number | null;
}

/** A change of a stored ticket with a date of its own; a field left out (undefined) is the one it had then. */
export interface TicketChange {
  at: Date;
  status?: SupportTicketStatus;
  severity?: SupportTicketSeverity;
  csatRating?: number | null;
}

/** A late change placed in its ticket's histories: the status to record at `at` (null: none), the earlier states to record (null: unchanged). */
export interface LateTicket {
  ticketId: string;
  at: Date;
  status: SupportTicketStatus | null;
  history: EndedState<SeverityState>[] | null;
}

/**
 * The change `input` makes, if it says when it took effect: a resolution (sent SOLVED with resolvedAt)
 * at resolvedAt, any other at statusChangedAt; null when it does not (it takes effect now).
 */
export function ticketChange(input: SupportTicketInput, statusChangedAt: Date | null): TicketChange | null {
  const at = input.status === SupportTicketStatus.SOLVED && input.resolvedAt != null ? input.resolvedAt : statusChangedAt;
  if (at === null) return null;
  return {
    at,
    ...(input.status != null ? { status: input.status } : {}),
    ...(input.severity != null ? { severity: input.severity } : {}),
    ...(input.csatRating !== undefined ? { csatRating: input.csatRating } : {}),
  };
}

interface StoredTicket {
  id: string;
  severity: SupportTicketSeverity;
  csat_rating: number | null;
  /** The change's date, not before the ticket's opening (as every change of its history). */
  at: string;
  /** When its current state took effect: its latest status change or end of an earlier state. */
  since: string;
  /** Its latest status change. */
  status_since: string | null;
  status: SupportTicketStatus;
  status_then: SupportTicketStatus | null;
  next_change_at: string | null;
  history: Array<{ severity: SupportTicketSeverity; csat_rating: number | null; ended_at: string }>;
}

/**
 * Whether `change` is dated before the state it would end. A change of status is judged against the
 * ticket's status history alone: a rating or severity recorded later (an undated one is dated when
 * it arrives) does not make a status change that came after the last one late, which would leave the
 * history's newest status other than the ticket's. A resolution sent to a ticket already solved is a
 * correction of its date, recorded as such, not a second resolution.
 */
function isLate(change: TicketChange, stored: StoredTicket): boolean {
  if (change.status !== undefined) {
    if (change.status === SupportTicketStatus.SOLVED && stored.status === SupportTicketStatus.SOLVED) return false;
    return stored.status_since !== null && new Date(stored.at).getTime() < new Date(stored.status_since).getTime();
  }
  return new Date(stored.at).getTime() < new Date(stored.since).getTime();
}

/**
 * The change placed in the histories of the ticket stored under (customer, externalId) when it is
 * dated before the ticket's current state took effect; null when it is not (or no ticket is
 * stored): the caller records it as the ticket's new state. Run under the ticket's turn (takeTurns).
 */
export async function placeLateTicket(tx: Db, customerId: string, externalId: string, change: TicketChange): Promise<LateTicket | null> {
  const stored = await queryOne<StoredTicket>(
    tx,
    `select t.id::text as id, t.status, t.severity, t.csat_rating, c.at,
            (select max(s.changed_at) from support_ticket_status_change s where s.ticket_id = t.id) as status_since,
            greatest(
              (select max(s.changed_at) from support_ticket_status_change s where s.ticket_id = t.id),
              (select max(e.ended_at) from support_ticket_earlier_state e where e.ticket_id = t.id)) as since,
            (select s.status from support_ticket_status_change s where s.ticket_id = t.id and s.changed_at <= c.at
             order by s.changed_at desc, s.id desc limit 1) as status_then,
            (select min(s.changed_at) from support_ticket_status_change s where s.ticket_id = t.id and s.changed_at > c.at) as next_change_at,
            coalesce((select json_agg(json_build_object('severity', e.severity, 'csat_rating', e.csat_rating, 'ended_at', e.ended_at)
                                      order by e.ended_at, e.id)
                      from support_ticket_earlier_state e where e.ticket_id = t.id), '[]') as history
     from support_ticket t cross join lateral (select greatest(?::timestamptz, t.opened_at) as at) c
     where t.customer_id = ? and t.external_id = ?`,
    [change.at.toISOString(), customerId, externalId],
  );
  if (!stored || !isLate(change, stored)) return null;
  const at = new Date(stored.at);
  const status = change.status !== undefined && change.status !== stored.status_then ? change.status : null;
  let history: EndedState<SeverityState>[] | null = null;
  if (change.severity !== undefined || change.csatRating !== undefined) {
    const late = {
      at,
      from: (held: SeverityState): SeverityState => ({
        severity: change.severity ?? held.severity,
        csatRating: change.csatRating !== undefined ? change.csatRating : held.csatRating,
      }),
      nextChangeAt: stored.next_change_at === null ? null : new Date(stored.next_change_at),
    };
    history = withLateState(
      stored.history.map((row) => ({ state: { severity: row.severity, csatRating: row.csat_rating }, endedAt: new Date(row.ended_at) })),
      { state: { severity: stored.severity, csatRating: stored.csat_rating }, since: new Date(stored.since) },
      late,
      (a, b) => a.severity === b.severity && a.csatRating === b.csatRating,
    );
  }
  return { ticketId: stored.id, at, status, history };
}

/**
 * Records a late change (its status at its date; the earlier states rewritten in the order scoring
 * reads them) and queues the customer for rescoring; returns the ticket as it stands, unchanged.
 */
export async function recordLateTicket(tx: Db, late: LateTicket, queueRescore: QueueRescore, columns: string): Promise<SupportTicket> {
  const statements: string[] = [];
  const params: unknown[] = [late.ticketId];
  if (late.status !== null) {
    statements.push(`status_changed as (
       insert into support_ticket_status_change (ticket_id, customer_id, status, changed_at)
       select t.id, t.customer_id, ?, ?::timestamptz from support_ticket t where t.id = ?
     )`);
    params.push(late.status, late.at.toISOString(), late.ticketId);
  }
  if (late.history !== null) {
    statements.push(`removed as (
       delete from support_ticket_earlier_state where ticket_id = ?
     ), recorded as (
       insert into support_ticket_earlier_state (ticket_id, severity, csat_rating, ended_at)
       select ?, s.severity, s.csat_rating, s.ended_at
       from jsonb_to_recordset(?::jsonb) as s(ord int, severity text, csat_rating smallint, ended_at timestamptz) order by s.ord
     )`);
    const history = late.history.map((entry, ord) => ({
      ord,
      severity: entry.state.severity,
      csat_rating: entry.state.csatRating,
      ended_at: entry.endedAt,
    }));
    params.push(late.ticketId, late.ticketId, JSON.stringify(history));
  }
  const [row] = await query<SupportTicket>(
    tx,
    `with marked as (
       ${queueRescore('select customer_id from support_ticket where id = ?')}
     )${statements.map((statement) => `, ${statement}`).join('')}
     select ${columns} from support_ticket t where t.id = ?`,
    [...params, late.ticketId],
  );
  return row;
}
