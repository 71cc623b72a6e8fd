// NPS survey ingestion and reads. A response is stored and its customer marked for rescoring in
// one statement; the summary (promoters, passives, detractors, NPS) is one aggregate, so a
// dashboard tile costs one round trip whatever the number of responses.
import { addCustomerSegment, checkCustomerId } from '../customers/customer.service';
import { ColumnMap, selectColumns } from '../infra/columns';
import { ensure, NotFoundError } from '../infra/errors';
import { checkStrings, filterInstant, MAX_ID_LENGTH, optionalText, pastInstant, optionalLabel } from '../infra/input';
import { LatestChildSpec, LoaderRegistry, loadChildPage, loadLatestChild, projectedLatestChild } from '../infra/loaders';
import { ConnectionResult, keysetPage, SortKey, whereClause } from '../infra/pagination';
import { Db, query, queryOne } from '../infra/sql';
import { RescoreScheduler, signalsArrived } from '../scoring/rescore-queue';
import {
  AnswerAudience,
  checkAnswerOfStoredRecord,
  RecordKey,
  StoredRecordReadback,
  storedUnderKey,
} from '../ingest/stored-record-readback';
import { addTimeRange } from '../infra/time-range';
import type { NpsResponse, NpsResponseInput, NpsResponsesArgs, NpsSummary, NpsSummaryArgs } from './nps.types';

export const MAX_COMMENT_LENGTH = 10_000;
export const MAX_RESPONDENT_LENGTH = 500;

/** An nps_response row, by GraphQL field. */
const NPS_COLUMN_MAP: ColumnMap = {
  id: 'n.id::text',
  customerId: 'n.customer_id',
  externalId: 'n.external_id',
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

/** The answer's customer and survey id, as a submission stores them; null without an externalId. */
function npsAnswerKey(input: NpsResponseInput): RecordKey | null {
  const customerId = checkCustomerId(input.customerId);
  const externalId = optionalLabel(input.externalId, 'externalId', MAX_ID_LENGTH);
  return externalId === null ? null : { customerId, key: externalId };
}

/** A repeated submission stores nothing: of the answer stored first it may show only the identity (stored-record-readback.ts). */
export const NPS_ANSWER_READBACK: StoredRecordReadback<NpsResponseInput> = {
  record: 'an NPS answer',
  keyField: 'externalId',
  isStored: (db, input) => storedUnderKey(db, { table: 'nps_response', keyColumn: 'external_id' }, () => npsAnswerKey(input)),
  fieldsFromInput: () => [],
};

/**
 * Stores one answer. With an `externalId` (the survey tool's id of the answer, unique per customer),
 * a retried submission stores nothing and returns the answer stored first, unless `audience` may
 * not read it (FORBIDDEN; nothing was stored either way).
 */
export async function submitNpsResponse(
  db: Db,
  scheduler: RescoreScheduler | null,
  input: NpsResponseInput,
  now = new Date(),
  audience?: AnswerAudience,
): Promise<NpsResponse> {
  checkStrings(input, '');
  const customerId = checkCustomerId(input.customerId);
  ensure(Number.isInteger(input.score) && input.score >= 0 && input.score <= 10, 'score must be an integer from 0 to 10', {
    argument: 'score',
  });
  const externalId = optionalLabel(input.externalId, 'externalId', MAX_ID_LENGTH);
  ensure(input.externalId == null || externalId !== null, 'externalId must not be empty when given', { argument: 'externalId' });
  const comment = optionalText(input.comment, 'comment', MAX_COMMENT_LENGTH);
  const respondent = optionalLabel(input.respondent, 'respondent', MAX_RESPONDENT_LENGTH);
  const respondedAt = pastInstant(input.respondedAt ?? now, 'respondedAt', now);
  // The insert reads from the customer row (and queues it for rescoring): an unknown customer inserts
  // nothing. A repeated externalId inserts nothing either, and the stored answer is read instead.
  return signalsArrived(db, scheduler, async (queueRescore) => {
    const row = await queryOne<NpsResponse & { storedBefore: boolean }>(
      db,
      `with known as (
       select id from customer where id = ?
     ), inserted as (
       insert into nps_response (customer_id, external_id, score, comment, respondent, responded_at)
       select id, ?, ?, ?, ?, ?::timestamptz from known
       on conflict (customer_id, external_id) where external_id is not null do nothing
       returning *
     ), marked as (
       ${queueRescore('select customer_id from inserted')}
     )
     select ${NPS_COLUMNS}, false as "storedBefore" from inserted n
     union all
     select ${NPS_COLUMNS}, true from nps_response n
     where ?::text is not null and n.customer_id = ? and n.external_id = ? and not exists (select 1 from inserted)`,
      [customerId, externalId, input.score, comment, respondent, respondedAt.toISOString(), externalId, customerId, externalId],
    );
    if (row) {
      const { storedBefore, ...answer } = row;
      if (storedBefore) checkAnswerOfStoredRecord(NPS_ANSWER_READBACK, input, audience);
      return answer;
    }
    // Stored by a concurrent submission that committed after this statement began: visible now.
    const stored = externalId
      ? await queryOne<NpsResponse>(db, `select ${NPS_COLUMNS} from nps_response n where n.customer_id = ? and n.external_id = ?`, [
          customerId,
          externalId,
        ])
      : undefined;
    if (stored) {
      checkAnswerOfStoredRecord(NPS_ANSWER_READBACK, input, audience);
      return stored;
    }
    throw new NotFoundError(`customer ${customerId} does not exist`, { customerId });
  });
}

function npsFilters(args: NpsSummaryArgs): { where: string[]; params: unknown[] } {
  checkStrings(args, '');
  filterInstant(args.from, 'from');
  filterInstant(args.to, 'to');
  const where: string[] = [];
  const params: unknown[] = [];
  if (args.customerId != null) {
    where.push('n.customer_id = ?');
    params.push(checkCustomerId(args.customerId));
  }
  addCustomerSegment(where, params, 'n.customer_id', args);
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

/**
 * An answer dated ahead of now (a clock ahead of ours) counts once its date has come, as scoring and
 * `Customer.nps` count it: the summary and the latest answer read the answers given by now.
 */
const ANSWERED_BY_NOW = 'n.responded_at <= now()';

export async function summariseNps(db: Db, args: NpsSummaryArgs): Promise<NpsSummary> {
  const { where, params } = npsFilters(args);
  where.push(ANSWERED_BY_NOW);
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
export function loadCustomerNpsResponses(
  db: Db,
  loaders: LoaderRegistry,
  customerId: string,
  page: { first?: number | null; after?: string | null },
): Promise<ConnectionResult<NpsResponse>> {
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
  const spec = {
    name: 'Customer.latestNpsResponse',
    from: 'nps_response n',
    parentColumn: 'n.customer_id',
    where: ANSWERED_BY_NOW,
    orderBy: 'n.responded_at desc, n.id desc',
  };
  return projectedLatestChild(spec, NPS_COLUMN_MAP, fields);
}

/** The latest answer of a customer, with the columns `fields` (the selection) asks for; batched per page. */
export function loadLatestNpsResponse(
  db: Db,
  loaders: LoaderRegistry,
  customerId: string,
  fields?: ReadonlyMap<string, unknown>,
): Promise<NpsResponse | null> {
  return loadLatestChild<NpsResponse>(db, loaders, customerId, latestNpsResponseSpec(fields));
}
