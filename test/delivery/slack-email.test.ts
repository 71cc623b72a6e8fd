// Slack messages, email over a real SMTP server (smtp-server), the CSM directory, admin templates,
// digests and the weekly cap on customer-facing messages.
import { createKey, post } from '../helpers/auth';
import { enqueueDeliveries } from '../../src/delivery/enqueue-deliveries.sql';
import type { Db } from '../../src/infra/sql';
import { DEFAULT_SCORING_MODEL } from '../../src/scoring/model';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { ReceivedMail, SmtpCatcher, startSmtpCatcher } from '../helpers/smtp';
import { DELIVERY_TEST_ENV, ok, Receiver, scoreNow, seedDecliningAccounts, SIGNING_SECRET, startReceiver, waitFor } from './support';

let server: TestServer;
let slack: Receiver;
let smtp: SmtpCatcher;
type Mail = ReceivedMail;

const CREATE = `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`;
const DELIVERIES = `query($customerId: ID) { outreachLog(customerId: $customerId, first: 50) { edges { node { audience action
  deliveries { status lastError destination { kind name } } } } } }`;

async function destinationId(name: string): Promise<string> {
  const data = await ok(server, '{ destinations(first: 100) { edges { node { id name } } } }');
  return data.destinations.edges.find((e: any) => e.node.name === name).node.id;
}

async function deliveriesOf(customerId: string) {
  const data = await ok(server, DELIVERIES, { customerId });
  return data.outreachLog.edges.flatMap((e: any) =>
    e.node.deliveries.map((d: any) => ({ ...d, audience: e.node.audience, action: e.node.action })),
  );
}

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  slack = await startReceiver();
  server = await startTestServer({
    label: 'slack_email',
    env: { ...DELIVERY_TEST_ENV, SMTP_URL: smtp.url, CUSTOMER_MESSAGES_PER_WEEK: '1' },
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await slack?.stop();
  await smtp?.close();
});

