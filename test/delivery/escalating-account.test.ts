// What a worsening account's team is sent: one alert and one escalation task when two playbooks
// of one scoring decide the same team action.
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { DELIVERY_TEST_ENV, ok, Receiver, scoreNow, seedDecliningAccounts, SIGNING_SECRET, startReceiver } from './support';

let server: TestServer;
let team: Receiver;
let crm: Receiver;

const CREATE = `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`;

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
