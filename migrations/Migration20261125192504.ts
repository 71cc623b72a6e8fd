import { Migration } from '@mikro-orm/migrations';

// engagement_event keeps its reference to customer set-based instead of with a row-by-row foreign
// key: a per-row check costs a locking index lookup per event (a third of an insert's time, and
// multixacts when concurrent batches share customers). Statement-level triggers do the same job
// with one anti-join per insert statement, and delete a deleted customer's events.
export class Migration20261125192504 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "engagement_event" drop constraint "engagement_event_customer_id_foreign";`);
    this.addSql(`create function engagement_event_check_customers() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from inserted_events i where not exists (select 1 from customer c where c.id = i.customer_id)) then
          raise foreign_key_violation using message = 'engagement_event.customer_id refers to a customer that does not exist';
        end if;
        return null;
      end $$;`);
    this.addSql(`create trigger engagement_event_check_customers after insert on engagement_event
      referencing new table as inserted_events for each statement execute function engagement_event_check_customers();`);
    this.addSql(`create function customer_delete_engagement_events() returns trigger language plpgsql as $$
      begin
        delete from engagement_event e using deleted_customers d where e.customer_id = d.id;
        return null;
      end $$;`);
    this.addSql(`create trigger customer_delete_engagement_events after delete on customer
      referencing old table as deleted_customers for each statement execute function customer_delete_engagement_events();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger customer_delete_engagement_events on customer;`);
    this.addSql(`drop function customer_delete_engagement_events();`);
    this.addSql(`drop trigger engagement_event_check_customers on engagement_event;`);
    this.addSql(`drop function engagement_event_check_customers();`);
    this.addSql(
      `alter table "engagement_event" add constraint "engagement_event_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`,
    );
  }
}
