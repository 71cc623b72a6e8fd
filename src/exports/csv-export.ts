// CSV downloads of the customer list and the worklist, with the graph's filters. Streamed a page at
// a time (keyset pages of 500, waiting for the socket to drain), so 100,000 rows take the memory of
// one page; protected like the API (the HTTP server admits the request and checks the read scope).
import type http from 'node:http';
import { listCustomers } from '../customers/customer.service';
import { Customer, CustomerOrder, CustomersArgs } from '../customers/customer.types';
import { InvalidInputError } from '../infra/errors';
import type { ConnectionResult } from '../infra/pagination';
import { Db, json, query } from '../infra/sql';
import { riskReasons } from '../scoring/model';
import { decodePenalties, decodeSignals, StoredPenalty, StoredSignal } from '../scoring/signal-storage';
import { LATEST_SCORE_JOIN, SCORE_DROP_SQL, worklist } from '../scoring/health-score.queries';
import { WITH_MODEL_SCORING } from '../scoring/scoring-model.service';
import { LifecycleStage } from '../scoring/scoring.enums';

/** An instant as the API answers it (RFC 3339, UTC): rows read as text carry PostgreSQL's own format. */
function isoInstant(value: unknown): string | null {
  return value == null ? null : new Date(value as string | Date).toISOString();
}

type Column<T> = [string, (row: T) => unknown];

