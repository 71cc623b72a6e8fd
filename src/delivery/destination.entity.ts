// Where outreach goes: a webhook, a Slack incoming webhook or email, with the filter that picks
// the actions it receives. Secrets (URL with token, signing secret) are stored as given and only
// ever answered masked. A deleted destination is kept (its deliveries still name it) but hidden.
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'destination' })
@Index({ name: 'destination_active_idx', properties: ['deletedAt', 'id'] })
export class Destination {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  /** WEBHOOK, SLACK or EMAIL. */
  @Property({ type: 'text' })
  kind!: string;

  @Property({ type: 'text' })
  name!: string;

  /** The webhook or Slack incoming-webhook URL (a secret: it carries the token). */
  @Property({ type: 'text', nullable: true })
  url?: string | null;

  /** Standard Webhooks signing secret, `whsec_…` (WEBHOOK only). */
  @Property({ type: 'text', nullable: true })
  signingSecret?: string | null;

  /** EMAIL: the sender address. */
  @Property({ type: 'text', nullable: true })
  emailFrom?: string | null;

  /** EMAIL: where team alerts go when the CSM directory has no address for the account's owner. */
  @Property({ type: 'text', nullable: true })
  emailTo?: string | null;

  /** EMAIL templates (`{{placeholders}}`); null uses the built-in ones. */
  @Property({ type: 'text', nullable: true })
  emailSubjectTemplate?: string | null;

  @Property({ type: 'text', nullable: true })
  emailTextTemplate?: string | null;

  @Property({ type: 'text', nullable: true })
  emailHtmlTemplate?: string | null;

  // ---- filter: null matches everything ----
  /** CUSTOMER or TEAM. */
  @Property({ type: 'text', nullable: true })
  audience?: string | null;

  @Property({ type: 'text[]', nullable: true })
  playbooks?: string[] | null;

  /** The tier the action was decided in (`toTier`). */
  @Property({ type: 'text[]', nullable: true })
  tiers?: string[] | null;

  @Property({ type: 'text', nullable: true })
  csmOwner?: string | null;

  /** Collect matching actions into one message per CSM every this many seconds; null sends each at once. */
  @Property({ type: 'integer', nullable: true })
  digestSeconds?: number | null;

  @Property({ type: 'boolean', default: false })
  paused = false;

  @Property({ type: 'timestamptz', nullable: true })
  deletedAt?: Date | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date = new Date();
}
