// Raw SQL rows are named after the GraphQL fields they serve (`c.arr_cents as "arrCents"`), so a
// read can select just the columns a query asks for. On a dashboard page of 50 customers, reading
// every column of the customer and of its three joined edges cost about a quarter of the request's
// CPU: timestamps parsed into Dates nobody shows, outreach messages and comments sent, parsed and dropped.

/** GraphQL field name → the SQL expression that yields it. */
export type ColumnMap = Readonly<Record<string, string>>;

/**
 * The select list for `fields` of `map` (every field when `fields` is undefined) plus `always`
 * (what resolvers below need whatever was asked, e.g. the id), in the map's order so one selection
 * is always the same statement. Names `map` does not know (`__typename`, edges resolved elsewhere)
 * are ignored.
 */
export function selectColumns(map: ColumnMap, fields?: { has(name: string): boolean }, always: readonly string[] = []): string {
  const columns: string[] = [];
  for (const [field, expression] of Object.entries(map)) {
    if (fields && !fields.has(field) && !always.includes(field)) continue;
    columns.push(`${expression} as "${field}"`);
  }
  return columns.join(', ');
}