const COLUMNS: Array<Column<Customer>> = [
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

/**
 * What a team's own mail tool needs (the opt-out to honour, the address), why a churned account
 * left, and when it signed up (so that an export gives back every date `upsertCustomer` took). Added
 * after every column each export had (the worklist's `score_drop` and `reasons` too), each after the
 * last, so that a reader by position keeps reading the ones it knew.
 */
const CONTACT_AND_CHURN_COLUMNS: Array<Column<Customer>> = [
  ['communication_opt_out', (c) => c.communicationOptOut],
  ['contact_email', (c) => c.contactEmail],
  ['churn_reason', (c) => c.churnReason],
  ['signed_up_at', (c) => isoInstant(c.signedUpAt)],
];

const CUSTOMERS_COLUMNS: Array<Column<Customer>> = [...COLUMNS, ...CONTACT_AND_CHURN_COLUMNS];

/** A worklist row: the customer, and why its latest score is low. */
interface WorklistRow {
  customer: Customer;
  /** Points lost since the score before it; null for a first score, one after a model change or one after a thinly observed score (SCORE_DROP_SQL). */
  scoreDrop: number | null;
  /** `HealthScore.reasons(first: 3)`, as `name −points` joined by `; `. */
  reasons: string;
}

const ofWorklistRow = ([name, read]: Column<Customer>): Column<WorklistRow> => [name, (row) => read(row.customer)];

const WORKLIST_COLUMNS: Array<Column<WorklistRow>> = [
  ...COLUMNS.map(ofWorklistRow),
  ['score_drop', (row) => row.scoreDrop],
  ['reasons', (row) => row.reasons],
  ...CONTACT_AND_CHURN_COLUMNS.map(ofWorklistRow),
];

const PAGE = 500;

/**
 * One CSV cell (RFC 4180 quoting). Text a spreadsheet would run as a formula (starting with `=`,
 * `+`, `-`, `@`, tab or carriage return) is prefixed with a quote, as OWASP advises for CSV injection.
 * A cell holding `;` or a tab is quoted too: a spreadsheet in a locale whose list separator is `;`
 * (or one reading tabs) would otherwise split it into cells that may start a formula.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",;\t\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(values: unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/**
 * Writes `chunk`, then waits until the client has taken what is buffered, or has gone: a response
 * whose connection closes never drains, and waiting for that would hold the export (its last page,
 * its response) for good, once for every download cancelled mid-way.
 */
async function write(res: http.ServerResponse, chunk: string): Promise<void> {
  if (res.write(chunk) || res.destroyed) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * The UTF-8 byte order mark. Excel on Windows reads a CSV file without one in the system's legacy code
 * page, garbling every name outside ASCII; programs, which take UTF-8 as the header says, would read
 * it as part of the first column's name, so it is written only when asked (`?bom=1`).
 */
const BYTE_ORDER_MARK = '\uFEFF';

/** `bom=1` (or `true`) asks for a byte order mark, `0` (or `false`) or leaving it out for none; anything else is refused. */
function wantsByteOrderMark(query: URLSearchParams): boolean {
  const value = query.get('bom');
  if (value === null || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new InvalidInputError('bom must be 1 (a UTF-8 byte order mark first, for Excel) or 0 (none, the default)', { argument: 'bom' });
}

/**
 * Writes the rows of every page `next(after)` returns, as CSV after a header (and a byte order mark, if
 * `query` asks for one). Once `stop` aborts (the key was revoked) no further page is read: its reason
 * is thrown as soon as the page being read comes back, and the caller answers or cuts the transfer.
 */
async function streamPages<T>(
  res: http.ServerResponse,
  query: URLSearchParams,
  filename: string,
  columns: ReadonlyArray<Column<T>>,
  next: (after: string | null) => Promise<{ rows: T[]; pageInfo: ConnectionResult<Customer>['pageInfo'] }>,
  stop: AbortSignal | undefined,
): Promise<void> {
  const byteOrderMark = wantsByteOrderMark(query) ? BYTE_ORDER_MARK : '';
  const lines = (rows: T[]): string => rows.map((row) => csvLine(columns.map(([, read]) => read(row)))).join('');
  // The first page is read and formatted before the headers go, so that a refused filter is still
  // a clean 400 and a failure a 500. A later page's failure cuts the transfer (answerFailure, src/http-server.ts).
  let page = await next(null);
  stop?.throwIfAborted();
  let text = lines(page.rows);
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'no-store',
  });
  await write(res, byteOrderMark + csvLine(columns.map(([name]) => name)));
  for (;;) {
    await write(res, text);
    if (!page.pageInfo.hasNextPage || res.destroyed) break;
    stop?.throwIfAborted();
    page = await next(page.pageInfo.endCursor);
    stop?.throwIfAborted();
    text = lines(page.rows);
  }
  res.end();
}

const nodes = (page: ConnectionResult<Customer>) => ({ rows: page.edges.map((edge) => edge.node), pageInfo: page.pageInfo });

/**
 * The page's customers with their latest score's drop (none across a model change, as the worklist
 * orders by it: SCORE_DROP_SQL) and reasons (one read for the page).
 */
async function withReasons(
  db: Db,
  page: ConnectionResult<Customer>,
): Promise<{ rows: WorklistRow[]; pageInfo: ConnectionResult<Customer>['pageInfo'] }> {
  const latest = await query<{ customerId: string; drop: number | null; signals: StoredSignal[]; penalties: StoredPenalty[] | null }>(
    db,
    `${WITH_MODEL_SCORING}
     select c.id as "customerId", ${SCORE_DROP_SQL} as drop, h.signals, h.penalties
     from jsonb_array_elements_text(?::jsonb) as c(id) ${LATEST_SCORE_JOIN}`,
    [json(page.edges.map((edge) => edge.node.id))],
  );
  const byId = new Map(latest.map((row) => [row.customerId, row]));
  const rows = page.edges.map(({ node }): WorklistRow => {
    const score = byId.get(node.id);
    const reasons = score ? riskReasons(decodeSignals(score.signals ?? []), decodePenalties(score.penalties ?? []), 3) : [];
    return {
      customer: node,
      scoreDrop: score?.drop ?? null,
      reasons: reasons.map((reason) => `${reason.name} −${reason.pointsLost}`).join('; '),
    };
  });
  return { rows, pageInfo: page.pageInfo };
}

/** The parameters each export takes, by path: the filters of `customers` and of `worklist`, and `bom`. */
export const EXPORT_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  '/export/customers.csv': ['tier', 'lifecycleStage', 'csmOwner', 'plan', 'search', 'orderBy', 'bom'],
  '/export/worklist.csv': ['csmOwner', 'plan', 'tier', 'lifecycleStage', 'bom'],
};

