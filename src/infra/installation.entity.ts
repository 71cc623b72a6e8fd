// One row naming this installation (its database): see installation.ts.
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'installation' })
export class Installation {
  /** Always true (the default): the table holds one row, the one its migration writes. */
  @PrimaryKey({ type: 'boolean', default: true })
  singleton!: boolean;

  @Property({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt!: Date;
}
