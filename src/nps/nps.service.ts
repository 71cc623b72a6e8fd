// NPS survey ingestion and reads. A response is stored (or, under its externalId, replaced) and its
// customer marked for rescoring in one statement; the summary (promoters, passives, detractors,
// NPS) is one aggregate, so a dashboard tile costs one round trip whatever the number of responses.
import { addCustomerSegment, checkCustomerId } from '../customers/customer.service';
import { ColumnMap, selectColumns } from '../infra/columns';
import { ensure, NotFoundError } from '../infra/errors';
import { checkStrings, filterInstant, happenedByNow, MAX_ID_LENGTH, optionalText, pastInstant, optionalLabel } from '../infra/input';
import { LatestChildSpec, LoaderRegistry, loadChildPage, loadLatestChild, projectedLatestChild } from '../infra/loaders';
import { ConnectionResult, keysetPage, SortKey, whereClause } from '../infra/pagination';
import { Db, inTransaction, query, queryOne, takeTurns } from '../infra/sql';
import { forgetScoresBeforeStart } from '../scoring/history-links';
import { RescoreScheduler, signalsArrived } from '../scoring/rescore-queue';
import {
  AnswerAudience,
  recordStored,
  RecordKey,
  RecordKeyColumns,
  refuseUndecidedFieldsOfStored,
  StoredRecordReadback,
  storedUnderKey,
} from '../ingest/stored-record-readback';
import { addTimeRange } from '../infra/time-range';
import type { NpsResponse, NpsResponseInput, NpsResponsesArgs, NpsSummary, NpsSummaryArgs } from './nps.types';
import { DETRACTOR_MAX_SCORE, PROMOTER_MIN_SCORE } from './nps-categories';

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

/** Where an answer is kept under its customer and survey id. */
const NPS_ANSWER_KEY: RecordKeyColumns = { table: 'nps_response', keyColumn: 'external_id' };

/**
 * Makes the writes of one answer (submissions and its deletion) take turns: a submission decides
 * from the stored answer, and a write committed in between would be undone or brought back.
 */
function takeAnswerTurn(tx: Db, customerId: string, externalId: string): Promise<void> {
  return takeTurns(tx, `nps_response/${customerId}/${externalId}`);
}

/**
 * The answer's columns a submission sets from its input, by GraphQL field: the score always; the
 * comment and respondent when sent (null clears them); respondedAt when sent and not null (left out,
 * a new answer is dated now and a stored one keeps its date, so a retry sent later changes nothing).
 */
function answerFieldsSent(input: NpsResponseInput): Array<[field: string, column: string]> {
  const sent: Array<[string, string]> = [['score', 'score']];
  if (input.comment !== undefined) sent.push(['comment', 'comment']);
  if (input.respondent !== undefined) sent.push(['respondent', 'respondent']);
  if (input.respondedAt != null) sent.push(['respondedAt', 'responded_at']);
  return sent;
}

/** A submission of a stored answer replaces the fields it sends (stored-record-readback.ts). */
export const NPS_ANSWER_READBACK: StoredRecordReadback<NpsResponseInput> = {
  record: 'an NPS answer',
  keyField: 'externalId',
  isStored: (db, input) => storedUnderKey(db, NPS_ANSWER_KEY, () => npsAnswerKey(input)),
  fieldsFromInput: (input) => answerFieldsSent(input).map(([field]) => field),
};

/** The input checked (BAD_USER_INPUT otherwise), as stored. */
function checkedAnswer(input: NpsResponseInput, now: Date) {
  const customerId = checkCustomerId(input.customerId);
  ensure(Number.isInteger(input.score) && input.score >= 0 && input.score <= 10, 'score must be an integer from 0 to 10', {
    argument: 'score',
  });
  const externalId = optionalLabel(input.externalId, 'externalId', MAX_ID_LENGTH);
  ensure(input.externalId == null || externalId !== null, 'externalId must not be empty when given', { argument: 'externalId' });
  const comment = optionalText(input.comment, 'comment', MAX_COMMENT_LENGTH);
  const respondent = optionalLabel(input.respondent, 'respondent', MAX_RESPONDENT_LENGTH);
  const respondedAt = pastInstant(input.respondedAt ?? now, 'respondedAt', now);
  // Last: a field checked above is refused naming its own limit; this holds the rest (checkStrings).
  checkStrings(input, '');
  return { customerId, externalId, comment, respondent, respondedAt };
}

/**
 * Stores one answer. With an `externalId` (the survey tool's id of the answer, unique per customer),
 * a submission of an answer already stored replaces the fields it sends (a respondent who edited the
 * answer, an integrator correcting it) and queues a rescoring; the same answer sent again writes
 * nothing and queues nothing. Submissions of one answer take turns, and one whose answer would show
 * `audience` a stored answer it may not read is refused (FORBIDDEN) before anything is written. An
 * answer dated later may move later the start of a customer without a sign-up date (customer-start.ts):
 * what was scored before that start goes (forgetScoresBeforeStart), as when an answer is deleted.
 */
