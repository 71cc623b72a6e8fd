// The demo data set this database holds: one row, written when the demo is first loaded into it
// (demo-seed-record.ts), so that a later load with other options is refused instead of rewriting it.
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'demo_seed' })
export class DemoSeed {
  /** Always true (the default): the table holds one row at most. */
  @PrimaryKey({ type: 'boolean', default: true })
  singleton!: boolean;

  @Property({ type: 'integer' })
  customers!: number;

  @Property({ type: 'integer' })
  days!: number;

  /** The generator's integer seed (a text `--seed` is stored hashed); any integer a JavaScript number holds. */
  @Property({ type: 'double' })
  seed!: number;

  /** The data set's `now`: its signals end there, and every later load regenerates it from this instant. */
  @Property({ type: 'timestamptz' })
  anchoredAt!: Date;

  /** When a load of it last finished; null while the first runs, or after it was interrupted. */
  @Property({ type: 'timestamptz', nullable: true })
  loadedAt!: Date | null;
}
