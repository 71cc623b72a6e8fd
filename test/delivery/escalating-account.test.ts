// What a worsening account's team and customer are sent: one alert and one escalation task when two
// playbooks of one scoring decide the same team action, and the weekly cap on customer messages,
// which keeps a worse tier's first message while keeping the week bounded.
import { enqueueDeliveries } from '../../src/delivery/enqueue-deliveries.sql';
import type { Db } from '../../src/infra/sql';
import { DEFAULT_SCORING_MODEL } from '../../src/scoring/model';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { DELIVERY_TEST_ENV, ok, Receiver, scoreNow, seedDecliningAccounts, SIGNING_SECRET, startReceiver } from './support';

let server: TestServer;
let team: Receiver;
let crm: Receiver;

const CREATE = `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`;
const CAP = { perWeek: 2, tiers: DEFAULT_SCORING_MODEL.tiers };

beforeAll(async () => {
  team = await startReceiver();
  crm = await startReceiver(SIGNING_SECRET);
  server = await startTestServer({ label: 'escalating_account', env: { ...DELIVERY_TEST_ENV, CUSTOMER_MESSAGES_PER_WEEK: '2' } });
  await ok(server, CREATE, { input: { kind: 'SLACK', name: 'cs-alerts', url: team.url, filter: { audience: 'TEAM' } } });
  await ok(server, CREATE, {
    input: { kind: 'WEBHOOK', name: 'customer-messages', url: crm.url, signingSecret: SIGNING_SECRET, filter: { audience: 'CUSTOMER' } },
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await team?.stop();
  await crm?.stop();
});

/** Each delivery to the customer of `customerId`, oldest first: its action's tier and name, and its status. */
async function customerDeliveries(customerId: string): Promise<string[]> {
  const rows = await sql<{ toTier: string; action: string; status: string }>(
    server.database,
    `select o.to_tier as "toTier", o.action, d.status from delivery d join outreach_action o on o.id = d.action_id
     where d.customer_id = $1 and d.audience = 'CUSTOMER' order by o.id, d.id`,
    [customerId],
  );
  return rows.map((row) => `${row.toTier}/${row.action}/${row.status === 'SKIPPED_WEEKLY_CAP' ? 'skipped' : 'sent'}`);
}

/** A tier playbook's customer-facing actions decided for `customerId` in `tier`, then their deliveries as a scoring batch writes them. */
async function decide(customerId: string, tier: string, actions = ['check_in_email', 'offer'], cap = CAP): Promise<void> {
  const rows = await sql<{ id: string }>(
    server.database,
    `insert into outreach_action (customer_id, playbook, action, audience, channel, trigger, to_tier, status, message)
     select $1, $2, action, 'CUSTOMER', 'EMAIL', 'TIER_WORSENED', $2, 'DECIDED', 'Hi'
     from unnest($3::text[]) with ordinality as a(action, n) order by n
     returning id::text`,
    [customerId, tier, actions],
  );
  await enqueueDeliveries(
    server.app.orm.em.fork() as unknown as Db,
    rows.map((row) => row.id),
    cap,
  );
}

/** A tier playbook's customer-facing actions for `customerId` in `tier`, delivered `days` ago. */
async function sentDaysAgo(customerId: string, tier: string, actions: string[], days: number): Promise<void> {
  await sql(
    server.database,
    `with sent as (
       insert into outreach_action (customer_id, playbook, action, audience, channel, trigger, to_tier, status, message, created_at)
       select $1, $2, action, 'CUSTOMER', 'EMAIL', 'TIER_WORSENED', $2, 'DECIDED', 'Hi', now() - make_interval(days => $4)
       from unnest($3::text[]) with ordinality as a(action, n) order by n
       returning id)
     insert into delivery (action_id, destination_id, customer_id, audience, status, attempts, created_at, delivered_at)
     select sent.id, d.id, $1, 'CUSTOMER', 'DELIVERED', 1, now() - make_interval(days => $4), now() - make_interval(days => $4)
     from sent cross join destination d where d.name = 'customer-messages' order by sent.id`,
    [customerId, tier, actions, days],
  );
}

async function newCustomer(id: string): Promise<void> {
  await ok(server, `mutation($input: CustomerInput!) { upsertCustomer(input: $input) { id } }`, { input: { id, name: id } });
}

describe('two playbooks in one scoring', () => {
  it('sends a silent critical account’s team one alert and one escalation task, the silence playbook’s logged as duplicates', async () => {
    await seedDecliningAccounts(server, ['cust_twice'], { arrCents: 12_000_000 });
    await scoreNow(server, ['cust_twice']);
    const teamActions = await sql<{ playbook: string; action: string; status: string; deliveries: number }>(
      server.database,
      `select o.playbook, o.action, o.status, (select count(*) from delivery d where d.action_id = o.id)::int as deliveries
       from outreach_action o where o.customer_id = 'cust_twice' and o.audience = 'TEAM' order by o.id`,
    );
    expect(teamActions.map((a) => `${a.playbook}/${a.action}/${a.status}/${a.deliveries}`)).toEqual([
      'critical/csm_alert/DECIDED/1',
      'critical/escalation_flag/DECIDED/1',
      'critical/executive_outreach/DECIDED/1',
      'silence/csm_alert/SUPPRESSED_DUPLICATE/0',
      'silence/escalation_flag/SUPPRESSED_DUPLICATE/0',
    ]);
  });
});

describe('the weekly cap on customer messages (2 a week)', () => {
  it('sends a critical account’s first message though two milder check-ins filled the week', async () => {
    await seedDecliningAccounts(server, ['cust_ladder']);
    // The monitor playbook's two messages went out two days ago.
    await sentDaysAgo('cust_ladder', 'monitor', ['check_in_email', 'success_resources'], 2);
    await scoreNow(server, ['cust_ladder']);
    expect(await customerDeliveries('cust_ladder')).toEqual([
      'monitor/check_in_email/sent',
      'monitor/success_resources/sent',
      'critical/check_in_email/sent',
      'critical/offer/skipped',
    ]);
  });

  it('adds one message per tier worse than the week’s, healthy → monitor → at_risk → critical, and none for an account flapping back', async () => {
    await newCustomer('cust_steps');
    await decide('cust_steps', 'monitor', ['check_in_email', 'success_resources']);
    await decide('cust_steps', 'at_risk');
    await decide('cust_steps', 'critical');
    expect(await customerDeliveries('cust_steps')).toEqual([
      'monitor/check_in_email/sent',
      'monitor/success_resources/sent',
      'at_risk/check_in_email/sent',
      'at_risk/offer/skipped',
      'critical/check_in_email/sent',
      'critical/offer/skipped',
    ]);
    // Flapping within the week: no tier is worse than critical, so nothing more goes out.
    for (const tier of ['monitor', 'at_risk', 'critical', 'at_risk', 'critical']) await decide('cust_steps', tier);
    const week = await customerDeliveries('cust_steps');
    expect(week.filter((d) => d.endsWith('/sent'))).toHaveLength(4);
    expect(week.slice(6).every((d) => d.endsWith('/skipped'))).toBe(true);
  });

  it('bounds a flapping account by the cap and one message per tier above the week’s mildest', async () => {
    await newCustomer('cust_flap');
    // The cap filled at at_risk; each return to a tier already messaged sends nothing, and the first
    // time critical is reached sends its one message.
    for (const tier of ['at_risk', 'monitor', 'at_risk', 'monitor', 'critical', 'at_risk', 'critical']) await decide('cust_flap', tier);
    const week = await customerDeliveries('cust_flap');
    expect(week.filter((d) => d.endsWith('/sent'))).toEqual([
      'at_risk/check_in_email/sent',
      'at_risk/offer/sent',
      'critical/check_in_email/sent',
    ]);
    // However it flaps, a week holds at most the cap and one message per tier worse than the mildest.
    const tiers = DEFAULT_SCORING_MODEL.tiers.length;
    expect(week.filter((d) => d.endsWith('/sent')).length).toBeLessThanOrEqual(CAP.perWeek + tiers - 1);
  });

  it('lets nothing past a cap of 0, and takes a tier the model does not know for the worst', async () => {
    await newCustomer('cust_none');
    await sentDaysAgo('cust_none', 'monitor', ['check_in_email'], 1);
    await decide('cust_none', 'critical', ['check_in_email'], { ...CAP, perWeek: 0 });
    expect(await customerDeliveries('cust_none')).toEqual(['monitor/check_in_email/sent', 'critical/check_in_email/skipped']);

    // Messages decided under an older tier scheme: whether critical is worse than "churning" is not known.
    await newCustomer('cust_older');
    await sentDaysAgo('cust_older', 'churning', ['check_in_email', 'offer'], 1);
    await decide('cust_older', 'critical');
    expect(await customerDeliveries('cust_older')).toEqual([
      'churning/check_in_email/sent',
      'churning/offer/sent',
      'critical/check_in_email/skipped',
      'critical/offer/skipped',
    ]);
  });

  it('counts only the last seven days: a week later the cap applies afresh', async () => {
    await newCustomer('cust_later');
    await sentDaysAgo('cust_later', 'critical', ['check_in_email', 'offer'], 8);
    await decide('cust_later', 'monitor', ['check_in_email', 'success_resources']);
    expect((await customerDeliveries('cust_later')).slice(2)).toEqual(['monitor/check_in_email/sent', 'monitor/success_resources/sent']);
  });
});
