// One-click unsubscribe (RFC 8058) from a customer-facing email, over a real SMTP server: the email
// names a signed link, a POST to it (what a mailbox's unsubscribe button sends) opts the account out
// and is audited, and neither opening the link nor a forged one changes anything.
import { createHash, createHmac } from 'node:crypto';
import { unsubscribeUrl } from '../../src/delivery/unsubscribe-link';
import { startTestServer, TestServer } from '../helpers/server';
import { SmtpCatcher, startSmtpCatcher } from '../helpers/smtp';
import { DELIVERY_TEST_ENV, ok, scoreNow, seedDecliningAccounts, waitFor } from './support';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';
let server: TestServer;
let smtp: SmtpCatcher;

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  server = await startTestServer({
    label: 'unsubscribe',
    env: {
      ...DELIVERY_TEST_ENV,
      SMTP_URL: smtp.url,
      UNSUBSCRIBE_BASE_URL: 'https://healthgraph.example.com',
      UNSUBSCRIBE_SECRET: SECRET,
      // The public address is a reverse proxy in front of the service.
      TRUST_PROXY: '127.0.0.1',
    },
  });
  await ok(server, `mutation($input: DestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { kind: 'EMAIL', name: 'care', emailFrom: 'care@vendor.example', filter: { audience: 'CUSTOMER' } },
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await smtp?.close();
});

const headersOf = (raw: string) => raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
const optedOut = async (id: string) =>
  (await ok(server, `query($id: ID!) { customer(id: $id) { communicationOptOut } }`, { id })).customer.communicationOptOut as boolean;

it('opts the account out with a POST to the signed link a customer-facing email carries, and not on opening it', async () => {
  await seedDecliningAccounts(server, ['cust_x1'], { contactEmail: 'ops@x1.example' });
  await scoreNow(server, ['cust_x1']);
  const mail = await waitFor(() => smtp.mails.find((m) => m.to.includes('ops@x1.example')), 'the customer email');
  const headers = headersOf((mail as { raw: string }).raw);
  const list = /^List-Unsubscribe: (.*)$/m.exec(headers)?.[1] ?? '';
  const [link, mailto] = list.split(/,\s*/);
  expect(link).toMatch(/^<https:\/\/healthgraph\.example\.com\/unsubscribe\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+>$/);
  expect(mailto).toBe('<mailto:care@vendor.example?subject=unsubscribe%20cust_x1>');
  expect(headers).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
  // The message itself says how to stop them, in both parts, for a reader whose mail program shows no button.
  const raw = (mail as { raw: string }).raw.replace(/=\r\n/g, '');
  expect(raw).toContain(`To stop these emails: ${link.slice(1, -1)}`);
  expect(raw).toContain(`<a href=3D"${link.slice(1, -1)}">Unsubscribe</a>`);
  // The public address is a proxy in front of the service: the path is what reaches it.
  const path = new URL(link.slice(1, -1)).pathname;
  const local = new URL(path, server.url).toString();

  const opened = await fetch(local);
  expect(opened.status).toBe(200);
  expect(await opened.text()).toContain('<form method="post">');
  expect(await optedOut('cust_x1')).toBe(false);

  const forged = await fetch(local.replace(/\.[A-Za-z0-9_-]+$/, `.${'A'.repeat(43)}`), {
    method: 'POST',
    body: 'List-Unsubscribe=One-Click',
  });
  expect(forged.status).toBe(404);
  const otherAccount = await fetch(
    local.replace(/\/unsubscribe\/[A-Za-z0-9_-]+\./, `/unsubscribe/${Buffer.from('cust_x2').toString('base64url')}.`),
    { method: 'POST', body: 'List-Unsubscribe=One-Click' },
  );
  expect(otherAccount.status).toBe(404);
  expect(await optedOut('cust_x1')).toBe(false);

  const clicked = await fetch(local, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  expect(clicked.status).toBe(200);
  expect(await optedOut('cust_x1')).toBe(true);
  const audit = await ok(server, `{ auditLog(first: 5, action: "customer.optOut") { edges { node { actor target details } } } }`);
  expect(audit.auditLog.edges.map((edge: any) => edge.node)).toEqual([
    { actor: 'unsubscribe-link', target: 'cust_x1', details: { optedOut: true } },
  ]);
});

it('opts out once: the same link POSTed again (a mailbox retrying, a second click, anyone holding the link) changes nothing and adds no audit entry', async () => {
  await ok(server, `mutation { upsertCustomer(input: { id: "cust_again", name: "Again" }) { id } }`);
  const path = new URL(unsubscribeUrl({ baseUrl: 'https://healthgraph.example.com', secret: SECRET }, 'cust_again')).pathname;
  for (let click = 0; click < 3; click++) {
    const clicked = await fetch(new URL(path, server.url), { method: 'POST', body: 'List-Unsubscribe=One-Click' });
    expect(clicked.status).toBe(200);
    expect(await clicked.text()).toContain('You are unsubscribed');
  }
  expect(await optedOut('cust_again')).toBe(true);
  const audit = await ok(server, `{ auditLog(first: 20, action: "customer.optOut") { edges { node { actor target } } } }`);
  expect(audit.auditLog.edges.filter((edge: any) => edge.node.target === 'cust_again')).toHaveLength(1);
});

it('names the account by its name, escaped, and not by its internal id, every time the link is POSTed', async () => {
  await ok(server, `mutation { upsertCustomer(input: { id: "cust_named_9f2", name: "Acme <Labs> & Co" }) { id } }`);
  const path = new URL(unsubscribeUrl({ baseUrl: 'https://healthgraph.example.com', secret: SECRET }, 'cust_named_9f2')).pathname;
  for (let click = 0; click < 2; click++) {
    const page = await (await fetch(new URL(path, server.url), { method: 'POST', body: 'List-Unsubscribe=One-Click' })).text();
    expect(page).toContain('You are unsubscribed: Acme &lt;Labs&gt; &amp; Co will get no more of these emails.');
    expect(page).not.toContain('cust_named_9f2');
  }
  const opened = await (await fetch(new URL(path, server.url))).text();
  expect(opened).not.toContain('cust_named_9f2');
});

it("audits the opt-out under the client's address that the trusted proxy forwarded, as every other audit entry", async () => {
  await ok(server, `mutation { upsertCustomer(input: { id: "cust_proxied", name: "Proxied" }) { id } }`);
  const path = new URL(unsubscribeUrl({ baseUrl: 'https://healthgraph.example.com', secret: SECRET }, 'cust_proxied')).pathname;
  const clicked = await fetch(new URL(path, server.url), {
    method: 'POST',
    headers: { 'x-forwarded-for': '203.0.113.9' },
    body: 'List-Unsubscribe=One-Click',
  });
  expect(clicked.status).toBe(200);
  const audit = await ok(server, `{ auditLog(first: 20, action: "customer.optOut") { edges { node { target clientAddress } } } }`);
  expect(audit.auditLog.edges.map((edge: any) => edge.node).filter((node: any) => node.target === 'cust_proxied')).toEqual([
    { target: 'cust_proxied', clientAddress: '203.0.113.9' },
  ]);
});

it("lets no other page frame the unsubscribe page, and refuses another site's Origin (403) while the page's own button and a mailbox's one-click POST work", async () => {
  const linkOf = async (id: string) => {
    await ok(server, `mutation($id: ID!) { upsertCustomer(input: { id: $id, name: "Framed" }) { id } }`, { id });
    return new URL(new URL(unsubscribeUrl({ baseUrl: 'https://healthgraph.example.com', secret: SECRET }, id)).pathname, server.url);
  };
  const oneClick = (url: URL, origin?: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin ? { origin } : {}) },
      body: 'List-Unsubscribe=One-Click',
    });
  const link = await linkOf('cust_framed');
  const page = await fetch(link);
  expect(page.status).toBe(200);
  expect(page.headers.get('x-frame-options')).toBe('DENY');
  const policy = (page.headers.get('content-security-policy') ?? '').split(';').map((directive) => directive.trim());
  expect(policy).toEqual(expect.arrayContaining(["frame-ancestors 'none'", "form-action 'self'", "default-src 'none'"]));
  // The form's POST carries the page's origin (a browser sends `null` under no-referrer).
  expect(page.headers.get('referrer-policy')).toBe('same-origin');

  // A page on another site (or an opaque origin: a sandboxed frame) changes nothing, nor does it see the page.
  for (const origin of ['https://evil.example', 'null', 'https://healthgraph.example.com.evil.example']) {
    const refused = await oneClick(link, origin);
    expect([origin, refused.status]).toEqual([origin, 403]);
    expect(await refused.text()).toContain('cannot be used from another site');
  }
  expect((await fetch(link, { headers: { origin: 'https://evil.example' } })).status).toBe(403);
  expect(await optedOut('cust_framed')).toBe(false);
  const audit = await ok(server, `{ auditLog(first: 50, action: "customer.optOut") { edges { node { target } } } }`);
  expect(audit.auditLog.edges.filter((edge: any) => edge.node.target === 'cust_framed')).toEqual([]);

  // The page's own button, from the public address of the links (a proxy in front rewriting the Host)…
  expect((await oneClick(link, 'https://healthgraph.example.com')).status).toBe(200);
  expect(await optedOut('cust_framed')).toBe(true);
  // …or from this server's own host; and a mailbox's one-click POST (RFC 8058), which carries no Origin.
  const direct = await linkOf('cust_framed_direct');
  expect((await oneClick(direct, new URL(server.url).origin)).status).toBe(200);
  expect(await optedOut('cust_framed_direct')).toBe(true);
  const mailbox = await linkOf('cust_framed_mailbox');
  expect((await oneClick(mailbox)).status).toBe(200);
  expect(await optedOut('cust_framed_mailbox')).toBe(true);
});

// An id of 200 characters outside ASCII (the longest valid one, 4 UTF-8 bytes each).
const LONG_ID = '😀🌏'.repeat(100);
const LONG_ID_KEY = createHash('sha256').update(LONG_ID).digest('hex').slice(0, 32);
const post = (url: URL | string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
const keyedToken = (key: string) =>
  `k.${key}.${createHmac('sha256', SECRET).update(`healthgraph-unsubscribe-key\0${key}`).digest('base64url')}`;
const searchIds = async (search: string) =>
  (
    await ok(server, `query($search: String) { customers(search: $search, first: 10) { edges { node { id } } } }`, { search })
  ).customers.edges.map((edge: any) => edge.node.id);

it('keeps every header line within 998 characters for the longest non-ASCII id, and its one-click link opts that account out', async () => {
  await seedDecliningAccounts(server, [LONG_ID], { contactEmail: 'ops@long.example' });
  // An account whose id begins as LONG_ID does: the key tells them apart.
  await ok(server, `mutation($id: ID!) { upsertCustomer(input: { id: $id, name: "Twin" }) { id } }`, { id: `${LONG_ID.slice(0, -2)}🙂` });
  await scoreNow(server, [LONG_ID]);
  const mail = await waitFor(() => smtp.mails.find((m) => m.to.includes('ops@long.example')), 'the customer email');
  const raw = (mail as { raw: string }).raw;
  const rawHeaders = raw.slice(0, raw.indexOf('\r\n\r\n'));
  for (const line of rawHeaders.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
  const list = /^List-Unsubscribe: (.*)$/m.exec(headersOf(raw))?.[1] ?? '';
  const [link, mailto] = list.split(/,\s*/);
  expect(link).toMatch(new RegExp(`^<https://healthgraph\\.example\\.com/unsubscribe/k\\.${LONG_ID_KEY}\\.[A-Za-z0-9_-]{43}>$`));
  // The mail's subject names the account by its beginning and its key, which a search finds.
  expect(decodeURIComponent(mailto)).toBe(`<mailto:care@vendor.example?subject=unsubscribe ${'😀🌏'.repeat(6)}… ${LONG_ID_KEY}>`);
  expect(await searchIds(LONG_ID_KEY.toUpperCase())).toEqual([LONG_ID]);
  expect(await searchIds('😀🌏'.repeat(6))).toHaveLength(2);

  const local = new URL(new URL(link.slice(1, -1)).pathname, server.url);
  expect(await optedOut(LONG_ID)).toBe(false);
  // An altered signature, and another key under this link's signature, are not the service's links.
  expect((await post(local.toString().replace(/.$/, (last) => (last === 'A' ? 'B' : 'A')))).status).toBe(404);
  const twinKey = createHash('sha256')
    .update(`${LONG_ID.slice(0, -2)}🙂`)
    .digest('hex')
    .slice(0, 32);
  expect((await post(local.toString().replace(LONG_ID_KEY, twinKey))).status).toBe(404);
  // A signed key that is no account's.
  expect((await post(new URL(`/unsubscribe/${keyedToken('0'.repeat(32))}`, server.url))).status).toBe(404);
  expect(await optedOut(LONG_ID)).toBe(false);

  const clicked = await post(local);
  expect(clicked.status).toBe(200);
  expect(await optedOut(LONG_ID)).toBe(true);
  expect(await optedOut(`${LONG_ID.slice(0, -2)}🙂`)).toBe(false);
  const audit = await ok(server, `{ auditLog(first: 20, action: "customer.optOut") { edges { node { actor target } } } }`);
  expect(audit.auditLog.edges.map((edge: any) => edge.node).filter((node: any) => node.target === LONG_ID)).toEqual([
    { actor: 'unsubscribe-link', target: LONG_ID },
  ]);
});

it('still honours a link of the earlier form for a long id (the whole id in the token), as sent before links were shortened', async () => {
  const id = '漢'.repeat(200);
  await ok(server, `mutation($id: ID!) { upsertCustomer(input: { id: $id, name: "Old link" }) { id } }`, { id });
  const signature = createHmac('sha256', SECRET).update(`healthgraph-unsubscribe\0${id}`).digest('base64url');
  const clicked = await post(new URL(`/unsubscribe/${Buffer.from(id).toString('base64url')}.${signature}`, server.url));
  expect(clicked.status).toBe(200);
  expect(await optedOut(id)).toBe(true);
});
