// Relay connections with keyset pagination. A cursor is the row's sort key (as text, so
// microsecond timestamps round-trip exactly); the next page is `(sort…) > (cursor…)` on an
// index, so page 1,800 costs what page 1 costs. `totalCount` is computed only when asked for.
import { createHash } from 'node:crypto';
import { ClassType, Field, Int, ObjectType } from 'type-graphql';
import { InvalidInputError } from './errors';
import { Db, queryPrepared } from './sql';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

@ObjectType({ simpleResolvers: true, description: 'Relay page information.' })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;

  // The Relay spec's PageInfo has all four fields; paging forward, it lets hasPreviousPage say whether
  // rows come before the page as far as it knows without another read: the page follows a cursor.
  @Field({ description: 'True when the page was asked for after a cursor (`after`): the rows before it are the pages already read.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first edge; null for an empty page.' })
  startCursor!: string | null;
}

/** The PageInfo of a page of `edges` read after `after` (none for the first page). */
export function pageInfoOf(edges: ReadonlyArray<{ cursor: string }>, hasNextPage: boolean, after: string | null | undefined): PageInfo {
  return {
    hasNextPage,
    endCursor: edges.length > 0 ? edges[edges.length - 1].cursor : null,
    hasPreviousPage: Boolean(after),
    startCursor: edges.length > 0 ? edges[0].cursor : null,
  };
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface ConnectionResult<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  /** Lazy: a getter that runs the count query only when the field is selected. */
  readonly totalCount: number | Promise<number>;
}

const connectionTypes = new Map<string, ClassType>();

/** `XConnection { edges { cursor node } pageInfo totalCount }` for an object type. */
export function Connection<T extends object>(nodeType: ClassType<T>, name: string = nodeType.name): ClassType<ConnectionResult<T>> {
  const existing = connectionTypes.get(name);
  if (existing) return existing as ClassType<ConnectionResult<T>>;

  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class EdgeType {
    @Field()
    cursor!: string;

    @Field(() => nodeType)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true })
  class ConnectionType implements ConnectionResult<T> {
    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    // A lazy getter returning a promise: it keeps a resolver (not simple), which the compiled executor awaits.
    @Field(() => Int, { simple: false, description: 'Number of items matching the filters, across all pages.' })
    totalCount!: number | Promise<number>;
  }

  connectionTypes.set(name, ConnectionType);
  return ConnectionType;
}

/**
 * Validates `first`: 1…`max` (500), `byDefault` (50) when left out or null. Every `first` of the graph
 * goes through here, so each is refused alike: the same message, and `extensions.max`.
 */
export function pageSize(first: number | null | undefined, { max = MAX_PAGE_SIZE, byDefault = DEFAULT_PAGE_SIZE } = {}): number {
  if (first === undefined || first === null) return byDefault;
  if (!Number.isInteger(first) || first < 1 || first > max) {
    throw new InvalidInputError(`first must be between 1 and ${max}`, { argument: 'first', max });
  }
  return first;
}

/**
 * A cursor is `[order, ...sort key values]`, base64url JSON. `order` names the list's order (see
 * orderTag), so a cursor from another list or another order is refused instead of read as a position in this one.
 */
export function encodeCursor(order: string, values: readonly string[]): string {
  return Buffer.from(JSON.stringify([order, ...values])).toString('base64url');
}

/** The sort key values of a cursor of `order` with `arity` keys; BAD_USER_INPUT (argument `after`) for anything else. */
export function decodeCursor(cursor: string, order: string, arity: number): string[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(values) &&
      values.length === arity + 1 &&
      values[0] === order &&
      values.every((v) => typeof v === 'string' && v.length <= MAX_CURSOR_VALUE_LENGTH && !v.includes('\u0000'))
    )
      return values.slice(1) as string[];
  } catch {
    // fall through
  }
  throw notACursor();
}

const notACursor = () => new InvalidInputError('after is not a cursor returned by this connection', { argument: 'after' });

/** Longer than any sort key value this service writes (ids and names are bounded far below it). */
const MAX_CURSOR_VALUE_LENGTH = 10_000;

/** Digests by order: a page of edges asks for its order's once per parent, and the orders are few. */
const orderTags = new Map<string, string>();

/** A short digest of a keyset order: its sort keys and direction. */
export function orderTag(sortKeys: readonly SortKey[], direction: 'asc' | 'desc'): string {
  const order = JSON.stringify([sortKeys.map((k) => [k.expression, k.type]), direction]);
  let tag = orderTags.get(order);
  if (tag === undefined) {
    tag = createHash('sha256').update(order).digest('base64url').slice(0, 10);
    orderTags.set(order, tag);
  }
  return tag;
}

