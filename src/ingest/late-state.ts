// Billing and helpdesk webhooks arrive out of order: a change dated before the state a record now
// has is an earlier state that arrived late. It goes into the record's history at its own date, and
// the record keeps the state it has. This places it in a history of states that each end when the
// next one took effect (payment_earlier_state, support_ticket_earlier_state), which scoring reads as
// of an instant as the earliest state ending after it, else the record as it is.

/** One state of a record's history and the instant the next one took effect. */
export interface EndedState<State> {
  state: State;
  endedAt: Date;
}

/** A change dated before the record's current state. */
export interface LateState<State> {
  /** Its own date. */
  at: Date;
  /** The state it brings, given the state that held at its date: a field the change leaves out is that state's. */
  from(holding: State): State;
  /**
   * The record's next change after `at` that `history` does not hold (a ticket's status change), if
   * any: the late state holds until then at the latest, and the state it interrupted again after it.
   */
  nextChangeAt?: Date | null;
}

/**
 * The history (earlier states in the order scoring reads them: by `endedAt`, then as recorded) with
 * `late` holding from its date until the next recorded change: the state that held then ends at
 * `late.at` (or is replaced, when it took effect at that same instant). `current` is the record's
 * state and the date it took effect; `late.at` must be before it. Null when nothing changes: the
 * state that held then is already the one `late` brings (the same change sent again), or `late` is
 * not before `current.since`. The result is in the order to record it in.
 */
export function withLateState<State>(
  history: readonly EndedState<State>[],
  current: { state: State; since: Date },
  late: LateState<State>,
  same: (a: State, b: State) => boolean,
): EndedState<State>[] | null {
  const at = late.at.getTime();
  if (at >= current.since.getTime()) return null;
  const found = history.findIndex((entry) => entry.endedAt.getTime() > at);
  const index = found === -1 ? history.length : found;
  const holding = found === -1 ? { state: current.state, endedAt: current.since } : history[found];
  const state = late.from(holding.state);
  if (same(state, holding.state)) return null;
  const startedAt = index === 0 ? Number.NEGATIVE_INFINITY : history[index - 1].endedAt.getTime();
  const next = late.nextChangeAt?.getTime();
  const until = next !== undefined && next > at && next < holding.endedAt.getTime() ? new Date(next) : holding.endedAt;
  const pieces: EndedState<State>[] = [];
  if (startedAt < at) pieces.push({ state: holding.state, endedAt: late.at });
  pieces.push({ state, endedAt: until });
  // The interrupted state resumes after the next change; the record's own state needs no entry.
  if (until !== holding.endedAt && found !== -1) pieces.push(holding);
  return [...history.slice(0, index), ...pieces, ...history.slice(index + 1)];
}

/** Whether two instants (or their absence) are the same. */
export function sameInstant(a: Date | null | undefined, b: Date | null | undefined): boolean {
  return (a?.getTime() ?? null) === (b?.getTime() ?? null);
}
