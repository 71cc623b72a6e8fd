// The migration that cuts outreach messages stored before they were cut on the way in cuts them as
// the service cuts a new one (cutText, 2,000 UTF-16 units): a pair kept whole or dropped whole, an
// emoji counting two, and leaves the shorter ones and those without a message as they are.
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from '../../src/database';
import { cutText } from '../../src/infra/text-rules';
import { MAX_MESSAGE_LENGTH } from '../../src/outreach/outreach.types';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';

let scratch: TestDatabase;
afterAll(async () => scratch?.drop());

it('cuts the stored messages longer than the cap as a new message is cut, and leaves the others', async () => {
  scratch = await createTestDatabase('outreach_message_cut_migration');
  const migrating = await MikroORM.init(ormOptions(scratch.url));
  const messages = [
    'x'.repeat(5000),
    // An emoji across the cut: dropped whole, not halved.
    `${'x'.repeat(MAX_MESSAGE_LENGTH - 1)}😀tail`,
    // Emoji all along: 1,000 of them fill the cap, each two units.
    '😀'.repeat(1500),
    // At the cap in UTF-16 units, though PostgreSQL counts fewer characters: kept whole.
    `${'😀'.repeat(10)}${'x'.repeat(MAX_MESSAGE_LENGTH - 20)}`,
    'short',
    null,
  ];
  try {
    const migrator = migrating.getMigrator();
    await migrator.up({ to: 'Migration20261207094010_scoring_run_left_as_history' });
    await sql(scratch, `insert into customer (id, name) values ('cust_a', 'A')`);
    for (const message of messages) {
      await sql(
        scratch,
        `insert into outreach_action (customer_id, playbook, action, audience, channel, trigger, score, status, message)
         values ('cust_a', 'critical', 'csm_alert', 'TEAM', 'SLACK', 'CRITICAL', 30, 'DECIDED', $1)`,
        [message],
      );
    }
    await migrator.up();
    const stored = await sql<{ message: string | null }>(scratch, 'select message from outreach_action order by id');
    expect(stored.map((row) => row.message)).toEqual(
      messages.map((message) => (message == null ? null : cutText(message, MAX_MESSAGE_LENGTH))),
    );
    expect(stored.map((row) => row.message?.length)).toEqual([2000, 1999, 2000, 2000, 5, undefined]);
  } finally {
    await migrating.close(true);
  }
});
