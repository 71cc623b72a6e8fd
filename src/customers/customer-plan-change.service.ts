// The plan history read back (`Customer.planChanges`): what upsertCustomer recorded of a customer's
// ARR and seats and when each took effect, so an integrator can see the change a typo made before
// correcting it (`correctsLastPlanChange`), and which entries a correction replaced.
import { LoaderRegistry, loadChildPage } from '../infra/loaders';
import { byTimeThenId, ConnectionResult } from '../infra/pagination';
import type { Db } from '../infra/sql';
import type { PlanChange } from './customer.types';

/**
 * An entry replaced by one recorded after it and dated the same instant was never in effect: the
 * scoring statements read the later one (gather-metrics.sql.ts, engagement-metrics.sql.ts).
 */
const PLAN_CHANGE_COLUMNS = `p.id::text as id, p.changed_at as "changedAt", p.arr_cents::float8 as "arrCents", p.seats,
  exists (select 1 from customer_plan_change r where r.customer_id = p.customer_id and r.changed_at = p.changed_at and r.id > p.id) as corrected`;

/** `Customer.planChanges`, the latest first: one statement per page of customers (plus one for totalCount). */
export function loadCustomerPlanChanges(
  db: Db,
  loaders: LoaderRegistry,
  customerId: string,
  page: { first?: number | null; after?: string | null },
): Promise<ConnectionResult<PlanChange>> {
  return loadChildPage<PlanChange>(db, loaders, customerId, {
    name: 'Customer.planChanges',
    select: PLAN_CHANGE_COLUMNS,
    from: 'customer_plan_change p',
    parentColumn: 'p.customer_id',
    sortKeys: byTimeThenId('p', 'changed_at'),
    direction: 'desc',
    first: page.first,
    after: page.after,
  });
}
