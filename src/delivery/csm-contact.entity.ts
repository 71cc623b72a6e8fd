// The CSM directory: where a CSM owner (the `csmOwner` of their accounts) gets team alerts.
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'csm_contact' })
export class CsmContact {
  @PrimaryKey({ type: 'text' })
  owner!: string;

  @Property({ type: 'text', nullable: true })
  email?: string | null;

  /** A Slack user or channel to mention: `U024BE7LH`, `@kate`, `#cs-emea`. */
  @Property({ type: 'text', nullable: true })
  slackTarget?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date = new Date();
}