describe('Slack and email destinations', () => {
  it('posts a Slack message with the account, tier change, score, its most negative signals (up to three) and ARR, mentioning the CSM', async () => {
    await ok(
      server,
      `mutation { setCsmContact(input: { owner: "kate", email: "kate@team.example", slackTarget: "U024BE7LH" }) { owner } }`,
    );
    await ok(server, CREATE, {
      input: { kind: 'SLACK', name: 'cs-alerts', url: slack.url, filter: { audience: 'TEAM', playbooks: ['critical', 'at_risk'] } },
    });
    await seedDecliningAccounts(server, ['cust_s1'], { arrCents: 12_000_000 });
    await scoreNow(server, ['cust_s1']);
    await waitFor(
      async () => (await deliveriesOf('cust_s1')).some((d: any) => d.destination.kind === 'SLACK' && d.status === 'DELIVERED'),
      'Slack delivered',
    );
    const message = slack.received[0].body;
    const text = JSON.stringify(message.blocks);
    expect(message.blocks[0].type).toBe('header');
    expect(text).toContain('Account cust_s1');
    expect(text).toContain('healthy → ');
    expect(text).toContain('$120,000');
    expect(text).toContain('<@U024BE7LH>');
    expect(text).toMatch(/\*Score\*\\n\d+ \(was \d+\)/);
    const signals = message.blocks.find((b: any) => b.type === 'context').elements[0].text as string;
    expect(signals.startsWith('Most negative: ')).toBe(true);
    // Up to three, each measured: the silent account's trends, held back while nobody came, are no reading.
    const listed = signals.split('pts)').length - 1;
    expect(listed).toBeGreaterThanOrEqual(1);
    expect(listed).toBeLessThanOrEqual(3);
    expect(signals).toContain('silence');
    expect(message.text).toContain('Account cust_s1');
  });

  it("emails customer-facing actions to the contact address and team alerts to the CSM, with a plain-text part and the admin's template", async () => {
    const created = await ok(server, CREATE, {
      input: { kind: 'EMAIL', name: 'mail', emailFrom: 'cs@vendor.example', filter: { playbooks: ['critical', 'at_risk'] } },
    });
    const changed = await ok(
      server,
      `mutation($id: ID!) { updateDestination(id: $id, input: { emailSubjectTemplate: "Alert for {{customerName}}: score {{score}}" }) { emailSubjectTemplate } }`,
      {
        id: created.createDestination.id,
      },
    );
    expect(changed.updateDestination.emailSubjectTemplate).toBe('Alert for {{customerName}}: score {{score}}');
    const refused = await server.request(
      `mutation($id: ID!) { updateDestination(id: $id, input: { emailTextTemplate: "{{password}}" }) { id } }`,
      { id: created.createDestination.id },
    );
    expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    await seedDecliningAccounts(server, ['cust_e1'], { contactEmail: 'ops@acme.example' });
    await scoreNow(server, ['cust_e1']);
    const emailed = await waitFor(async () => {
      const list = (await deliveriesOf('cust_e1')).filter((d: any) => d.destination.kind === 'EMAIL');
      return list.length > 0 && list.every((d: any) => d.status === 'DELIVERED' || d.status === 'SKIPPED_WEEKLY_CAP') && list;
    }, 'emails delivered');
    const team = smtp.mails.filter((m) => m.to.includes('kate@team.example'));
    const customer = smtp.mails.filter((m) => m.to.includes('ops@acme.example'));
    expect(team.length).toBe(emailed.filter((d: any) => d.audience === 'TEAM' && d.status === 'DELIVERED').length);
    expect(customer.length).toBe(1);
    expect(team[0].raw).toMatch(/Subject: Alert for Account cust_e1: score \d+/);
    expect(team[0].raw).toContain('Content-Type: text/plain');
    expect(team[0].raw).toContain('Content-Type: text/html');
    // CUSTOMER_MESSAGES_PER_WEEK=1: the account's second customer-facing action is not sent.
    const customerFacing = emailed.filter((d: any) => d.audience === 'CUSTOMER');
    expect(customerFacing.length).toBeGreaterThan(1);
    expect(customerFacing.filter((d: any) => d.status === 'DELIVERED').length).toBe(1);
    expect(customerFacing.filter((d: any) => d.status === 'SKIPPED_WEEKLY_CAP').length).toBe(customerFacing.length - 1);
  });

  it('offers unsubscribing in customer-facing emails (List-Unsubscribe: a mail to the sender naming the account), not in team alerts', async () => {
    await ok(server, CREATE, {
      input: { kind: 'EMAIL', name: 'mail-u', emailFrom: 'care@vendor.example', filter: { playbooks: ['critical', 'at_risk'] } },
    });
    await ok(
      server,
      `mutation { setCsmContact(input: { owner: "kate", email: "kate@team.example", slackTarget: "U024BE7LH" }) { owner } }`,
    );
    try {
      await seedDecliningAccounts(server, ['cust_u1'], { contactEmail: 'ops@unsub.example' });
      await scoreNow(server, ['cust_u1']);
      const headersOf = (raw: string) => raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
      const about = () => smtp.mails.filter((m) => m.raw.includes('cust_u1'));
      // CUSTOMER_MESSAGES_PER_WEEK=1: one email reaches the customer, from whichever destination took the week's place.
      const customer = (await waitFor(() => about().find((m) => m.to.includes('ops@unsub.example')), 'the customer email')) as Mail;
      await waitFor(() => about().some((m) => m.to.includes('kate@team.example')), 'the team alerts');
      const team = about().filter((m) => m.to.includes('kate@team.example'));
      const from = /^From: (\S+)\r?$/m.exec(headersOf(customer.raw))?.[1];
      expect(['cs@vendor.example', 'care@vendor.example']).toContain(from);
      expect(headersOf(customer.raw)).toMatch(
        new RegExp(`^List-Unsubscribe: <mailto:${from?.replace(/\./g, '\\.')}\\?subject=unsubscribe%20cust_u1>\r?$`, 'm'),
      );
      for (const alert of team) expect(headersOf(alert.raw)).not.toMatch(/^List-Unsubscribe:/im);
    } finally {
      await ok(server, `mutation { deleteDestination(id: "${await destinationId('mail-u')}") { id } }`);
    }
  });

  it("counts the week's earlier customer messages against the cap, and sends again once the oldest is a week old", async () => {
    await ok(server, CREATE, {
      input: { kind: 'EMAIL', name: 'mail-w', emailFrom: 'cs@vendor.example', filter: { audience: 'CUSTOMER' } },
    });
    // From here on the customer's emails go through mail-w alone: a second email destination taking
    // them would send each message twice (one message of the week, two deliveries).
    await ok(server, `mutation($id: ID!) { updateDestination(id: $id, input: { filter: { audience: TEAM } }) { id } }`, {
      id: await destinationId('mail'),
    });
    const to = 'ops@weekly.example';
    await seedDecliningAccounts(server, ['cust_w1'], { contactEmail: to });
    const customerDeliveries = () =>
      sql<{ id: string; status: string }>(
        server.database,
        `select id::text, status from delivery where customer_id = 'cust_w1' and audience = 'CUSTOMER' order by created_at, id`,
      );
    const settledOnes = async (what: string): Promise<Array<{ id: string; status: string }>> => {
      const rows = await waitFor(async () => {
        const all = await customerDeliveries();
        return all.length > 0 && all.every((r) => r.status === 'DELIVERED' || r.status === 'SKIPPED_WEEKLY_CAP') && all;
      }, what);
      return rows || [];
    };
    // Moves the account's outreach back `actionDays` (past its playbooks' cooldown) and its deliveries back `deliveryDays`.
    const age = async (actionDays: number, deliveryDays: number) => {
      await sql(
        server.database,
        `update outreach_action set created_at = created_at - make_interval(days => $1) where customer_id = 'cust_w1'`,
        [actionDays],
      );
      await sql(server.database, `update delivery set created_at = created_at - make_interval(days => $1) where customer_id = 'cust_w1'`, [
        deliveryDays,
      ]);
    };
    const mailsTo = () => smtp.mails.filter((m) => m.to.includes(to)).length;

    await scoreNow(server, ['cust_w1']);
    const first = await settledOnes('first week settled');
    expect(first.filter((r) => r.status === 'DELIVERED')).toHaveLength(1);
    await waitFor(() => mailsTo() === 1, 'the first email');

    // Three days later the playbooks run again (their cooldown has passed): the week already has its one message.
    await age(8, 3);
    await scoreNow(server, ['cust_w1']);
    const second = await settledOnes('second run settled');
    const secondNew = second.filter((r) => !first.some((f) => f.id === r.id));
    expect(secondNew.length).toBeGreaterThan(0);
    expect(secondNew.every((r) => r.status === 'SKIPPED_WEEKLY_CAP')).toBe(true);

    // Once the delivered message is more than seven days old, one more may go out.
    await age(8, 5);
    await scoreNow(server, ['cust_w1']);
    const third = await settledOnes('third run settled');
    const thirdNew = third.filter((r) => !second.some((f) => f.id === r.id));
    expect(thirdNew.filter((r) => r.status === 'DELIVERED')).toHaveLength(1);
    await waitFor(() => mailsTo() === 2, 'the second email');
  });

  it('lets no upsell of the week keep a rescue from the customer, while a rescue of the week caps an upsell', async () => {
    const to = 'ops@upsold.example';
    await seedDecliningAccounts(server, ['cust_upsold'], { contactEmail: to });
    // The expansion play emailed it this week, before its trouble began (one message: the week's cap).
    const expansionDelivered = async (customerId: string) => {
      const [action] = await sql<{ id: string }>(
        server.database,
        `insert into outreach_action (customer_id, playbook, action, audience, channel, trigger, from_tier, to_tier, score, status, message, created_at)
         values ($1, 'expansion', 'referral_request', 'CUSTOMER', 'EMAIL', 'EXPANSION', 'healthy', 'healthy', 96, 'DECIDED', 'Would you refer a peer?', now() - interval '2 days')
         returning id::text`,
        [customerId],
      );
      await sql(
        server.database,
        `insert into delivery (action_id, destination_id, customer_id, audience, status, attempts, created_at, delivered_at)
         select $1, id, $2, 'CUSTOMER', 'DELIVERED', 1, now() - interval '2 days', now() - interval '2 days' from destination where name = 'mail-w'`,
        [action.id, customerId],
      );
    };
    await expansionDelivered('cust_upsold');
    await scoreNow(server, ['cust_upsold']);
    const rescues = await waitFor(async () => {
      const rows = await sql<{ status: string; trigger: string }>(
        server.database,
        `select d.status, o.trigger from delivery d join outreach_action o on o.id = d.action_id
         where d.customer_id = 'cust_upsold' and d.audience = 'CUSTOMER' and o.trigger <> 'EXPANSION'`,
      );
      return rows.length > 0 && rows.every((r) => r.status === 'DELIVERED' || r.status === 'SKIPPED_WEEKLY_CAP') && rows;
    }, 'the rescue settled');
    expect((rescues || []).filter((r) => r.status === 'DELIVERED')).toHaveLength(1);
    await waitFor(() => smtp.mails.filter((m) => m.to.includes(to)).length === 1, 'the rescue email');

    // The other way round, the week's rescue caps an upsell (the cap is read when the action is decided).
    const [upsell] = await sql<{ id: string }>(
      server.database,
      `insert into outreach_action (customer_id, playbook, action, audience, channel, trigger, from_tier, to_tier, score, status, message)
       values ('cust_upsold', 'expansion', 'referral_request', 'CUSTOMER', 'EMAIL', 'EXPANSION', 'healthy', 'healthy', 96, 'DECIDED', 'Refer a peer?')
       returning id::text`,
    );
    await enqueueDeliveries(server.app.orm.em.fork() as unknown as Db, [upsell.id], { perWeek: 1, tiers: DEFAULT_SCORING_MODEL.tiers });
    const [capped] = await sql<{ status: string }>(server.database, `select status from delivery where action_id = $1`, [upsell.id]);
    expect(capped.status).toBe('SKIPPED_WEEKLY_CAP');
  });

  it('neither counts nor caps a customer-facing action posted to Slack: the team channel never reaches the customer', async () => {
    const channel = await startReceiver();
    try {
      await ok(server, CREATE, { input: { kind: 'SLACK', name: 'customer-plays', url: channel.url, filter: { audience: 'CUSTOMER' } } });
      await seedDecliningAccounts(server, ['cust_k1'], { contactEmail: 'ops@k1.example' });
      await scoreNow(server, ['cust_k1']);
      const settled = await waitFor(async () => {
        const list = (await deliveriesOf('cust_k1')).filter((d: any) => d.audience === 'CUSTOMER');
        return list.length > 0 && list.every((d: any) => d.status === 'DELIVERED' || d.status === 'SKIPPED_WEEKLY_CAP') && list;
      }, 'customer-facing deliveries settled');
      const posted = settled.filter((d: any) => d.destination.name === 'customer-plays');
      const emailed = settled.filter((d: any) => d.destination.kind === 'EMAIL');
      // Every customer-facing action is posted to the team; of the emails, the cap's one goes out.
      expect(posted.length).toBeGreaterThan(1);
      expect(posted.every((d: any) => d.status === 'DELIVERED')).toBe(true);
      expect(emailed.filter((d: any) => d.status === 'DELIVERED')).toHaveLength(1);
      expect(emailed.filter((d: any) => d.status === 'SKIPPED_WEEKLY_CAP')).toHaveLength(emailed.length - 1);
    } finally {
      await channel.stop();
    }
  });

  it('counts no email to a customer without a contact address against the cap: it cannot reach them, and a webhook may', async () => {
    const crm = await startReceiver(SIGNING_SECRET);
    try {
      await ok(server, CREATE, {
        input: { kind: 'EMAIL', name: 'mail-n', emailFrom: 'cs@vendor.example', filter: { audience: 'CUSTOMER' } },
      });
      await ok(server, CREATE, {
        input: { kind: 'WEBHOOK', name: 'crm', url: crm.url, signingSecret: SIGNING_SECRET, filter: { audience: 'CUSTOMER' } },
      });
      // An empty contact address is stored as none.
      await seedDecliningAccounts(server, ['cust_n1'], { contactEmail: '' });
      await scoreNow(server, ['cust_n1']);
      const settled = await waitFor(async () => {
        // (Other tests' Slack destinations, their receivers stopped, are left out.)
        const list = (await deliveriesOf('cust_n1')).filter((d: any) => d.audience === 'CUSTOMER' && d.destination.kind !== 'SLACK');
        return list.length > 0 && list.every((d: any) => ['DELIVERED', 'SKIPPED_WEEKLY_CAP', 'DEAD'].includes(d.status)) && list;
      }, 'customer-facing deliveries settled');
      const emailed = settled.filter((d: any) => d.destination.kind === 'EMAIL');
      const posted = settled.filter((d: any) => d.destination.name === 'crm');
      // CUSTOMER_MESSAGES_PER_WEEK=1: the week's one message goes to the CRM (the doomed email took it).
      expect(posted.filter((d: any) => d.status === 'DELIVERED')).toHaveLength(1);
      expect(posted.filter((d: any) => d.status === 'SKIPPED_WEEKLY_CAP')).toHaveLength(posted.length - 1);
      // Each email is tried and found to have no address, none held back by the cap.
      expect(emailed.length).toBeGreaterThan(0);
      expect(emailed.every((d: any) => d.status === 'DEAD' && d.lastError === 'the customer has no contactEmail')).toBe(true);
    } finally {
      for (const name of ['mail-n', 'crm']) await ok(server, `mutation { deleteDestination(id: "${await destinationId(name)}") { id } }`);
      await crm.stop();
    }
  });

  it('takes a contact address on upsertCustomer and refuses one that is not an address, writing nothing', async () => {
    const stored = await ok(
      server,
      `mutation { upsertCustomer(input: { id: "cust_c1", name: "Contact", contactEmail: " ops@contact.example " }) { contactEmail } }`,
    );
    expect(stored.upsertCustomer.contactEmail).toBe('ops@contact.example');
    const refused = await server.request(
      `mutation { upsertCustomer(input: { id: "cust_c2", name: "Bad", contactEmail: "ops@contact.example, ceo@contact.example" }) { id } }`,
    );
    expect(refused.errors?.[0].extensions).toEqual(expect.objectContaining({ code: 'BAD_USER_INPUT', argument: 'contactEmail' }));
    const missing = await server.request(`{ customer(id: "cust_c2") { id } }`);
    expect(missing.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('takes a sender name in emailFrom (Name <address>), stored bare, and refuses one that could add a header', async () => {
    const created = await ok(server, `mutation($input: DestinationInput!) { createDestination(input: $input) { id emailFrom } }`, {
      input: { kind: 'EMAIL', name: 'named-sender', emailFrom: ' "healthgraph alerts"  <alerts@vendor.example> ', paused: true },
    });
    try {
      expect(created.createDestination.emailFrom).toBe('healthgraph alerts <alerts@vendor.example>');
      const id = created.createDestination.id;
      const update = (emailFrom: string) =>
        server.request<any, Record<string, unknown>>(
          `mutation($id: ID!, $emailFrom: String) { updateDestination(id: $id, input: { emailFrom: $emailFrom }) { emailFrom } }`,
          {
            id,
            emailFrom,
          },
        );
      expect((await update('Zoë & Co <zoe@vendor.example>')).data?.updateDestination.emailFrom).toBe('Zoë & Co <zoe@vendor.example>');
      for (const refused of [
        'Team\r\nBcc: spy@evil.example <team@vendor.example>',
        'A "quoted" name <team@vendor.example>',
        'Team <not an address>',
        'Team <team@vendor.example',
        'team@vendor.example, spy@evil.example',
      ]) {
        const answer = await update(refused);
        expect(answer.errors?.[0].extensions).toEqual(expect.objectContaining({ code: 'BAD_USER_INPUT', argument: 'emailFrom' }));
      }
      // A name showing nothing leaves the address alone.
      expect((await update(' <team@vendor.example>')).data?.updateDestination.emailFrom).toBe('team@vendor.example');
    } finally {
      await ok(server, `mutation { deleteDestination(id: "${created.createDestination.id}") { id } }`);
    }
  });

  it('marks an email with no one to send it to DEAD at once, with the reason', async () => {
    await seedDecliningAccounts(server, ['cust_e2'], { csmOwner: 'nobody', contactEmail: '' });
    await scoreNow(server, ['cust_e2']);
    const dead = await waitFor(async () => {
      const list = (await deliveriesOf('cust_e2')).filter((d: any) => d.destination.kind === 'EMAIL' && d.audience === 'TEAM');
      return list.length > 0 && list.every((d: any) => d.status === 'DEAD') && list;
    }, 'dead deliveries');
    expect(dead[0].lastError).toContain('no email for the CSM');
  });

  it("collects a digest destination's actions into one message per CSM", async () => {
    const digest = await startReceiver();
    try {
      const created = await ok(server, CREATE, {
        input: {
          kind: 'SLACK',
          name: 'expansion digest',
          url: digest.url,
          digestSeconds: 5,
          filter: { audience: 'TEAM', csmOwner: 'omar' },
        },
      });
      await seedDecliningAccounts(server, ['cust_d1', 'cust_d2', 'cust_d3'], { csmOwner: 'omar' });
      await scoreNow(server, ['cust_d1', 'cust_d2', 'cust_d3']);
      const all = async () =>
        (await Promise.all(['cust_d1', 'cust_d2', 'cust_d3'].map(deliveriesOf)))
          .flat()
          .filter((d: any) => d.destination.name === 'expansion digest');
      await waitFor(async () => (await all()).every((d: any) => d.status === 'DELIVERED'), 'digest delivered');
      const count = (await all()).length;
      expect(count).toBeGreaterThan(3);
      // A digest takes every action decided within its 5 s from its first one (and any more before it
      // is sent): no more digests than such windows, counted from when the deliveries were written (one
      // window for scorings that follow one another quickly, more where a loaded machine spaces them).
      const written = await sql<{ at: Date }>(
        server.database,
        'select created_at as at from delivery where destination_id = $1 order by created_at',
        [created.createDestination.id],
      );
      let windows = 0;
      let windowEnds = -Infinity;
      for (const { at } of written) {
        if (at.getTime() < windowEnds) continue;
        windows += 1;
        windowEnds = at.getTime() + 5000;
      }
      expect(digest.received.length).toBeLessThanOrEqual(windows);
      // ...and fewer messages than actions: each collects several (an account's actions, at least).
      expect(digest.received.length).toBeLessThan(count);
      expect(digest.received.reduce((sum, r) => sum + JSON.stringify(r.body.blocks).split('"type":"section"').length - 1, 0)).toBe(count);
    } finally {
      await digest.stop();
    }
  });

  it('sends a digest to the CSM it was collected for, even when its accounts have moved to another CSM since', async () => {
    await ok(server, `mutation { setCsmContact(input: { owner: "mira", email: "mira@team.example" }) { owner } }`);
    await ok(server, `mutation { setCsmContact(input: { owner: "noah", email: "noah@team.example" }) { owner } }`);
    const created = await ok(server, CREATE, {
      input: {
        kind: 'EMAIL',
        name: 'mira digest',
        emailFrom: 'cs@vendor.example',
        digestSeconds: 4,
        filter: { audience: 'TEAM', csmOwner: 'mira' },
      },
    });
    const id = created.createDestination.id;
    await seedDecliningAccounts(server, ['cust_dg1', 'cust_dg2'], { csmOwner: 'mira' });
    await scoreNow(server, ['cust_dg1', 'cust_dg2']);
    // Both accounts move to noah while mira's digest is still collecting.
    for (const customer of ['cust_dg1', 'cust_dg2'])
      await ok(server, `mutation($id: ID!) { upsertCustomer(input: { id: $id, name: "Moved", csmOwner: "noah" }) { id } }`, {
        id: customer,
      });
    const statuses = () => sql<{ status: string }>(server.database, 'select status from delivery where destination_id = $1', [id]);
    await waitFor(async () => {
      const rows = await statuses();
      return rows.length > 0 && rows.every((row) => row.status !== 'PENDING' && row.status !== 'RETRYING');
    }, 'digest sent');
    expect(new Set((await statuses()).map((row) => row.status))).toEqual(new Set(['DELIVERED']));
    const digests = smtp.mails.filter((mail) => /Subject: \d+ outreach actions? for (mira|noah)/.test(mail.raw));
    expect(digests.map((mail) => mail.to)).toEqual([['mira@team.example']]);
    expect(digests[0].raw).toMatch(/Subject: \d+ outreach actions? for mira/);
  });

  it('names the kind that takes no such setting with the right article: an EMAIL destination, a SLACK one', async () => {
    const refusal = async (input: string) => (await server.request(`mutation { createDestination(input: ${input}) { id } }`)).errors?.[0];
    const email = await refusal('{ kind: EMAIL, name: "e", emailFrom: "cs@vendor.example", url: "https://a.example/hooks" }');
    expect(email?.extensions).toEqual(expect.objectContaining({ code: 'BAD_USER_INPUT', argument: 'url' }));
    expect(email?.message).toBe('an EMAIL destination takes no url (only WEBHOOK and SLACK do)');
    const slackWithEmail = await refusal('{ kind: SLACK, name: "s", url: "https://hooks.slack.com/x", emailTo: "x@y.example" }');
    expect(slackWithEmail?.message).toBe('a SLACK destination takes no emailTo (only EMAIL does)');
  });

  it('refuses destination changes without the admin scope', async () => {
    const admin = await createKey(server, ['admin']);
    const reader = await createKey(server, ['read'], admin.key);
    const refused = await post(
      server.url,
      `mutation { createDestination(input: { kind: SLACK, name: "x", url: "https://hooks.slack.com/services/T/B/X" }) { id } }`,
      undefined,
      reader.key,
    );
    expect((refused.body as any).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const allowed = await post(server.url, `{ deliverySummary { total { status count } } }`, undefined, reader.key);
    expect((allowed.body as any).errors).toBeUndefined();
  });
});
