// The weekly cap counts messages to the customer, not deliveries: with a webhook (to the CRM) and an
// email destination both taking every customer-facing action, one check-in is one message of the
// week, and the critical check-in that a worse tier lets past the cap reaches the customer's mailbox
// as well as the webhook. A real SMTP server and a real HTTP receiver take what is sent.
import { enqueueDeliveries } from '../../src/delivery/enqueue-deliveries.sql';
import { Db, inTransaction, query } from '../../src/infra/sql';
import { DEFAULT_SCORING_MODEL } from '../../src/scoring/model';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { SmtpCatcher, startSmtpCatcher } from '../helpers/smtp';
import { DELIVERY_TEST_ENV, ok, Receiver, scoreNow, seedDecliningAccounts, SIGNING_SECRET, startReceiver, waitFor } from './support';

let server: TestServer;
let crm: Receiver;
let smtp: SmtpCatcher;

const CREATE = `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`;
const CAP = { perWeek: 2, tiers: DEFAULT_SCORING_MODEL.tiers };
const INBOX = 'ops@two-ways.example';

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  crm = await startReceiver(SIGNING_SECRET);
  server = await startTestServer({
    label: 'cap_across_destinations',
    env: { ...DELIVERY_TEST_ENV, SMTP_URL: smtp.url, CUSTOMER_MESSAGES_PER_WEEK: '2' },
  });
  // Neither has a filter: each takes every action, the customer's and the team's.
  await ok(server, CREATE, { input: { kind: 'WEBHOOK', name: 'crm', url: crm.url, signingSecret: SIGNING_SECRET } });
  await ok(server, CREATE, { input: { kind: 'EMAIL', name: 'mail', emailFrom: 'cs@vendor.example', emailTo: 'team@vendor.example' } });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await crm?.stop();
  await smtp?.close();
});

/** The customer-facing deliveries of `customerId` once settled, oldest action first: `tier/action/KIND/sent|skipped`. */
async function settledCustomerDeliveries(customerId: string): Promise<string[]> {
  const rows = await waitFor(async () => {
    const found = await sql<{ tier: string; action: string; kind: string; status: string }>(
      server.database,
      `select o.to_tier as tier, o.action, dst.kind, d.status from delivery d
       join outreach_action o on o.id = d.action_id join destination dst on dst.id = d.destination_id
       where d.customer_id = $1 and d.audience = 'CUSTOMER' order by o.id, dst.kind`,
      [customerId],
    );
    return found.every((row) => row.status === 'DELIVERED' || row.status === 'SKIPPED_WEEKLY_CAP') && found;
  }, 'the customer-facing deliveries settled');
  return (rows || []).map((row) => `${row.tier}/${row.action}/${row.kind}/${row.status === 'DELIVERED' ? 'sent' : 'skipped'}`);
}

/** The at_risk playbook's customer-facing actions for `customerId`, delivered as a scoring batch writes them. */
async function decideAtRisk(customerId: string, actions: string[]): Promise<void> {
  const rows = await sql<{ id: string }>(
    server.database,
    `insert into outreach_action (customer_id, playbook, action, audience, channel, trigger, from_tier, to_tier, status, message)
     select $1, 'at_risk', action, 'CUSTOMER', 'EMAIL', 'TIER_WORSENED', 'healthy', 'at_risk', 'DECIDED',
            'Hi, is there anything we can help with?'
     from unnest($2::text[]) with ordinality as a(action, n) order by n
     returning id::text`,
    [customerId, actions],
  );
  await enqueueDeliveries(
    server.app.orm.em.fork() as unknown as Db,
    rows.map((row) => row.id),
    CAP,
  );
}

const mailsToCustomer = () => smtp.mails.filter((mail) => mail.to.includes(INBOX));
const customerWebhooks = () => crm.received.filter((message) => message.body.data.actions[0].audience === 'CUSTOMER');

