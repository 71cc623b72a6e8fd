// A customer's score history is a chain of points (`health_score`), each with the score of the one
// before it (`previous_score`) and, when the tier differs, a tier change at its instant (matched by
// `(customer_id, changed_at = as_of)`, as every reader relates the two). The edits that insert
// or remove points out of order keep that chain whole, in one place: a backfill before existing
// points (score-customers.ts; past a churn, the points after it then hold the tier it left in) and a
// customer's start moved later (a sign-up date in upsertCustomer; without one, its first signal dated
// later or deleted: an NPS answer, a ticket's opening).
import { Db, json, query } from '../infra/sql';
import { customerStartSql } from './customer-start';
import { changeDirection, TierBand } from './model';

/** A point's new link to the one before it: its tier and score, or nulls when it now starts the history. */
export interface RelinkRow {
  next_id: string;
  from_tier: string | null;
  from_score: number | null;
  /** The model version of the point now before it. */
  from_model_version: number | null;
  /** WORSENED / IMPROVED / NEW; null when the two tiers are the same: the point then has no tier change. */
  direction: string | null;
}

/**
 * Makes each point (`RelinkRow.next_id`) follow the one now before it, in one statement: its previous
 * score becomes that point's score, and its tier change goes from that point's tier and score, is
 * deleted when the tiers are now equal, or is added when they differ and it had none (as of the point,
 * marked backfill). The point's own score, tier and trend stay as they were scored: its tier
 * hysteresis and trend were applied against the history of that time, and no edit rewrites a scoring.
 * A change added here, or rewritten to come from another tier, is marked backfill: it is not the
 * change that was published (if any was), and nothing live happened, so `tierChanges(backfill: false)`
 * keeps to what clients saw. A change that still comes from the tier it came from keeps its mark: a
 * point scored between two others with the earlier one's tier changes only its `fromScore`, and the
 * move that was published is still the move that happened. A cancelled account's first live move past
 * its churn is not relinked here but by holdTierAfterChurn, which keeps it published (linkIntoHistory).
 */
async function relinkPoints(tx: Db, rows: readonly RelinkRow[]): Promise<void> {
  if (rows.length === 0) return;
  await query(
    tx,
    `with x as (
       select n.id, n.customer_id, n.as_of, n.tier, n.score, n.model_version, r.from_tier, r.from_score, r.from_model_version, r.direction
       from jsonb_to_recordset(?::jsonb) as r(next_id bigint, from_tier text, from_score smallint, from_model_version int, direction text)
       join health_score n on n.id = r.next_id
     ), relinked as (
       update health_score h set previous_score = x.from_score from x where h.id = x.id
     ), dropped as (
       delete from tier_change t using x where x.direction is null and t.customer_id = x.customer_id and t.changed_at = x.as_of
     ), updated as (
       update tier_change t set from_tier = x.from_tier, from_score = x.from_score, from_model_version = x.from_model_version,
              model_version = x.model_version, direction = x.direction,
              backfill = t.backfill or t.from_tier is distinct from x.from_tier
       from x where x.direction is not null and t.customer_id = x.customer_id and t.changed_at = x.as_of
     )
     insert into tier_change (customer_id, from_tier, to_tier, from_score, to_score, model_version, from_model_version, direction,
                              changed_at, backfill)
     select x.customer_id, x.from_tier, x.tier, x.from_score, x.score, x.model_version, x.from_model_version, x.direction, x.as_of, true
     from x
     where x.direction is not null
       and not exists (select 1 from tier_change t where t.customer_id = x.customer_id and t.changed_at = x.as_of)`,
    [json(rows)],
  );
}

/** The points after a customer's churn that take the tier of a point written just before them. */
export interface HeldTierRow {
  customer_id: string;
  /** The tier of the point written: the last before the churn, or the first at or after it. */
  tier: string;
  churned_at: string;
}

/** A held customer's first live move past its churn, as found before the batch relinked anything. */
interface LiveMove {
  customer_id: string;
  id: string;
  /** Its instant as PostgreSQL prints it (to the microsecond, as stored), to be given back as is. */
  changed_at: string;
  to_tier: string;
  /** The (first) point at the move's instant: the point the change is at. */
  point_id: string;
}

