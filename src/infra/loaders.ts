// Per-request DataLoaders. Nested fields (a customer's NPS responses, latest score, outreach…)
// register a loader under a key that includes their arguments, so one page of 50 customers
// costs one statement per nested field, not 50. `DISABLE_DATALOADER=1` turns batching off for the
// benchmark baseline.
import DataLoader from 'dataloader';
import { ColumnMap, selectColumns } from './columns';
import {
  ConnectionResult,
  SortKey,
  orderByClause,
  pageSize,
  sortKeySelect,
  toConnection,
  keysetCondition,
  decodeKeysetCursor,
} from './pagination';
import { Db, json, queryPrepared } from './sql';

export class LoaderRegistry {
  private readonly loaders = new Map<string, DataLoader<unknown, unknown>>();

  /** False under DISABLE_DATALOADER=1: one statement per parent, and no edge joined into a page. */
  constructor(readonly batching = true) {}

  get<K, V>(key: string, batch: (keys: readonly K[]) => Promise<ArrayLike<V | Error>>): DataLoader<K, V> {
    let loader = this.loaders.get(key) as DataLoader<K, V> | undefined;
    if (!loader) {
      loader = new DataLoader<K, V>(batch, this.batching ? { maxBatchSize: 1000 } : { batch: false });
      this.loaders.set(key, loader as DataLoader<unknown, unknown>);
    }
    return loader;
  }
}

/** Groups rows by a parent key, in the order of `keys`. */
export function groupBy<Row>(keys: readonly string[], rows: Row[], keyOf: (row: Row) => string): Row[][] {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = keyOf(row);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(row);
  }
  return keys.map((key) => groups.get(key) ?? []);
}

export interface ChildPageSpec {
  /** Loader identity (field name + filters); the page arguments are appended. */
  name: string;
  select: string;
  /** FROM clause whose rows carry the parent id in `parentColumn`. */
  from: string;
  parentColumn: string;
  where?: string[];
  params?: unknown[];
  sortKeys: SortKey[];
  direction: 'asc' | 'desc';
  first: number | null | undefined;
  after: string | null | undefined;
}

/**
 * A page of children for many parents in one statement (a LATERAL join per parent id), and
 * their counts in one more statement when `totalCount` is selected.
 */
export function loadChildPage<T>(db: Db, loaders: LoaderRegistry, parentId: string, spec: ChildPageSpec): Promise<ConnectionResult<T>> {
  const limit = pageSize(spec.first);
  const conditions = [`${spec.parentColumn} = parent.id`, ...(spec.where ?? [])];
  const params = [...(spec.params ?? [])];
  if (spec.after) {
    conditions.push(keysetCondition(spec.sortKeys, spec.direction));
    params.push(...decodeKeysetCursor(spec.after, spec.sortKeys, spec.direction));
  }
  // The filter's text and values both name the batch: two filters with the same values are two batches.
  const filter = `${JSON.stringify(spec.where ?? [])}:${JSON.stringify(spec.params ?? [])}`;
  const loaderKey = `${spec.name}:${filter}:${limit}:${spec.after ?? ''}`;
  const counts = loaders.get<string, number>(`${spec.name}:count:${filter}`, async (ids) => {
    const rows = await queryPrepared<{ id: string; count: number }>(
      db,
      `select ${spec.parentColumn} as id, count(*)::int as count from ${spec.from}
       where ${spec.parentColumn} in (select jsonb_array_elements_text(?::jsonb)) ${(spec.where ?? []).map((c) => `and (${c})`).join(' ')}
       group by ${spec.parentColumn}`,
      [json(ids), ...(spec.params ?? [])],
    );
    const byId = new Map(rows.map((r) => [r.id, r.count]));
    return ids.map((id) => byId.get(id) ?? 0);
  });
  const pages = loaders.get<string, Array<Record<string, unknown>>>(loaderKey, async (ids) => {
    const rows = await queryPrepared<Record<string, unknown>>(
      db,
      `select parent.id as "__parent", child.* from jsonb_array_elements_text(?::jsonb) as parent(id)
       cross join lateral (
         select ${spec.select}, ${sortKeySelect(spec.sortKeys)} from ${spec.from}
         where ${conditions.map((c) => `(${c})`).join(' and ')}
         order by ${orderByClause(spec.sortKeys, spec.direction)} limit ${limit + 1}
       ) child`,
      [json(ids), ...params],
    );
    return groupBy(ids, rows, (row) => row.__parent as string).map((group) => group.map(({ __parent, ...rest }) => rest));
  });
  return pages.load(parentId).then((rows) => toConnection<T>(rows, limit, spec, () => counts.load(parentId)));
}

/** The first row per parent by a sort order, e.g. a customer's latest NPS response. */
export interface LatestChildSpec {
  /** Loader identity: two specs with the same name must select the same columns. */
  name: string;
  select: string;
  from: string;
  parentColumn: string;
  /** A condition on the children besides the parent's (no bindings). */
  where?: string;
  orderBy: string;
}

/**
 * `spec` selecting the columns of `map` that `fields` (a selection) asks for, every one without it,
 * and always the id and the customer id (which the row's `customer` edge is resolved by). The
 * selected fields are part of the name, so a loader never mixes two selections.
 */
export function projectedLatestChild(
  spec: Omit<LatestChildSpec, 'select'>,
  map: ColumnMap,
  fields?: ReadonlyMap<string, unknown>,
): LatestChildSpec {
  const selected = fields ? Object.keys(map).filter((name) => fields.has(name)) : ['*'];
  return { ...spec, name: [spec.name, ...selected].join('+'), select: selectColumns(map, fields, ['id', 'customerId']) };
}

/**
 * SQL: the child `spec` picks for the parent whose id is the expression `parentId` (at most one row).
 * Both ways of reading a latest child use it (a batch here, a column of a customers page in
 * joined-edges.ts), so they keep to the same condition and order.
 */
export function latestChildSql(spec: LatestChildSpec, parentId: string): string {
  const where = [`${spec.parentColumn} = ${parentId}`, ...(spec.where ? [`(${spec.where})`] : [])].join(' and ');
  return `select ${spec.select} from ${spec.from} where ${where} order by ${spec.orderBy} limit 1`;
}

/** The first row per parent by a sort order (e.g. the latest NPS response), one statement per batch. */
export function loadLatestChild<T>(db: Db, loaders: LoaderRegistry, parentId: string, spec: LatestChildSpec): Promise<T | null> {
  const loader = loaders.get<string, T | null>(spec.name, async (ids) => {
    const rows = await queryPrepared<Record<string, unknown>>(
      db,
      `select parent.id as "__parent", child.* from jsonb_array_elements_text(?::jsonb) as parent(id)
       cross join lateral (${latestChildSql(spec, 'parent.id')}) child`,
      [json(ids)],
    );
    const byParent = new Map(rows.map(({ __parent, ...rest }) => [__parent as string, rest as T]));
    return ids.map((id) => byParent.get(id) ?? null);
  });
  return loader.load(parentId);
}
