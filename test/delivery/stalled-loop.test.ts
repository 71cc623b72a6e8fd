// A message accepted just as its attempt's time ran out: the SMTP server answered 250 within the
// delivery timeout, but the process was busy (a stalled event loop) until past it, so the timer and
// the reply were both due when the loop came back. The reply counts: the email is DELIVERED after
// one attempt and reaches its recipient once.
import { startTestServer, TestServer } from '../helpers/server';
import { SmtpCatcher, startSmtpCatcher } from '../helpers/smtp';
import { DELIVERY_TEST_ENV, ok, scoreNow, seedDecliningAccounts, waitFor } from './support';

const TIMEOUT_MS = 2000;
let server: TestServer;
let smtp: SmtpCatcher;

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  server = await startTestServer({
    label: 'stalled_loop',
    // One send at a time: the stall is the first message's alone, and no other is on its way then.
    env: { ...DELIVERY_TEST_ENV, SMTP_URL: smtp.url, DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS), DELIVERY_BATCH_CONCURRENCY: '1' },
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await smtp?.close();
});

it('records an email the server accepted as the timeout ran out as DELIVERED after one attempt, and sends it once', async () => {
  await ok(server, `mutation { setCsmContact(input: { owner: "kate", email: "kate@team.example" }) { owner } }`);
  await ok(server, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'EMAIL', name: 'team-mail', emailFrom: 'alerts@vendor.example', filter: { audience: 'TEAM' } },
  });
  await seedDecliningAccounts(server, ['cust_stall']);
  // The server answers the first message 250 at once, then the process is busy past the delivery timeout.
  smtp.stallAfterAcceptingMs = TIMEOUT_MS + 1000;
  await scoreNow(server, ['cust_stall']);
  const deliveries = await waitFor(async () => {
    const data = await ok(
      server,
      `{ outreachLog(customerId: "cust_stall", first: 50) { edges { node { deliveries { id status attempts lastError } } } } }`,
    );
    const list = data.outreachLog.edges.flatMap((edge: any) => edge.node.deliveries);
    return list.length > 0 && list.every((d: any) => d.status !== 'PENDING' && d.status !== 'RETRYING') && list;
  }, 'the deliveries sent');
  expect(smtp.stallAfterAcceptingMs).toBe(0);
  const messageIds = smtp.mails.map((mail) => /^Message-ID: <([^@>]+)@/im.exec(mail.raw)?.[1]);
  const stalled = deliveries.find((d: any) => d.id === messageIds[0]);
  expect(stalled).toEqual({ id: messageIds[0], status: 'DELIVERED', attempts: 1, lastError: null });
  // It reached the server once: it was not sent again.
  expect(messageIds.filter((id) => id === stalled.id)).toHaveLength(1);
  expect(deliveries.every((d: any) => d.status === 'DELIVERED')).toBe(true);
});