/**
 * The first live move (a published change from one tier to another) later than `asOfIso` and at or
 * after each held customer's churn: a move scored and published before the churn was recorded. A
 * published first tier (from no tier: a customer scored before its history was loaded) is no move;
 * the history written before it replaces it, as it would without a churn.
 */
async function firstLiveMovesPastChurn(tx: Db, asOfIso: string, rows: readonly HeldTierRow[]): Promise<LiveMove[]> {
  if (rows.length === 0) return [];
  return query<LiveMove>(
    tx,
    `select r.customer_id, t.id::text as id, t.changed_at::text as changed_at, t.to_tier,
            (select min(h.id)::text from health_score h where h.customer_id = r.customer_id and h.as_of = t.changed_at) as point_id
     from jsonb_to_recordset(:rows::jsonb) as r(customer_id text, churned_at timestamptz)
     cross join lateral (select t.id, t.changed_at, t.to_tier from tier_change t
                         where t.customer_id = r.customer_id and not t.backfill and t.from_tier is not null
                           and t.changed_at > :as_of::timestamptz and t.changed_at >= r.churned_at
                         order by t.changed_at, t.id limit 1) t`,
    { rows: json(rows), as_of: asOfIso },
  );
}

/** A held customer with its first live move past the churn (nulls without one). */
interface HeldUpToMove extends HeldTierRow {
  live_id: string | null;
  live_at: string | null;
  /** The move's direction from the held tier; null when the held tier is the one it moved to. */
  direction: string | null;
}

/**
 * Makes every point of each customer later than `asOfIso`, at or after its churn and before its
 * first live move past the churn (`live_at`) hold `tier`, in one statement, with its tier changes
 * there deleted (they would be between equal tiers) and, without such a move, its current tier. A
 * cancelled account keeps the tier it left in: the tier of its last point before the churn, which may
 * be written after the points that follow the churn (the first start's backfill of the last weeks,
 * then the days before them). Their scores and trends stay as scored, as relinkPoints leaves them.
 *
 * The live move, the points from it on and the current tier stay what clients were told, and the
 * move stays published (its id, its instant, `backfill: false`) whatever the history written before
 * it: it now comes from the held tier, the tier and score of the point now before it. When the held
 * tier is the one it moved to, the move happened by the point written: it takes the place of that
 * point's change (from the tier before it), as two live scorings a moment apart move theirs
 * (moveChanges). Only with no change there (the account already in that tier before the point
 * written) does the history hold no move for it, and it is deleted.
 */
async function holdTierAfterChurn(tx: Db, asOfIso: string, rows: readonly HeldUpToMove[]): Promise<void> {
  if (rows.length === 0) return;
  await query(
    tx,
    `with x as (
       select * from jsonb_to_recordset(:rows::jsonb)
         as x(customer_id text, tier text, churned_at timestamptz, live_id bigint, live_at timestamptz, direction text)
     ), held as (
       update health_score h set tier = x.tier
       from x where h.customer_id = x.customer_id and h.as_of > :as_of::timestamptz and h.as_of >= x.churned_at
         and (x.live_at is null or h.as_of < x.live_at) and h.tier <> x.tier
     ), dropped as (
       delete from tier_change t using x
       where t.customer_id = x.customer_id and t.changed_at > :as_of::timestamptz and t.changed_at >= x.churned_at
         and (x.live_at is null or t.changed_at < x.live_at)
     ), before_move as (
       select x.*, b.score, b.model_version
       from x cross join lateral (select h.score, h.model_version from health_score h
                                  where h.customer_id = x.customer_id and h.as_of < x.live_at
                                  order by h.as_of desc, h.id desc limit 1) b
       where x.live_id is not null
     ), followed as (
       update health_score h set previous_score = m.score
       from before_move m where h.customer_id = m.customer_id and h.as_of = m.live_at
     ), relinked as (
       update tier_change t set from_tier = m.tier, from_score = m.score, from_model_version = m.model_version, direction = m.direction
       from before_move m where t.id = m.live_id and m.direction is not null
     ), taken as (
       select m.live_id, c.id, c.from_tier, c.from_score, c.from_model_version, c.to_score, c.model_version, c.direction
       from before_move m join tier_change c on c.customer_id = m.customer_id and c.changed_at = :as_of::timestamptz
       where m.direction is null
     ), replaced as (
       delete from tier_change t using taken where t.id = taken.id
     ), moved as (
       update tier_change t set changed_at = :as_of::timestamptz, from_tier = taken.from_tier, from_score = taken.from_score,
              from_model_version = taken.from_model_version, to_score = taken.to_score, model_version = taken.model_version,
              direction = taken.direction
       from taken where t.id = taken.live_id
     ), unplaced as (
       delete from tier_change t using before_move m
       where t.id = m.live_id and m.direction is null and m.live_id not in (select live_id from taken)
     )
     update customer c set tier = x.tier
     from x where c.id = x.customer_id and x.live_id is null and c.scored_at > :as_of::timestamptz and c.scored_at >= x.churned_at
       and c.tier is distinct from x.tier`,
    { rows: json(rows), as_of: asOfIso },
  );
}

