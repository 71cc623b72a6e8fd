// Versioned scoring configuration. Updating the model inserts a new version; exactly one is active.
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'scoring_model' })
@Index({
  name: 'scoring_model_one_active_uq',
  expression: 'create unique index "scoring_model_one_active_uq" on "scoring_model" ("active") where "active"',
})
export class ScoringModel {
  @PrimaryKey({ type: 'integer', autoincrement: false })
  version!: number;

  @Property({ type: 'json' })
  config!: unknown;

  @Property({ type: 'boolean', default: false })
  active = false;

  /**
   * Written by the product as its default (first use, or moving to a newer default), not chosen
   * through `updateScoringModel`: at start-up an active shipped default that differs from the
   * current default is replaced by it. Sending its config through `updateScoringModel` while it is
   * active clears the mark: chosen, not a copy stored under a new version.
   */
  @Property({ type: 'boolean', default: false })
  shippedDefault = false;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
