// The outreach log. Nothing in the graph creates outreach: the scoring engine decides on playbook
// actions and writes them here with `insertOutreachActions` (one statement per batch, inside its
// own transaction when it has one); the graph only reads the log.
import { addTimeRange } from '../infra/time-range';
import { addCustomerSegment, checkCustomerId } from '../customers/customer.service';
import { ColumnMap, selectColumns } from '../infra/columns';
import { InvalidInputError } from '../infra/errors';
import { checkStrings, labelFilter } from '../infra/input';
import { LatestChildSpec, LoaderRegistry, loadChildPage, loadLatestChild, projectedLatestChild } from '../infra/loaders';
import { ConnectionResult, keysetPage, SortKey } from '../infra/pagination';
import { Db, json, query } from '../infra/sql';
import { cutText } from '../infra/text-rules';
import { checkModelKeys } from '../scoring/scoring-model.service';
import {
  CustomerOutreachArgs,
  MAX_MESSAGE_LENGTH,
  OutreachAction,
  OutreachAudience,
  OutreachLogArgs,
  OutreachStatus,
  OutreachStatusValue,
} from './outreach.types';

/** An outreach_action row, by GraphQL field. */
const OUTREACH_COLUMN_MAP: ColumnMap = {
  id: 'o.id::text',
  customerId: 'o.customer_id',
  playbook: 'o.playbook',
  action: 'o.action',
  audience: 'o.audience',
  channel: 'o.channel',
  trigger: 'o.trigger',
  fromTier: 'o.from_tier',
  toTier: 'o.to_tier',
  score: 'o.score',
  status: 'o.status',
  escalation: 'o.escalation',
  message: 'o.message',
  createdAt: 'o.created_at',
};

export const OUTREACH_COLUMNS = selectColumns(OUTREACH_COLUMN_MAP);

/** Newest first; the id breaks ties between actions logged by the same statement. */
const NEWEST_FIRST: SortKey[] = [
  { expression: 'o.created_at', type: 'timestamptz' },
  { expression: 'o.id', type: 'bigint' },
];

/** An action to log, as the scoring engine plans it (a `PlannedAction` plus who and why). */
export interface NewOutreachAction {
  customerId: string;
  playbook: string;
  action: string;
  audience: `${OutreachAudience}`;
  /** EMAIL, IN_APP, SLACK or CRM_TASK. */
  channel: string;
  /** TIER_WORSENED, SCORE_DROP, CRITICAL, AT_RISK_DECLINING, SILENCE or EXPANSION. */
  trigger: string;
  /** The tier the message names as the one before (PlannedAction.fromTier); null when it names none. */
  fromTier?: string | null;
  toTier?: string | null;
  score?: number | null;
  /**
   * The score before `score` that the message shows after "was" (PlannedAction.previousScore); null
   * without one. Deliveries carry it as it was decided.
   */
  previousScore?: number | null;
  status: `${OutreachStatus}`;
  /** Default false. */
  escalation?: boolean;
  message?: string | null;
  /** Default: the database's now() (an as-of backfill passes its asOf). */
  createdAt?: Date | null;
}

/** The status a filter of the graph asks for, as rows hold it: LOGGED is DECIDED's former name. */
export function storedOutreachStatus(status: OutreachStatusValue): OutreachStatus {
  return status === OutreachStatusValue.LOGGED ? OutreachStatus.DECIDED : status;
}

const AUDIENCES = new Set<string>(Object.values(OutreachAudience));
const STATUSES = new Set<string>(Object.values(OutreachStatus));

/** Throws BAD_USER_INPUT for item `index`; the message is only built when something is wrong. */
function invalid(index: number, argument: string, problem: string): never {
  throw new InvalidInputError(`actions[${index}].${argument} ${problem}`, { index, argument });
}

/** An outreach_action row as it is written: checked, trimmed, with SQL's nulls. */
interface OutreachRow {
  customer_id: string;
  playbook: string;
  action: string;
  audience: OutreachAudience;
  channel: string;
  trigger: string;
  from_tier: string | null;
  to_tier: string | null;
  score: number | null;
  previous_score: number | null;
  status: OutreachStatus;
  escalation: boolean;
  message: string | null;
  created_at: string | null;
}

function toOutreachRow(action: NewOutreachAction, index: number): OutreachRow {
  const text = (value: string | null | undefined, name: string): string => {
    const trimmed = (value ?? '').trim();
    return trimmed.length > 0 ? trimmed : invalid(index, name, 'must not be empty');
  };
  if (!AUDIENCES.has(action.audience)) invalid(index, 'audience', 'must be CUSTOMER or TEAM');
  if (!STATUSES.has(action.status)) invalid(index, 'status', `must be one of ${[...STATUSES].join(', ')}`);
  if (action.score != null && !Number.isInteger(action.score)) invalid(index, 'score', 'must be an integer');
  if (action.previousScore != null && !Number.isInteger(action.previousScore)) invalid(index, 'previousScore', 'must be an integer');
  if (action.createdAt != null && Number.isNaN(action.createdAt.getTime())) invalid(index, 'createdAt', 'is not a valid date-time');
  return {
    customer_id: checkCustomerId(action.customerId),
    playbook: text(action.playbook, 'playbook'),
    action: text(action.action, 'action'),
    audience: action.audience as OutreachAudience,
    channel: text(action.channel, 'channel'),
    trigger: text(action.trigger, 'trigger'),
    from_tier: action.fromTier ?? null,
    to_tier: action.toTier ?? null,
    score: action.score ?? null,
    previous_score: action.previousScore ?? null,
    status: action.status as OutreachStatus,
    escalation: action.escalation ?? false,
    message: action.message == null ? null : cutText(action.message, MAX_MESSAGE_LENGTH),
    created_at: action.createdAt?.toISOString() ?? null,
  };
}