describe('the weekly cap with a webhook and an email destination (2 a week)', () => {
  it('counts a message sent both ways once, and sends the critical check-in to the mailbox as well as the webhook', async () => {
    await seedDecliningAccounts(server, ['cust_two_ways'], { contactEmail: INBOX });
    // At risk first: its check-in and offer are the week's two messages, each sent both ways.
    await decideAtRisk('cust_two_ways', ['check_in_email', 'offer']);
    expect(await settledCustomerDeliveries('cust_two_ways')).toEqual([
      'at_risk/check_in_email/EMAIL/sent',
      'at_risk/check_in_email/WEBHOOK/sent',
      'at_risk/offer/EMAIL/sent',
      'at_risk/offer/WEBHOOK/sent',
    ]);
    // Then critical, scored now: the week is full, but critical is worse than at_risk, so its
    // check-in goes to every destination taking it; its offer, a further message, is skipped on both.
    await scoreNow(server, ['cust_two_ways']);
    const week = await settledCustomerDeliveries('cust_two_ways');
    expect(week.filter((delivery) => delivery.startsWith('critical/'))).toEqual([
      'critical/check_in_email/EMAIL/sent',
      'critical/check_in_email/WEBHOOK/sent',
      'critical/offer/EMAIL/skipped',
      'critical/offer/WEBHOOK/skipped',
    ]);
    await waitFor(() => mailsToCustomer().some((mail) => mail.raw.includes('Can we talk this week?')), 'the critical check-in by email');
    await waitFor(
      () => customerWebhooks().some((message) => message.body.data.actions[0].message.includes('Can we talk this week?')),
      'the critical check-in by webhook',
    );

    // Back to at_risk within the week: no tier worse than the week's, so nothing more goes out, either way.
    await decideAtRisk('cust_two_ways', ['check_in_email']);
    expect((await settledCustomerDeliveries('cust_two_ways')).slice(-2)).toEqual([
      'at_risk/check_in_email/EMAIL/skipped',
      'at_risk/check_in_email/WEBHOOK/skipped',
    ]);
    // Three messages reached the customer, each by email and by webhook.
    expect(mailsToCustomer()).toHaveLength(3);
    expect(customerWebhooks()).toHaveLength(3);
  });
});

describe('an email to a customer without a contact address (1 a week)', () => {
  /**
   * In a transaction rolled back at the end (nothing is sent): an at_risk check-in of `customerId`
   * waiting to be emailed (the worker has not reached it yet), then a second action as a scoring batch
   * writes it. What the second action's customer-facing deliveries became, by destination kind.
   */
  async function afterAnEmailWaitingToBeSent(customerId: string): Promise<Record<string, string>> {
    const rolledBack = new Error('rolled back');
    let written: Record<string, string> = {};
    await inTransaction(server.app.orm.em.fork() as unknown as Db, async (tx) => {
      const decide = async (action: string) => {
        const [row] = await query<{ id: string }>(
          tx,
          `insert into outreach_action (customer_id, playbook, action, audience, channel, trigger, from_tier, to_tier, status, message)
           values (?, 'at_risk', ?, 'CUSTOMER', 'EMAIL', 'TIER_WORSENED', 'healthy', 'at_risk', 'DECIDED', 'Hi')
           returning id::text`,
          [customerId, action],
        );
        return row.id;
      };
      const waiting = await decide('check_in_email');
      await query(
        tx,
        `insert into delivery (action_id, destination_id, customer_id, audience, status)
         select ?::bigint, id, ?, 'CUSTOMER', 'PENDING' from destination where kind = 'EMAIL'`,
        [waiting, customerId],
      );
      const next = await decide('offer');
      await enqueueDeliveries(tx, [next], { ...CAP, perWeek: 1 });
      const rows = await query<{ kind: string; status: string }>(
        tx,
        `select dst.kind, d.status from delivery d join destination dst on dst.id = d.destination_id where d.action_id = ?::bigint`,
        [next],
      );
      written = Object.fromEntries(rows.map((row) => [row.kind, row.status]));
      throw rolledBack;
    }).catch((error: unknown) => {
      if (error !== rolledBack) throw error;
    });
    return written;
  }

  it('takes no place of the week while it waits to be sent, as none once DEAD: the webhook carries the next message', async () => {
    // An empty contact address is stored as none.
    await seedDecliningAccounts(server, ['cust_no_address'], { contactEmail: '' });
    expect(await afterAnEmailWaitingToBeSent('cust_no_address')).toEqual({ EMAIL: 'PENDING', WEBHOOK: 'PENDING' });
  });

  it('counts the waiting email once the customer has an address to send it to', async () => {
    await seedDecliningAccounts(server, ['cust_has_address'], { contactEmail: 'ops@has-address.example' });
    expect(await afterAnEmailWaitingToBeSent('cust_has_address')).toEqual({ EMAIL: 'SKIPPED_WEEKLY_CAP', WEBHOOK: 'SKIPPED_WEEKLY_CAP' });
  });
});
