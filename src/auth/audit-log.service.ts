// The audit log: an append-only record of admin actions, read newest first.
import { ensure } from '../infra/errors';
import { checkStrings, labelFilter } from '../infra/input';
import { byTimeThenId, ConnectionResult, keysetPage } from '../infra/pagination';
import { Db, query } from '../infra/sql';
import type { AuditLogEntry, AuditLogArgs } from './audit-log.types';

/**
 * Every action the log records (README "Audit log"). A filter naming another matches nothing ever, so
 * it is refused as the typo it is: an empty page would read as "nobody did that".
 */
export const AUDIT_ACTIONS = [
  'apiKey.create',
  'apiKey.revoke',
  'customer.optOut',
  'scoringModel.update',
  'healthScore.refresh',
  'scoring.fullRun',
  'scoringModel.backtest',
  'scoringModel.suggest',
  'scoringModel.preview',
  'destination.create',
  'destination.update',
  'destination.delete',
  'csmContact.set',
  'delivery.redeliver',
  'npsResponse.delete',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditRecord {
  /** A key id, `loopback`, `cli`, `unsubscribe-link` or `delivery-worker`. */
  actor: string;
  action: AuditAction;
  target?: string | null;
  details?: Record<string, unknown> | null;
  clientAddress?: string | null;
}

/** Who acted, for a service that records its own audit entry in its transaction. */
export type AuditActor = Pick<AuditRecord, 'actor' | 'clientAddress'>;

export async function recordAudit(db: Db, record: AuditRecord): Promise<void> {
  await query(db, `insert into audit_log (actor, action, target, details, client_address) values (?, ?, ?, ?::jsonb, ?)`, [
    record.actor,
    record.action,
    record.target ?? null,
    record.details ? JSON.stringify(record.details) : null,
    record.clientAddress ?? null,
  ]);
}

const AUDIT_FIELDS = `a.id::text as id, a.at, a.actor, a.action, a.target, a.details, a.client_address as "clientAddress"`;

export function listAuditLog(db: Db, args: AuditLogArgs): Promise<ConnectionResult<AuditLogEntry>> {
  const where: string[] = [];
  const params: unknown[] = [];
  checkStrings(args, '');
  const action = labelFilter(args.action);
  const actor = labelFilter(args.actor);
  if (action !== null) {
    ensure(
      (AUDIT_ACTIONS as readonly string[]).includes(action),
      `unknown action "${action}": the log records ${AUDIT_ACTIONS.join(', ')}`,
      {
        argument: 'action',
      },
    );
    where.push('a.action = ?::text');
    params.push(action);
  }
  if (actor !== null) {
    where.push('a.actor = ?::text');
    params.push(actor);
  }
  return keysetPage<AuditLogEntry>(db, {
    select: AUDIT_FIELDS,
    from: 'audit_log a',
    where,
    params,
    sortKeys: byTimeThenId('a', 'at'),
    direction: 'desc',
    first: args.first,
    after: args.after,
  });
}