/** A published tier change taken over by a point scored just before the one it was published at. */
export interface MovedChange {
  id: string;
  /** The earlier point's instant, score and model version: the change now ends there. */
  changed_at: string;
  to_score: number;
  model_version: number;
}

/** A tier change that was published: its id and the tier it came from. */
export interface PublishedChange {
  id: string;
  fromTier: string | null;
}

/**
 * The live (published) tier changes at the given points, by customer id: one statement, none for
 * no points. A live scoring reads them for the customers it finds already scored a moment later.
 */
export async function publishedChangesAt(
  tx: Db,
  points: ReadonlyArray<{ customerId: string; asOf: string }>,
): Promise<Map<string, PublishedChange>> {
  if (points.length === 0) return new Map();
  const rows = await query<{ customerId: string } & PublishedChange>(
    tx,
    `select t.customer_id as "customerId", t.id::text as id, t.from_tier as "fromTier"
     from jsonb_to_recordset(?::jsonb) as p("customerId" text, "asOf" timestamptz)
     join tier_change t on t.customer_id = p."customerId" and t.changed_at = p."asOf" and not t.backfill`,
    [json(points)],
  );
  return new Map(rows.map(({ customerId, ...change }) => [customerId, change]));
}

/**
 * Moves published tier changes to the instant of a point scored just before the one they were
 * published at, with that point's tier and the same tier before it (a live scoring that committed
 * after a later one): the change happened by then, and keeping its row (id, `backfill: false`) keeps
 * the history to what clients were told. Run before relinkPoints, which would otherwise delete it as
 * a change between equal tiers.
 */
async function moveChanges(tx: Db, rows: readonly MovedChange[]): Promise<void> {
  if (rows.length === 0) return;
  await query(
    tx,
    `update tier_change t set changed_at = m.changed_at, to_score = m.to_score, model_version = m.model_version
     from jsonb_to_recordset(?::jsonb) as m(id bigint, changed_at timestamptz, to_score smallint, model_version int) where t.id = m.id`,
    [json(rows)],
  );
}

/** What a batch's points change in the history around them (planned with the points: score-customers.ts). */
export interface HistoryLinks {
  /** Published changes taken over by points scored just before the ones they were published at. */
  moved: readonly MovedChange[];
  /** The points that now follow a point of the batch. */
  relink: readonly RelinkRow[];
  /** The customers whose points after their churn take the tier of their point in the batch. */
  held: readonly HeldTierRow[];
}

/**
 * Links a batch's points, written as of `asOfIso`, into the history around them: the published
 * changes they take over move to them, the points after them follow them, and past a churn the points
 * after it hold the tier it was left in, up to the first live move past the churn. That move is found
 * before anything is relinked, and relinked by the hold only: relinking its point to a point before
 * it with another tier would mark it backfill, or delete it, and the hold would then pass over it and
 * set back the current tier clients were told. `tiers`: the scoring model's, for the direction of a
 * move now from the held tier. Nothing to link costs no statement.
 */