export async function submitNpsResponse(
  db: Db,
  scheduler: RescoreScheduler | null,
  input: NpsResponseInput,
  now = new Date(),
  audience?: AnswerAudience,
): Promise<NpsResponse> {
  const { customerId, externalId, comment, respondent, respondedAt } = checkedAnswer(input, now);
  const sent = answerFieldsSent(input).map(([, column]) => column);
  const write = (tx: Db) =>
    // The insert reads from the customer row (and queues it for rescoring): an unknown customer writes nothing.
    signalsArrived(tx, scheduler, async (queueRescore) => {
      if (externalId !== null) {
        await takeAnswerTurn(tx, customerId, externalId);
        await refuseUndecidedFieldsOfStored(NPS_ANSWER_READBACK, input, audience, () =>
          recordStored(tx, NPS_ANSWER_KEY, { customerId, key: externalId }),
        );
      }
      // An answer sent again as stored is updated by nothing, and returned as stored (read after the
      // turn, so a submission that went first is visible).
      const row = await queryOne<NpsResponse & { datedLater: boolean | null }>(
        tx,
        `with known as (
       select id from customer where id = ?
     ), previous as (
       select n.responded_at from nps_response n where n.customer_id = ? and n.external_id = ?
     ), upserted as (
       insert into nps_response as n (customer_id, external_id, score, comment, respondent, responded_at)
       select id, ?, ?, ?, ?, ?::timestamptz from known
       on conflict (customer_id, external_id) where external_id is not null
       do update set ${sent.map((column) => `${column} = excluded.${column}`).join(', ')}
       where ${sent.map((column) => `n.${column} is distinct from excluded.${column}`).join(' or ')}
       returning n.*
     ), marked as (
       ${queueRescore('select customer_id from upserted')}
     )
     select ${NPS_COLUMNS}, (select n.responded_at > p.responded_at from previous p) as "datedLater" from upserted n
     union all
     select ${NPS_COLUMNS}, false from nps_response n
     where n.customer_id = ? and n.external_id = ? and not exists (select 1 from upserted)`,
        [
          customerId,
          customerId,
          externalId,
          externalId,
          input.score,
          comment,
          respondent,
          respondedAt.toISOString(),
          customerId,
          externalId,
        ],
      );
      if (!row) throw new NotFoundError(`customer ${customerId} does not exist`, { customerId });
      const { datedLater, ...answer } = row;
      // Only an answer stored under its externalId is dated later, in this transaction (it has one then).
      if (datedLater) await forgetScoresBeforeStart(tx, [customerId]);
      return answer;
    });
  return externalId === null ? write(db) : inTransaction(db, write);
}

/**
 * Deletes the answer stored under `externalId` for the customer (one submitted for the wrong
 * customer) and queues the customer for rescoring; returns it as it was. NOT_FOUND when there is none.
 * It waits for the answer's turn: a submission in flight that found the answer stored would otherwise
 * write it again, as a new answer with a new id, once the deletion committed. The customer's start may
 * move later without it: what was scored before goes (forgetScoresBeforeStart).
 */
export async function deleteNpsResponse(
  db: Db,
  scheduler: RescoreScheduler | null,
  customerIdArgument: string,
  externalIdArgument: string,
): Promise<NpsResponse> {
  const customerId = checkCustomerId(customerIdArgument);
  const externalId = optionalLabel(externalIdArgument, 'externalId', MAX_ID_LENGTH);
  ensure(externalId !== null, 'externalId must not be empty', { argument: 'externalId' });
  return inTransaction(db, (tx) =>
    signalsArrived(tx, scheduler, async (queueRescore) => {
      await takeAnswerTurn(tx, customerId, externalId);
      const row = await queryOne<NpsResponse>(
        tx,
        `with deleted as (
       delete from nps_response where customer_id = ? and external_id = ? returning *
     ), marked as (
       ${queueRescore('select customer_id from deleted')}
     )
     select ${NPS_COLUMNS} from deleted n`,
        [customerId, externalId],
      );
      if (!row)
        throw new NotFoundError(`customer ${customerId} has no NPS answer with externalId ${externalId}`, { customerId, externalId });
      await forgetScoresBeforeStart(tx, [customerId]);
      return row;
    }),
  );
}

function npsFilters(args: NpsSummaryArgs): { where: string[]; params: unknown[] } {
  const customerId = args.customerId == null ? null : checkCustomerId(args.customerId);
  // After the customer id, refused naming its own limit.
  checkStrings(args, '');
  filterInstant(args.from, 'from');
  filterInstant(args.to, 'to');
  const where: string[] = [];
  const params: unknown[] = [];
  if (customerId !== null) {
    where.push('n.customer_id = ?');
    params.push(customerId);
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
 * SQL: the answer `n` was given by now (happenedByNow), as scoring and `Customer.nps` count it: the
 * summary, the latest answer and the changes feed read the answers given by now.
 */
export const ANSWERED_BY_NOW = happenedByNow('n.responded_at');

/** SQL: the answer `n` is a promoter's, a passive's, a detractor's (nps-categories.ts). */
const PROMOTER_ANSWER = `n.score >= ${PROMOTER_MIN_SCORE}`;
const PASSIVE_ANSWER = `n.score > ${DETRACTOR_MAX_SCORE} and n.score < ${PROMOTER_MIN_SCORE}`;
export const DETRACTOR_ANSWER = `n.score <= ${DETRACTOR_MAX_SCORE}`;

export async function summariseNps(db: Db, args: NpsSummaryArgs): Promise<NpsSummary> {
  const { where, params } = npsFilters(args);
  where.push(ANSWERED_BY_NOW);
  const [row] = await query<NpsSummary>(
    db,
    `select count(*)::int as responses,
            round(avg(n.score), 2)::float8 as "averageScore",
            count(*) filter (where ${PROMOTER_ANSWER})::int as promoters,
            count(*) filter (where ${PASSIVE_ANSWER})::int as passives,
            count(*) filter (where ${DETRACTOR_ANSWER})::int as detractors,
            round(100.0 * (count(*) filter (where ${PROMOTER_ANSWER}) - count(*) filter (where ${DETRACTOR_ANSWER})) / nullif(count(*), 0))::int as nps
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
