// NPS survey ingestion and reads. A response is stored and its customer marked for rescoring in
// one statement; the summary (promoters, passives, detractors, NPS) is one aggregate, so a
// dashboard tile costs one round trip whatever the number of responses.
import { checkCustomerId } from '../customers/customer.service';
import { ColumnMap, selectColumns } from '../infra/columns';
import { ensure, NotFoundError } from '../infra/errors';
import { LatestChildSpec, LoaderRegistry, loadChildPage, loadLatestChild, projectedLatestChild } from '../infra/loaders';
import { ConnectionResult, keysetPage, SortKey, whereClause } from '../infra/pagination';
import { Db, query, queryOne } from '../infra/sql';
import { addTimeRange } from '../infra/time-range';
import type { NpsResponse, NpsResponseInput, NpsResponsesArgs, NpsSummary, NpsSummaryArgs } from './nps.types';

export const MAX_COMMENT_LENGTH = 10_000;
export const MAX_RESPONDENT_LENGTH = 500;

/** An nps_response row, by GraphQL field. */
const NPS_COLUMN_MAP: ColumnMap = {
  id: 'n.id::text',
  customerId: 'n.customer_id',
  score: 'n.score',
  comment: 'n.comment',
  respondent: 'n.respondent',
  respondedAt: 'n.responded_at',
  createdAt: 'n.created_at',
};

export const NPS_COLUMNS = selectColumns(NPS_COLUMN_MAP);

/** Newest first; the last key is unique so pages never overlap. */
const NEWEST_FIRST: SortKey[] = [
  { expression: 'n.responded_at', type: 'timestamptz' },
  { expression: 'n.id', type: 'bigint' },
];

/** Trims; empty becomes null; longer than `max` is BAD_USER_INPUT. */
function optionalText(value: string | null | undefined, argument: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  ensure(trimmed.length <= max, `${argument} is longer than ${max} characters`, { argument, max });
  return trimmed.length > 0 ? trimmed : null;
}

/** A date-time argument, or `fallback` when omitted; BAD_USER_INPUT when it is not a valid date. */
function dateOrDefault(value: Date | null | undefined, fallback: Date, argument: string): Date {
  const date = value ?? fallback;
  ensure(date instanceof Date && !Number.isNaN(date.getTime()), `${argument} is not a valid date-time`, { argument });
  return date;
}

export async function submitNpsResponse(db: Db, input: NpsResponseInput, now = new Date()): Promise<NpsResponse> {
  const customerId = checkCustomerId(input.customerId);
  ensure(Number.isInteger(input.score) && input.score >= 0 && input.score <= 10, 'score must be an integer from 0 to 10', { argument: 'score' });
  const comment = optionalText(input.comment, 'comment', MAX_COMMENT_LENGTH);
  const respondent = optionalText(input.respondent, 'respondent', MAX_RESPONDENT_LENGTH);
  const respondedAt = dateOrDefault(input.respondedAt, now, 'respondedAt');
  // The insert reads from the customer row (and queues it for rescoring): an unknown customer inserts nothing.
  const row = await queryOne<NpsResponse>(
    db,
    `with known as (
       select id from customer where id = ?
     ), marked as (
       insert into rescore_request (customer_id) select id from known on conflict (customer_id) do nothing
     ), inserted as (
       insert into nps_response (customer_id, score, comment, respondent, responded_at)
       select id, ?, ?, ?, ?::timestamptz from known
       returning *
     )
     select ${NPS_COLUMNS} from inserted n`,
    [customerId, input.score, comment, respondent, respondedAt.toISOString()],
  );
  if (!row) throw new NotFoundError(`customer ${customerId} does not exist`, { customerId });
  return row;
}

function npsFilters(args: NpsSummaryArgs): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (args.customerId != null) {
    where.push('n.customer_id = ?');
    params.push(checkCustomerId(args.customerId));
  }
  addTimeRange(where, params, 'n.responded_at', args.from, args.to);
  return { where, params };
}

export function listNpsResponses(db: Db, args: NpsResponsesArgs): Promise<ConnectionResult<NpsResponse>> {
  const { where, params } = npsFilters(args);
  return keysetPage<NpsResponse>(db, {
    select: NPS_COLUMNS,
    from: 'nps_response n',
    where,
    params,
    sortKeys: NEWEST_FIRST,
    direction: 'desc',
    first: args.first,
    after: args.after,
  });
}

export async function summariseNps(db: Db, args: NpsSummaryArgs): Promise<NpsSummary> {
  const { where, params } = npsFilters(args);
  const [row] = await query<NpsSummary>(
    db,
    `select count(*)::int as responses,
            round(avg(n.score), 2)::float8 as "averageScore",
            count(*) filter (where n.score >= 9)::int as promoters,
            count(*) filter (where n.score between 7 and 8)::int as passives,
            count(*) filter (where n.score <= 6)::int as detractors,
            round(100.0 * (count(*) filter (where n.score >= 9) - count(*) filter (where n.score <= 6)) / nullif(count(*), 0))::int as nps
     from nps_response n ${whereClause(where)}`,
    params,
  );
  return row;
}

/** `Customer.npsResponses`: one statement per page of customers (plus one for totalCount). */
export function loadCustomerNpsResponses(db: Db, loaders: LoaderRegistry, customerId: string, page: { first?: number | null; after?: string | null }): Promise<ConnectionResult<NpsResponse>> {
  return loadChildPage<NpsResponse>(db, loaders, customerId, {
    name: 'Customer.npsResponses',
    select: NPS_COLUMNS,
    from: 'nps_response n',
    parentColumn: 'n.customer_id',
    sortKeys: NEWEST_FIRST,
    direction: 'desc',
    first: page.first,
    after: page.after,
  });
}

/** `Customer.latestNpsResponse` with the columns `fields` asks for (all without it): one statement per page of customers. */
export function latestNpsResponseSpec(fields?: ReadonlyMap<string, unknown>): LatestChildSpec {
  const spec = { name: 'Customer.latestNpsResponse', from: 'nps_response n', parentColumn: 'n.customer_id', orderBy: 'n.responded_at desc, n.id desc' };
  return projectedLatestChild(spec, NPS_COLUMN_MAP, fields);
}

/** The latest answer of a customer, with the columns `fields` (the selection) asks for; batched per page. */
export function loadLatestNpsResponse(db: Db, loaders: LoaderRegistry, customerId: string, fields?: ReadonlyMap<string, unknown>): Promise<NpsResponse | null> {
  return loadLatestChild<NpsResponse>(db, loaders, customerId, latestNpsResponseSpec(fields));
}
