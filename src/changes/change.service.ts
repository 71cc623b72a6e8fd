// "What changed since yesterday": tier changes, score drops within a tier, failed payments, urgent
// tickets and detractor answers, merged into one keyset-paged list, newest first, in one statement.
import { ensure } from '../infra/errors';
import { checkStrings, filterInstant, happenedByNow, labelFilter } from '../infra/input';
import {
  ConnectionResult,
  decodeKeysetCursor,
  keysetCondition,
  orderByClause,
  pageSize,
  SortKey,
  sortKeySelect,
  toConnection,
} from '../infra/pagination';
import { ANSWERED_BY_NOW, DETRACTOR_ANSWER } from '../nps/nps.service';
import { minorDigitsSql } from '../payments/minor-units';
import { queryPrepared, type Db } from '../infra/sql';
import { measuredFromPreviousSql, minCoverageSql, pointOf, tierChangeFromSql, wellObservedSql } from '../scoring/compared-points.sql';
import { scoresComputedAlikeSql, WITH_MODEL_SCORING } from '../scoring/scoring-model.service';
import type { Change, ChangesArgs } from './change.types';

/** SQL: the minor-unit digits of a failed payment's currency, so an amount in minor units reads as written on an invoice. */
const MINOR_DIGITS_SQL = minorDigitsSql('p.currency');

/** A tier change's tier and score before it, as every reader tells them: none for a move off a thinly observed point (tierChangeFromSql). */
const TIER_LEFT = tierChangeFromSql('t');

/** SQL: whether the health_score row `point` is well observed, as the version that scored the drop's point `h` judges. */
const WELL_OBSERVED = (point: string) => wellObservedSql(point, minCoverageSql('h.model_version'));

/**
 * The sources of changes, each a statement whose rows are changes (its columns named here), since
 * `:since` for the customers in `owned`, and score drops of at least `:min_score_drop`. A record dated
 * ahead of now (a clock ahead of ours; up to a day is accepted) is listed once its date has come, as
 * the score counts it: not at the top of the feed before it happened. They read `model_scoring`
 * (MODEL_SCORING_SQL) in the statement's with clause (WITH_MODEL_SCORING).
 */
function sources(owned: string): string[] {
  const columns = 'id, kind, at, customer_id, from_tier, to_tier, from_score, to_score, detail';
  return [
    `select 'tier:' || t.id, 'TIER_CHANGED', t.changed_at, t.customer_id, ${TIER_LEFT.fromTier}, t.to_tier, (${TIER_LEFT.fromScore})::int, t.to_score::int, null::text
     from tier_change t where t.changed_at >= :since and not t.backfill and t.customer_id in (${owned})
       -- Not a move between points of two model versions: the model changed, not the account
       -- (tierChanges lists it, with both versions). As the feed index has it.
       and coalesce(t.from_model_version = t.model_version, true)`,
    // A move between points of two versions that score alike (of one run, differing only in playbook
    // settings) is the account's, as within one version. Such moves are few (a change of playbook
    // settings moves nobody), read through the index of moves across versions by their pair of
    // versions, never past the thousands an activation's run makes.
    `select 'tier:' || t.id, 'TIER_CHANGED', t.changed_at, t.customer_id, ${TIER_LEFT.fromTier}, t.to_tier, (${TIER_LEFT.fromScore})::int, t.to_score::int, null::text
     from model_scoring later join model_scoring earlier on earlier.scoring = later.scoring and earlier.version <> later.version
     join tier_change t on t.model_version = later.version and t.from_model_version = earlier.version
     where t.changed_at >= :since and not t.backfill and t.from_model_version <> t.model_version and t.customer_id in (${owned})`,
    // A drop of minScoreDrop in one step, or a slide of small steps at the scoring that takes it
    // minScoreDrop below the high of the drop window (listed once, from that high; a point stored
    // before the high was kept has none). Either falls from the point before: the drop index's rows.
    `select 'score:' || h.id, 'SCORE_DROPPED', h.as_of, h.customer_id, h.tier, h.tier,
            (case when fell.from_previous then h.previous_score else h.peak_score end)::int, h.score::int, null::text
     from health_score h
     -- A fall from the point before counts when that point is a "before" (not thinly observed); from
     -- a thin one, only the slide from the drop window's high does, as the score-drop trigger reads it.
     cross join lateral (select ${measuredFromPreviousSql(pointOf('h'), { computedAlike: false })} as measured) prev
     cross join lateral (select prev.measured and h.previous_score - h.score >= :min_score_drop as from_previous) fell
     where h.as_of >= :since and not h.backfill and h.previous_score > h.score
       and (fell.from_previous
            or (h.peak_score - h.score >= :min_score_drop and (not prev.measured or h.peak_score - h.previous_score < :min_score_drop)
         -- Once per slide: not again when the score, having climbed back a little, crosses the mark
         -- anew; only a point at the high since the last crossing makes a new slide. Points on next to
         -- nothing are neither (the high is of well observed points too). The playbooks decide it as
         -- newScoreDrop does in memory: score-drop-once.test.ts holds the two alike.
         and not exists (select 1 from health_score e where e.customer_id = h.customer_id and ${scoresComputedAlikeSql('e.model_version', 'h.model_version')}
                         and e.as_of < h.as_of and e.score <= h.peak_score - :min_score_drop and ${WELL_OBSERVED('e')}
                         and e.as_of > (select max(p.as_of) from health_score p where p.customer_id = h.customer_id
                                        and ${scoresComputedAlikeSql('p.model_version', 'h.model_version')} and p.as_of < h.as_of and p.score >= h.peak_score
                                        and ${WELL_OBSERVED('p')}))))
       and h.customer_id in (${owned})
       and not exists (select 1 from tier_change t where t.customer_id = h.customer_id and t.changed_at = h.as_of)
       -- A drop the scoring saw: not one measured against a point a backfill inserted before it
       -- afterwards, nor one from a point of a model version that computes scores otherwise (the
       -- model changed, not the account: playbooks do not count it either).
       and not exists (select 1 from (select p.computed_at, p.model_version from health_score p where p.customer_id = h.customer_id and p.as_of < h.as_of
                                      order by p.as_of desc, p.id desc limit 1) prev
                       where prev.computed_at > h.computed_at or not ${scoresComputedAlikeSql('prev.model_version', 'h.model_version')})
       -- Nor the score of an account that had cancelled by then: it is in no tier, and its score falls as its silence grows.
       and not exists (select 1 from customer c where c.id = h.customer_id and c.churned_at <= h.as_of)`,
    `select 'payment:' || p.id, 'PAYMENT_FAILED', p.occurred_at, p.customer_id, null::text, null::text, null::int, null::int, round(p.amount_cents / power(10::numeric, ${MINOR_DIGITS_SQL}), ${MINOR_DIGITS_SQL})::text || ' ' || p.currency
     from payment p where p.occurred_at >= :since and ${happenedByNow('p.occurred_at')} and p.status = 'FAILED' and p.customer_id in (${owned})`,
    `select 'ticket:' || s.id, 'URGENT_TICKET', s.opened_at, s.customer_id, null::text, null::text, null::int, null::int, s.severity || coalesce(': ' || s.subject, '')
     from support_ticket s where s.opened_at >= :since and ${happenedByNow('s.opened_at')} and s.severity in ('HIGH', 'URGENT') and s.customer_id in (${owned})`,
    `select 'nps:' || n.id, 'DETRACTOR', n.responded_at, n.customer_id, null::text, null::text, null::int, null::int, n.score::text
     from nps_response n where n.responded_at >= :since and ${ANSWERED_BY_NOW} and ${DETRACTOR_ANSWER} and n.customer_id in (${owned})`,
  ].map((source) => `select * from (${source}) as source (${columns})`);
}

