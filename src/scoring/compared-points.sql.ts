// Which stored points a later score is measured from. A score resting on next to nothing (a customer
// created before its data arrived, scored healthy on neutral values) says what was missing, not where
// the account stood: it is no "before" for the playbooks (thinlyObserved), nor for anything that reads
// the stored history as a fall, a drop or a tier left (a tier change, as every reader tells it: tierChangeFromSql),
// nor is a point of another tier scheme a tier its move can be compared with.
import { scoresComputedAlikeSql } from './scoring-model.service';

/**
 * SQL: whether the health_score row `point` rests on enough of the model's weight to compare with,
 * as thinlyObserved decides in memory: some of it, and at least `minCoverage` (a number, or an SQL
 * expression such as minCoverageSql). Compared as `real`, the stored coverage's type, as the scoring
 * reads it back.
 */
export function wellObservedSql(point: string, minCoverage: number | string): string {
  const least = typeof minCoverage === 'number' ? String(Number(minCoverage)) : minCoverage;
  return `(${point}.coverage > 0 and ${point}.coverage >= (${least})::real)`;
}

/** SQL: the `lifecycle.minCoverage` of the stored model version `version` (an SQL expression); 0 when it sets none or is not stored. */
export function minCoverageSql(version: string): string {
  return `coalesce((select (s.config #>> '{lifecycle,minCoverage}')::real from scoring_model s where s.version = ${version}), 0)`;
}

/** Where a later point lies, as SQL expressions: its customer, its instant and the model version that scored it. */
export interface LaterPoint {
  customer: string;
  at: string;
  version: string;
}

/** The later point a health_score row `alias` is. */
export const pointOf = (alias: string): LaterPoint => ({
  customer: `${alias}.customer_id`,
  at: `${alias}.as_of`,
  version: `${alias}.model_version`,
});

/**
 * SQL: whether the customer's point just before `later` is a "before" that point is measured from:
 * well observed as the version scoring `later` judges it (its lifecycle.minCoverage, as the scoring
 * decided when it ran), and, with `computedAlike`, scored by a version that computes scores as that
 * one does (scoresComputedAlikeSql: the statement names `model_scoring` in its with clause). A fall, a
 * drop or a tier change from any other point is no account's. True without a point before: nothing
 * then tells against the score and tier stored as the ones before (none, for a first point).
 */
export function measuredFromPreviousSql(later: LaterPoint, { computedAlike }: { computedAlike: boolean }): string {
  const alike = computedAlike ? ` and ${scoresComputedAlikeSql('prev.model_version', later.version)}` : '';
  return `not exists (select 1 from (select p.coverage, p.model_version from health_score p where p.customer_id = ${later.customer} and p.as_of < ${later.at}
                                     order by p.as_of desc, p.id desc limit 1) prev
                      where not (${wellObservedSql('prev', minCoverageSql(later.version))}${alike}))`;
}

/** The columns of a tier change that say where it came from, as SQL expressions. */
export interface TierChangeFrom {
  fromTier: string;
  fromScore: string;
  direction: string;
}

/** SQL: the tier scheme of the stored model version `version`: each tier's key, lower bound and severity, in key order (labels aside). */
function tierSchemeSql(version: string): string {
  return `(select jsonb_agg(jsonb_build_array(band->>'key', band->'lowerBound', band->'severity') order by band->>'key')
           from scoring_model s cross join jsonb_array_elements(s.config->'tiers') band where s.version = ${version})`;
}

/**
 * SQL: whether the stored model versions `a` and `b` place scores in the same tiers: the same keys,
 * each with the same bounds and severity (a label aside, which names a tier but does not move it).
 * True when either is unknown (a change stored before versions were). Between two such versions a
 * tier's severity compares with another's; across a change of scheme it does not: at_risk under four
 * tiers (30 to 49) is another band than at_risk under five (50 to 69).
 */
export function sameTierSchemeSql(a: string, b: string): string {
  return `(${a} is null or ${b} is null or ${a} = ${b} or ${tierSchemeSql(a)} = ${tierSchemeSql(b)})`;
}

/**
 * SQL: where the tier_change row `change` came from, as every reader tells it (the changes feed,
 * tierChanges, a customer's tierChanges, and the healthTierChanged event, read back from the row as
 * written). A move off a point resting on next to nothing (thinly observed, as the version it moved
 * under judges: measuredFromPreviousSql) is a first placement: no tier nor score before it, and NEW,
 * as a playbook decides it (no TIER_WORSENED; its message says "first scored critical"), not a fall
 * from a healthy the account never was. A move from a point of a version with another tier scheme
 * (sameTierSchemeSql: a tier preset, a model of your own that moves a band) keeps the tier and score
 * it left but is NEW too: the two tiers are of two schemes, and a severity of one says nothing of the
 * other's (an at_risk 42 is churning 42 under five tiers: the model moved it, not the account). The
 * row itself keeps the point it left (from_tier, from_score, direction compared in the bands of the
 * version it moved under): it is the history's link to that point, which the edits of
 * history-links.ts compare and rewrite as they are.
 */
export function tierChangeFromSql(change: string): TierChangeFrom {
  const measured = measuredFromPreviousSql(
    { customer: `${change}.customer_id`, at: `${change}.changed_at`, version: `${change}.model_version` },
    { computedAlike: false },
  );
  const comparable = sameTierSchemeSql(`${change}.from_model_version`, `${change}.model_version`);
  return {
    fromTier: `case when ${measured} then ${change}.from_tier end`,
    fromScore: `case when ${measured} then ${change}.from_score end`,
    direction: `case when ${measured} and ${comparable} then ${change}.direction else 'NEW' end`,
  };
}