/**
 * What each sort key type accepts from a cursor: exactly what `::text` of that type writes (so a
 * value PostgreSQL would read loosely, "yesterday" for a timestamptz, is refused before it reaches SQL).
 */
const CURSOR_VALUE_PATTERNS: Record<string, RegExp> = {
  timestamptz: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/,
  bigint: /^-?\d{1,19}$/,
  int: /^-?\d{1,9}$/,
  integer: /^-?\d{1,9}$/,
  smallint: /^-?\d{1,4}$/,
};

/**
 * Values of the right shape that the type still cannot hold: PostgreSQL would refuse them in the
 * page's statement (a 2026-02-30, an offset of +99 hours, a bigint past 2^63), which reads as an
 * internal error rather than as the tampered cursor it is.
 */
const CURSOR_VALUE_IN_RANGE: Record<string, (value: string) => boolean> = {
  timestamptz: timestampInRange,
  bigint: (value) => BigInt(value) >= -(2n ** 63n) && BigInt(value) < 2n ** 63n,
};

const TIMESTAMP_PARTS = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)?[+-](\d{2})(?::(\d{2}))?(?::(\d{2}))?$/;

/** A date that exists, a time of day as `::text` writes it, and an offset PostgreSQL accepts (under 16 hours). */
function timestampInRange(value: string): boolean {
  const match = TIMESTAMP_PARTS.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes, offsetSeconds] = match
    .slice(1)
    .map((part) => Number(part ?? 0));
  // Days of the month in a leap year (2000), less February's 29th otherwise: Date.UTC reads years below 100 as 19xx.
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeapYear(year) ? 1 : 0);
  return (
    year >= 1 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 15 &&
    offsetMinutes <= 59 &&
    offsetSeconds <= 59
  );
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** A keyset cursor of this order, each value of its key's type. */
export function decodeKeysetCursor(cursor: string, sortKeys: readonly SortKey[], direction: 'asc' | 'desc'): string[] {
  const values = decodeCursor(cursor, orderTag(sortKeys, direction), sortKeys.length);
  sortKeys.forEach((key, index) => {
    const pattern = CURSOR_VALUE_PATTERNS[key.type];
    const inRange = CURSOR_VALUE_IN_RANGE[key.type];
    if ((pattern && !pattern.test(values[index])) || (inRange && !inRange(values[index]))) {
      throw notACursor();
    }
  });
  return values;
}

export interface SortKey {
  /** SQL expression the rows are ordered by, e.g. `t.occurred_at`. */
  expression: string;
  /** Its Postgres type, to cast the cursor value back, e.g. `timestamptz`. */
  type: string;
}

/** The usual order of a signal table: by a timestamp column, then by the bigint id (`alias.id`). */
export function byTimeThenId(alias: string, timeColumn: string): SortKey[] {
  return [
    { expression: `${alias}.${timeColumn}`, type: 'timestamptz' },
    { expression: `${alias}.id`, type: 'bigint' },
  ];
}

export interface KeysetQuery {
  /** A with clause (`with name as (…)`, no parameters) the other clauses read; none when absent. */
  with?: string;
  /** Select list (aliased to the GraphQL type's property names). */
  select: string;
  /** FROM clause with joins. */
  from: string;
  /** Filter conditions, ANDed. */
  where: string[];
  params: unknown[];
  /** Sort keys, the last one unique (usually the id). All sorted in `direction`. */
  sortKeys: SortKey[];
  direction: 'asc' | 'desc';
  first: number | null | undefined;
  after: string | null | undefined;
}

export function whereClause(conditions: readonly string[]): string {
  return conditions.length > 0 ? `where ${conditions.map((c) => `(${c})`).join(' and ')}` : '';
}

/**
 * Builds the keyset condition `(a, b) > (?::t1, ?::t2)` for a decoded cursor; given `names` (one per
 * sort key), its values are the named `(:name1::t1, :name2::t2)` instead (infra/sql.ts).
 */
export function keysetCondition(sortKeys: readonly SortKey[], direction: 'asc' | 'desc', names?: readonly string[]): string {
  const left = sortKeys.map((k) => k.expression).join(', ');
  const right = sortKeys.map((k, i) => `${names ? `:${names[i]}` : '?'}::${k.type}`).join(', ');
  return `(${left}) ${direction === 'asc' ? '>' : '<'} (${right})`;
}

