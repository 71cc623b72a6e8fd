// Checks on a test database's score history as a whole.
import { sql, TestDatabase } from './database';

/**
 * The tier changes whose recorded model versions are not those of the points they lie between (the
 * point at their instant and the one before it): none while every edit of the history keeps them.
 */
export function tierChangesOffTheirPoints(database: TestDatabase): Promise<unknown[]> {
  return sql(
    database,
    `select t.id, t.model_version, t.from_model_version, h.model_version as point_version, prev.model_version as previous_version
     from tier_change t join health_score h on h.customer_id = t.customer_id and h.as_of = t.changed_at
     left join lateral (select p.model_version from health_score p where p.customer_id = h.customer_id and p.as_of < h.as_of
                        order by p.as_of desc, p.id desc limit 1) prev on true
     where t.model_version is distinct from h.model_version or t.from_model_version is distinct from prev.model_version`,
  );
}
