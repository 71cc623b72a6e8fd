import { Migration } from '@mikro-orm/migrations';

// No statement filters outreach by (customer, playbook): playbook cooldowns are decided in memory
// from the customer's recent actions, read through (customer_id, created_at). The index only cost
// a fifth of the index writes of every outreach row a scoring run logs.
export class Migration20261130154134 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop index "outreach_action_customer_playbook_idx";`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index "outreach_action_customer_playbook_idx" on "outreach_action" ("customer_id", "playbook", "created_at");`);
  }
}
