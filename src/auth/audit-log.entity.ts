// One admin action: who (a key id, `loopback` or `cli`), what, on what, and when. Append-only.
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'audit_log' })
@Index({ name: 'audit_log_at_idx', properties: ['at', 'id'] })
@Index({ name: 'audit_log_action_at_idx', properties: ['action', 'at', 'id'] })
@Index({ name: 'audit_log_actor_at_idx', properties: ['actor', 'at', 'id'] })
export class AuditLogEntry {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  at: Date = new Date();

  @Property({ type: 'text' })
  actor!: string;

  /** e.g. `scoringModel.update`, `customer.optOut`, `apiKey.revoke` (audit-log.types.ts). */
  @Property({ type: 'text' })
  action!: string;

  /** What it acted on: a customer id, a key id, a model version. */
  @Property({ type: 'text', nullable: true })
  target?: string | null;

  @Property({ type: 'jsonb', nullable: true })
  details?: Record<string, unknown> | null;

  /** The client's address as the server saw it (a proxy's, behind one). */
  @Property({ type: 'text', nullable: true })
  clientAddress?: string | null;
}