const SORT_KEYS: SortKey[] = [
  { expression: 'ch.at', type: 'timestamptz' },
  { expression: 'ch.id', type: 'text' },
];
/** The names the cursor's values are bound under, one per sort key. */
const CURSOR_NAMES = ['after_at', 'after_id'];

/**
 * A source cut to what it can add to the page: its newest `limit` rows past the cursor (when
 * `after`). A page then reads a page of each source through its time index, however far back `since`
 * goes, rather than every change since then to sort them all. The cursor's instant bounds the time
 * column on its own too, so a later page starts its index scan there.
 */
function pageOf(source: string, after: boolean, limit: number): string {
  const past = after ? `where ch.at <= :after_at::timestamptz and ${keysetCondition(SORT_KEYS, 'desc', CURSOR_NAMES)}` : '';
  return `(select * from (${source}) ch ${past} order by ${orderByClause(SORT_KEYS, 'desc')} limit ${limit})`;
}

export async function listChanges(db: Db, args: ChangesArgs): Promise<ConnectionResult<Change>> {
  checkStrings({ csmOwner: args.csmOwner, after: args.after }, '');
  const since = filterInstant(args.since, 'since') as Date;
  const minScoreDrop = args.minScoreDrop ?? 10;
  ensure(Number.isInteger(minScoreDrop) && minScoreDrop >= 1 && minScoreDrop <= 100, 'minScoreDrop must be a whole number within 1…100', {
    argument: 'minScoreDrop',
  });
  const csmOwner = labelFilter(args.csmOwner);
  const all = sources(csmOwner == null ? 'select id from customer' : 'select id from customer where csm_owner = :csm_owner');
  const limit = pageSize(args.first);
  const cursor = args.after ? decodeKeysetCursor(args.after, SORT_KEYS, 'desc') : null;
  // Every value by name, bound once however many sources read it.
  const values = {
    since: since.toISOString(),
    min_score_drop: minScoreDrop,
    csm_owner: csmOwner,
    ...(cursor ? Object.fromEntries(CURSOR_NAMES.map((name, i) => [name, cursor[i]])) : {}),
  };
  const pages = all.map((source) => pageOf(source, cursor !== null, limit + 1));
  const union = (parts: string[]) => `(${parts.join(' union all ')}) ch join customer c on c.id = ch.customer_id`;
  const rows = await queryPrepared(
    db,
    `${WITH_MODEL_SCORING}
     select ch.id, ch.kind, ch.at, ch.customer_id as "customerId", c.name as "customerName", ch.from_tier as "fromTier", ch.to_tier as "toTier",
            ch.from_score as "fromScore", ch.to_score as "toScore", ch.detail, ${sortKeySelect(SORT_KEYS)}
     from ${union(pages)} order by ${orderByClause(SORT_KEYS, 'desc')} limit ${limit + 1}`,
    values,
  );
  return toConnection<Change>(rows, limit, { sortKeys: SORT_KEYS, direction: 'desc', after: args.after }, async () => {
    const [row] = await queryPrepared<{ count: number }>(
      db,
      `${WITH_MODEL_SCORING} select count(*)::int as count from ${union(all)}`,
      values,
    );
    return row.count;
  });
}
