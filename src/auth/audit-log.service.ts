// The audit log: an append-only record of admin actions, read newest first.
import { MAX_LABEL_LENGTH, optionalText } from '../infra/input';
import { byTimeThenId, ConnectionResult, keysetPage } from '../infra/pagination';
import { Db, query } from '../infra/sql';
import type { AuditLogEntry, AuditLogArgs } from './audit-log.types';

export interface AuditRecord {
  /** A key id, `loopback` or `cli`. */
  actor: string;
  action: string;
  target?: string | null;
  details?: Record<string, unknown> | null;
  clientAddress?: string | null;
}

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
  const action = optionalText(args.action, 'action', MAX_LABEL_LENGTH);
  const actor = optionalText(args.actor, 'actor', MAX_LABEL_LENGTH);
  if (action !== null) {
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
