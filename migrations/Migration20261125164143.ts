import { Migration } from '@mikro-orm/migrations';

export class Migration20261125164143 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "nps_response" drop constraint nps_response_score_range;`);

    this.addSql(`alter table "nps_response" add constraint nps_response_score_range check(score between 0 and 10);`);

    this.addSql(`alter table "support_ticket" drop constraint support_ticket_csat_range;`);

    this.addSql(`alter table "support_ticket" add constraint support_ticket_csat_range check(csat_rating is null or csat_rating between 1 and 5);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "nps_response" drop constraint nps_response_score_range;`);

    this.addSql(`alter table "nps_response" add constraint nps_response_score_range check((score >= 0) AND (score <= 10));`);

    this.addSql(`alter table "support_ticket" drop constraint support_ticket_csat_range;`);

    this.addSql(`alter table "support_ticket" add constraint support_ticket_csat_range check((csat_rating IS NULL) OR ((csat_rating >= 1) AND (csat_rating <= 5)));`);
  }

}