export async function linkIntoHistory(tx: Db, asOfIso: string, links: HistoryLinks, tiers: readonly TierBand[]): Promise<void> {
  await moveChanges(tx, links.moved);
  const liveMoves = new Map((await firstLiveMovesPastChurn(tx, asOfIso, links.held)).map((move) => [move.customer_id, move]));
  const livePoints = new Set([...liveMoves.values()].map((move) => move.point_id));
  await relinkPoints(
    tx,
    links.relink.filter((row) => !livePoints.has(row.next_id)),
  );
  await holdTierAfterChurn(
    tx,
    asOfIso,
    links.held.map((row) => {
      const move = liveMoves.get(row.customer_id);
      return {
        ...row,
        live_id: move?.id ?? null,
        live_at: move?.changed_at ?? null,
        direction: !move || move.to_tier === row.tier ? null : changeDirection(tiers, row.tier, move.to_tier),
      };
    }),
  );
}

/** The customer ids of forgetScoresBeforeStart's statement, as an array (one `?`: the ids as JSON). */
const IDS = 'array(select jsonb_array_elements_text(?::jsonb))';

/**
 * Deletes the score history and tier changes of `customerIds` dated before their start (their
 * sign-up, or without one their first recorded signal or creation: customer-start.ts), makes the
 * earliest point left start the history (no previous score, a change from no tier), and resets the
 * current score of those whose latest scoring was before the start to a never-scored customer's
 * (the write that moved the start queued them for rescoring). Returns the ids whose current score was
 * reset. Run after the write that set the dates, in its transaction. A sign-up date is on the
 * customer row: this sees the scores committed while that write waited for the row's lock, and
 * scoring, which takes that lock first, waits for the transaction and then skips a customer not yet
 * signed up. A signal's date is not (its write does not wait for that lock): a scoring batch already
 * running as of an instant before the new start may still commit a point there.
 */
export async function forgetScoresBeforeStart(tx: Db, customerIds: readonly string[]): Promise<string[]> {
  const [forgotten] = await query<{ dropped: string[]; reset: string[] }>(
    tx,
    // The ids are matched with `= any(array)` on each table, not only through the join: the planner
    // then reads each customer's points by index, where a join of a set it cannot size scanned the
    // whole history at every sign-up date sent.
    `with signed as (
       select c.id, ${customerStartSql('c')} as started_at from customer c where c.id = any(${IDS})
     ), dropped as (
       delete from health_score h using signed s
       where h.customer_id = any(${IDS}) and h.customer_id = s.id and h.as_of < s.started_at returning h.customer_id
     ), dropped_changes as (
       delete from tier_change t using signed s
       where t.customer_id = any(${IDS}) and t.customer_id = s.id and t.changed_at < s.started_at
     ), reset as (
       update customer c set health_score = null, engagement_score = null, tier = null, trend = null, lifecycle_stage = null,
              last_activity_at = null, nps = null, scored_at = null, updated_at = now()
       from signed s where c.id = s.id and c.scored_at < s.started_at
       returning c.id
     )
     select coalesce((select json_agg(distinct customer_id) from dropped), '[]') as dropped,
            coalesce((select json_agg(id) from reset), '[]') as reset`,
    [json(customerIds), json(customerIds), json(customerIds)],
  );
  if (forgotten.dropped.length > 0) {
    const firstPoints = await query<{ id: string }>(
      tx,
      `select distinct on (customer_id) id::text from health_score
       where customer_id in (select jsonb_array_elements_text(?::jsonb)) order by customer_id, as_of, id`,
      [json(forgotten.dropped)],
    );
    await relinkPoints(
      tx,
      firstPoints.map((point) => ({ next_id: point.id, from_tier: null, from_score: null, from_model_version: null, direction: 'NEW' })),
    );
  }
  return forgotten.reset;
}