/** Turns `limit + 1` rows (each with `__k0…` sort key columns), read after the cursor `after`, into a connection. */
export function toConnection<T>(
  rows: Array<Record<string, unknown>>,
  limit: number,
  order: { sortKeys: readonly SortKey[]; direction: 'asc' | 'desc'; after: string | null | undefined },
  count: () => Promise<number>,
): ConnectionResult<T> {
  const hasNextPage = rows.length > limit;
  const tag = orderTag(order.sortKeys, order.direction);
  const sortKeyCount = order.sortKeys.length;
  // The row is the node as is: its `__k…` columns are never selected by a query, and neither copying
  // the row nor deleting them (which turns an object into a slow dictionary) is worth its cost.
  const edges = rows.slice(0, limit).map((row) => {
    const keys: string[] = [];
    for (let i = 0; i < sortKeyCount; i++) keys.push(String(row[`__k${i}`]));
    return { cursor: encodeCursor(tag, keys), node: row as T };
  });
  let counted: Promise<number> | undefined;
  const result = {
    edges,
    pageInfo: pageInfoOf(edges, hasNextPage, order.after),
  };
  Object.defineProperty(result, 'totalCount', {
    enumerable: true,
    get: () => (counted ??= count()),
  });
  return result as ConnectionResult<T>;
}

export function sortKeySelect(sortKeys: readonly SortKey[]): string {
  return sortKeys.map((k, i) => `(${k.expression})::text as "__k${i}"`).join(', ');
}

export function orderByClause(sortKeys: readonly SortKey[], direction: 'asc' | 'desc'): string {
  return sortKeys.map((k) => `${k.expression} ${direction}`).join(', ');
}

/** The rows of a keyset query across all pages: its `totalCount`. */
async function countRows(db: Db, spec: KeysetQuery): Promise<number> {
  const [row] = await queryPrepared<{ count: number }>(
    db,
    `${spec.with ?? ''} select count(*)::int as count from ${spec.from} ${whereClause(spec.where)}`,
    spec.params,
  );
  return row.count;
}

/** Runs one page query (and, if `totalCount` is selected, one count query). */
export async function keysetPage<T>(db: Db, spec: KeysetQuery): Promise<ConnectionResult<T>> {
  const limit = pageSize(spec.first);
  const conditions = [...spec.where];
  const params = [...spec.params];
  if (spec.after) {
    conditions.push(keysetCondition(spec.sortKeys, spec.direction));
    params.push(...decodeKeysetCursor(spec.after, spec.sortKeys, spec.direction));
  }
  const rows = await queryPrepared(
    db,
    `${spec.with ?? ''} select ${spec.select}, ${sortKeySelect(spec.sortKeys)} from ${spec.from} ${whereClause(conditions)}
     order by ${orderByClause(spec.sortKeys, spec.direction)} limit ${limit + 1}`,
    params,
  );
  return toConnection<T>(rows, limit, spec, () => countRows(db, spec));
}

/** One part of a merged order (mergedKeysetPage): its rows, and the order's keys as its index holds them on those rows. */
export interface KeysetLeg {
  /** Conditions ANDed with the query's own: the legs together hold every row, each row in one leg. */
  where: string[];
  /** The order's sort keys (same types and direction) as written for this leg's rows: the expressions its index holds. */
  sortKeys: SortKey[];
}

/**
 * A keyset page of an order that no one index holds (`spec.sortKeys`, which the cursor names, e.g. a
 * key that compares a date with now) but each of whose `legs` one does: each leg reads at most a page
 * after the cursor through its own index, and the legs' rows are merged by their keys' values.
 */
export async function mergedKeysetPage<T>(db: Db, spec: KeysetQuery & { legs: KeysetLeg[] }): Promise<ConnectionResult<T>> {
  const limit = pageSize(spec.first);
  const cursor = spec.after ? decodeKeysetCursor(spec.after, spec.sortKeys, spec.direction) : null;
  const params: unknown[] = [];
  const legs = spec.legs.map((leg) => {
    const conditions = [...spec.where, ...leg.where];
    params.push(...spec.params);
    if (cursor) {
      conditions.push(keysetCondition(leg.sortKeys, spec.direction));
      params.push(...cursor);
    }
    return `(select ${spec.select}, ${sortKeySelect(leg.sortKeys)} from ${spec.from} ${whereClause(conditions)}
             order by ${orderByClause(leg.sortKeys, spec.direction)} limit ${limit + 1})`;
  });
  const merged = spec.sortKeys.map((key, i) => `"__k${i}"::${key.type} ${spec.direction}`).join(', ');
  const rows = await queryPrepared(
    db,
    `${spec.with ?? ''} select * from (${legs.join(' union all ')}) page order by ${merged} limit ${limit + 1}`,
    params,
  );
  return toConnection<T>(rows, limit, spec, () => countRows(db, spec));
}