/**
 * Logs many actions in one statement and returns them, with their ids, in the order given.
 * Runs in `db`'s transaction when it has one, so a scoring batch and its outreach commit together.
 * Throws BAD_USER_INPUT (with the item's `index`) before writing anything if an action is malformed;
 * an unknown customer fails the statement on its foreign key.
 */
export async function insertOutreachActions(db: Db, actions: readonly NewOutreachAction[]): Promise<OutreachAction[]> {
  if (actions.length === 0) return [];
  const rows = actions.map(toOutreachRow);
  // Only the generated columns come back, in the order of the rows (ids are drawn in that order):
  // the rest of each action is already here, and a scoring batch logs thousands.
  const generated = await query<{ id: string; createdAt: Date | string }>(
    db,
    `with input as (
       select * from rows from (
         json_to_recordset(?::json) as (customer_id text, playbook text, action text, audience text, channel text, trigger text,
                                        from_tier text, to_tier text, score int, previous_score int, status text, escalation boolean,
                                        message text, created_at timestamptz)
       ) with ordinality as x(customer_id, playbook, action, audience, channel, trigger, from_tier, to_tier, score, previous_score,
                              status, escalation, message, created_at, ordinal)
     ), inserted as (
       insert into outreach_action (customer_id, playbook, action, audience, channel, trigger, from_tier, to_tier, score, previous_score,
                                    status, escalation, message, created_at)
       select customer_id, playbook, action, audience, channel, trigger, from_tier, to_tier, score, previous_score, status,
              escalation, message, coalesce(created_at, now())
       from input order by ordinal
       returning id, created_at
     )
     select o.id::text as id, o.created_at as "createdAt" from inserted o order by o.id`,
    [json(rows)],
  );
  return rows.map((row, index) => ({
    id: generated[index].id,
    customerId: row.customer_id,
    playbook: row.playbook,
    action: row.action,
    audience: row.audience,
    channel: row.channel,
    trigger: row.trigger,
    fromTier: row.from_tier,
    toTier: row.to_tier,
    score: row.score,
    status: row.status,
    escalation: row.escalation,
    message: row.message,
    // Raw rows carry timestamps as text; callers in the engine get real Dates.
    createdAt: new Date(generated[index].createdAt),
  }));
}

export async function listOutreachLog(db: Db, args: OutreachLogArgs): Promise<ConnectionResult<OutreachAction>> {
  const customerId = args.customerId == null ? null : checkCustomerId(args.customerId);
  // After the customer id, refused naming its own limit.
  checkStrings(args, '');
  const where: string[] = [];
  const params: unknown[] = [];
  if (customerId !== null) {
    where.push('o.customer_id = ?');
    params.push(customerId);
  }
  if (args.status) {
    where.push('o.status = ?');
    params.push(storedOutreachStatus(args.status));
  }
  if (args.audience) {
    where.push('o.audience = ?');
    params.push(args.audience);
  }
  if (args.deliveryStatus) {
    where.push('o.id in (select d.action_id from delivery d where d.status = ?)');
    params.push(args.deliveryStatus);
  }
  const playbook = labelFilter(args.playbook);
  if (playbook !== null) {
    await checkModelKeys(db, 'playbooks', [playbook], 'playbook');
    where.push('o.playbook = ?');
    params.push(playbook);
  }
  addCustomerSegment(where, params, 'o.customer_id', { csmOwner: args.csmOwner });
  addTimeRange(where, params, 'o.created_at', args.from, args.to);
  return keysetPage<OutreachAction>(db, {
    select: OUTREACH_COLUMNS,
    from: 'outreach_action o',
    where,
    params,
    sortKeys: NEWEST_FIRST,
    direction: 'desc',
    first: args.first,
    after: args.after,
  });
}

/** `Customer.outreach`: one statement per page of customers (plus one for totalCount). */
export function loadCustomerOutreach(
  db: Db,
  loaders: LoaderRegistry,
  customerId: string,
  args: CustomerOutreachArgs,
): Promise<ConnectionResult<OutreachAction>> {
  return loadChildPage<OutreachAction>(db, loaders, customerId, {
    name: 'Customer.outreach',
    select: OUTREACH_COLUMNS,
    from: 'outreach_action o',
    parentColumn: 'o.customer_id',
    where: args.status ? ['o.status = ?'] : [],
    params: args.status ? [storedOutreachStatus(args.status)] : [],
    sortKeys: NEWEST_FIRST,
    direction: 'desc',
    first: args.first,
    after: args.after,
  });
}

/** `Customer.lastOutreachAction` with the columns `fields` asks for (all without it): one statement per page of customers. */
export function lastOutreachActionSpec(fields?: ReadonlyMap<string, unknown>): LatestChildSpec {
  const spec = {
    name: 'Customer.lastOutreachAction',
    from: 'outreach_action o',
    parentColumn: 'o.customer_id',
    orderBy: 'o.created_at desc, o.id desc',
  };
  return projectedLatestChild(spec, OUTREACH_COLUMN_MAP, fields);
}

/** The last outreach action of a customer, with the columns `fields` (the selection) asks for; batched per page. */
export function loadLastOutreachAction(
  db: Db,
  loaders: LoaderRegistry,
  customerId: string,
  fields?: ReadonlyMap<string, unknown>,
): Promise<OutreachAction | null> {
  return loadLatestChild<OutreachAction>(db, loaders, customerId, lastOutreachActionSpec(fields));
}
