// CSV downloads of the customer list and the worklist, with the graph's filters. Streamed a page at
// a time (keyset pages of 500, waiting for the socket to drain), so 100,000 rows take the memory of
// one page; protected like the API (the HTTP server admits the request and checks the read scope).
import type http from 'node:http';
import { listCustomers } from '../customers/customer.service';
import { Customer, CustomerOrder, CustomersArgs } from '../customers/customer.types';
import { InvalidInputError } from '../infra/errors';
import type { ConnectionResult } from '../infra/pagination';
import type { Db } from '../infra/sql';
import { worklist } from '../scoring/health-score.queries';
import { LifecycleStage } from '../scoring/scoring.enums';

/** An instant as the API answers it (ISO-8601, UTC): rows read as text carry PostgreSQL's own format. */
function isoInstant(value: unknown): string | null {
  return value == null ? null : new Date(value as string | Date).toISOString();
}

const COLUMNS: Array<[string, (c: Customer) => unknown]> = [
  ['id', (c) => c.id],
  ['name', (c) => c.name],
  ['plan', (c) => c.plan],
  ['arr_cents', (c) => c.arrCents],
  ['seats', (c) => c.seats],
  ['csm_owner', (c) => c.csmOwner],
  ['health_score', (c) => c.healthScore],
  ['tier', (c) => c.tier],
  ['trend', (c) => c.trend],
  ['lifecycle_stage', (c) => c.lifecycleStage],
  ['last_activity_at', (c) => isoInstant(c.lastActivityAt)],
  ['churned_at', (c) => isoInstant(c.churnedAt)],
];
const PAGE = 500;

/**
 * One CSV cell (RFC 4180 quoting). Text a spreadsheet would run as a formula (starting with `=`,
 * `+`, `-`, `@`, tab or carriage return) is prefixed with a quote, as OWASP advises for CSV injection.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(values: unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

async function write(res: http.ServerResponse, chunk: string): Promise<void> {
  if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', () => resolve()));
}

/** Writes every page `next(after)` returns, as CSV rows after a header. */
async function streamPages(
  res: http.ServerResponse,
  filename: string,
  next: (after: string | null) => Promise<ConnectionResult<Customer>>,
): Promise<void> {
  // The first page is read before the headers go out, so a refused filter is still a clean 400.
  let page = await next(null);
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'no-store',
  });
  await write(res, csvLine(COLUMNS.map(([name]) => name)));
  for (;;) {
    await write(res, page.edges.map((edge) => csvLine(COLUMNS.map(([, read]) => read(edge.node)))).join(''));
    if (!page.pageInfo.hasNextPage || res.destroyed) break;
    page = await next(page.pageInfo.endCursor);
  }
  res.end();
}

function enumValue<T extends string>(values: Record<string, T>, raw: string | null, argument: string): T | null {
  if (raw === null) return null;
  if (!Object.prototype.hasOwnProperty.call(values, raw))
    throw new InvalidInputError(`${argument} must be one of ${Object.keys(values).join(', ')}`, { argument });
  return values[raw];
}

/** `GET /export/customers.csv?tier=&lifecycleStage=&csmOwner=&search=&orderBy=`: the `customers` list, every page. */
export function exportCustomers(db: Db, query: URLSearchParams, res: http.ServerResponse): Promise<void> {
  const args: CustomersArgs = {
    tier: query.get('tier'),
    lifecycleStage: enumValue<LifecycleStage>(LifecycleStage, query.get('lifecycleStage'), 'lifecycleStage'),
    csmOwner: query.get('csmOwner'),
    search: query.get('search'),
    orderBy: enumValue<CustomerOrder>(CustomerOrder, query.get('orderBy'), 'orderBy') ?? CustomerOrder.NAME_ASC,
  };
  return streamPages(res, 'customers.csv', (after) => listCustomers(db, { ...args, first: PAGE, after }));
}

/** `GET /export/worklist.csv?csmOwner=`: the worklist, every page. */
export function exportWorklist(db: Db, query: URLSearchParams, res: http.ServerResponse): Promise<void> {
  return streamPages(res, 'worklist.csv', (after) => worklist(db, PAGE, after, { csmOwner: query.get('csmOwner') }));
}
