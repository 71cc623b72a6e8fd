// An API key as stored: never the secret, only its scrypt hash (key-secret.ts). Keys are revoked,
// never deleted, so the audit log's key ids keep pointing at a name and scopes.
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'api_key' })
@Index({ name: 'api_key_created_idx', properties: ['createdAt', 'id'] })
export class ApiKey {
  /** The public part of the key (`hg_<id>_<secret>`). */
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  name!: string;

  /** `read`, `ingest`, `admin` (scopes.ts). */
  @Property({ columnType: 'text[]', type: 'string[]' })
  scopes!: string[];

  /** `scrypt$N$r$p$<salt>$<hash>`. */
  @Property({ type: 'text' })
  secretHash!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  /** Who created it: a key id, `loopback`, or `cli`. */
  @Property({ type: 'text' })
  createdBy!: string;

  /** Updated at most once a minute per key and instance. */
  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date | null;
}