/**
 * The query string of an export, checked as a GraphQL request's arguments are: in UTF-8 (a
 * malformed `%ff` would otherwise be read as U+FFFD and match nothing, silently), each parameter at
 * most once (`?tier=a&tier=b` is no filter of one tier), and only the filters it takes (a misspelt
 * `csm_owner=kate`, or the customer list's `search` sent to the worklist, would download every
 * account). An empty parameter is one not given, as a form's empty field is, for every filter alike.
 */
export function exportParameters(url: URL): URLSearchParams {
  const accepted = EXPORT_PARAMETERS[url.pathname] ?? [];
  const given = new URLSearchParams();
  for (const part of url.search.slice(1).split('&')) {
    if (part === '') continue;
    const [rawName, rawValue = ''] = part.split(/=(.*)/s);
    let name: string;
    let value: string;
    try {
      [name, value] = [rawName, rawValue].map((text) => decodeURIComponent(text.replace(/\+/g, ' ')));
    } catch {
      // A `%` that starts no escape (`plan=50%`) is another mistake than an escape that is no UTF-8 (`%ff`).
      const message = /%(?![0-9A-Fa-f]{2})/.test(part)
        ? 'the query string is not valid percent-encoding: a % not followed by two hexadecimal digits (write % itself as %25)'
        : 'the query string is not valid UTF-8 once percent-decoded';
      throw new InvalidInputError(message, { argument: rawName });
    }
    if (!accepted.includes(name)) {
      throw new InvalidInputError(`${name} is not a parameter of this export: it takes ${accepted.join(', ')}`, { argument: name });
    }
    if (given.has(name)) throw new InvalidInputError(`${name} is given more than once`, { argument: name });
    if (value !== '') given.set(name, value);
  }
  return given;
}

function enumValue<T extends string>(values: Record<string, T>, raw: string | null, argument: string): T | null {
  if (raw === null) return null;
  if (!Object.prototype.hasOwnProperty.call(values, raw))
    throw new InvalidInputError(`${argument} must be one of ${Object.keys(values).join(', ')}`, { argument });
  return values[raw];
}

/** `GET /export/customers.csv?tier=&lifecycleStage=&csmOwner=&plan=&search=&orderBy=&bom=`: the `customers` list, every page (until `stop` aborts). */
export function exportCustomers(db: Db, query: URLSearchParams, res: http.ServerResponse, stop?: AbortSignal): Promise<void> {
  const args: CustomersArgs = {
    tier: query.get('tier'),
    lifecycleStage: enumValue<LifecycleStage>(LifecycleStage, query.get('lifecycleStage'), 'lifecycleStage'),
    csmOwner: query.get('csmOwner'),
    plan: query.get('plan'),
    search: query.get('search'),
    orderBy: enumValue<CustomerOrder>(CustomerOrder, query.get('orderBy'), 'orderBy') ?? CustomerOrder.NAME_ASC,
  };
  return streamPages(
    res,
    query,
    'customers.csv',
    CUSTOMERS_COLUMNS,
    async (after) => nodes(await listCustomers(db, { ...args, first: PAGE, after })),
    stop,
  );
}

/** `GET /export/worklist.csv?csmOwner=&plan=&tier=&lifecycleStage=&bom=`: the worklist, every page (until `stop` aborts), with each account's score drop and reasons. */
export function exportWorklist(db: Db, params: URLSearchParams, res: http.ServerResponse, stop?: AbortSignal): Promise<void> {
  return streamPages(
    res,
    params,
    'worklist.csv',
    WORKLIST_COLUMNS,
    async (after) =>
      withReasons(
        db,
        await worklist(db, PAGE, after, {
          csmOwner: params.get('csmOwner'),
          plan: params.get('plan'),
          tier: params.get('tier'),
          lifecycleStage: enumValue<LifecycleStage>(LifecycleStage, params.get('lifecycleStage'), 'lifecycleStage'),
        }),
      ),
    stop,
  );
}
