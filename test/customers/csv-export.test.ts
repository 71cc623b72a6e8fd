// CSV downloads of the customer list and the worklist: the graph's filters, every row (paged on the
// server), safe cells, and the same protection as the API.
import type http from 'node:http';
import { get as httpGet } from 'node:http';
import { PassThrough } from 'node:stream';
import { exportCustomers } from '../../src/exports/csv-export';
import type { Db } from '../../src/infra/sql';
import { sql } from '../helpers/database';
import { createKey, waitUntil } from '../helpers/auth';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;
const base = () => server.app.url.replace(/\/graphql$/, '');

async function download(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string | null; body: string }> {
  const response = await fetch(`${base()}${path}`, { headers });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

/** The rows of a CSV document, each an array of cells (RFC 4180: a quoted cell may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted && char === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (!quoted && char === ',') {
      row.push(cell);
      cell = '';
    } else if (!quoted && char === '\r' && text[i + 1] === '\n') {
      rows.push([...row, cell]);
      row = [];
      cell = '';
      i++;
    } else {
      cell += char;
    }
  }
  return rows;
}

/** Each data row of a CSV document by its header's column names. */
function records(text: string): Array<Record<string, string>> {
  const [header, ...rows] = parseCsv(text);
  return rows.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i]])));
}

const CUSTOMER_HEADER = 'id,name,plan,arr_cents,seats,csm_owner,health_score,tier,trend,lifecycle_stage,last_activity_at,churned_at';
const CONTACT_AND_CHURN_HEADER = 'communication_opt_out,contact_email,churn_reason,signed_up_at';

beforeAll(async () => {
  server = await startTestServer({ label: 'csv_export', env: { RESCORE_DEBOUNCE_MS: '0' } });
  // One set-based insert (a statement per row on a connection each is minutes on a loaded machine).
  await sql(
    server.database,
    `insert into customer (id, name, csm_owner, arr_cents, tier, lifecycle_stage, health_score)
     select 'cust_csv_' || lpad(i::text, 4, '0'),
            case i when 0 then 'Acme, "Quoted" Inc.' when 1 then '=HYPERLINK("http://evil.example")'
                   when 2 then 'ww;=cmd|'' /C calc''!A0;@SUM(1+1)' else 'Customer ' || i end,
            case when i % 3 = 0 then 'Kate' else 'Omar' end,
            100000 + i,
            case when i % 10 = 0 then 'critical' else 'healthy' end,
            'ACTIVE',
            case when i % 10 = 0 then 20 else 90 end
     from generate_series(0, 1202) as i`,
  );
  // The worklist reads each account's latest score too.
  await sql(
    server.database,
    `insert into health_score (customer_id, score, tier, trend, previous_score, components, signals, penalties, coverage, model_version, as_of)
                              select id, health_score, tier, 'STABLE', health_score, '[]', '[]', '[]', 1, 1, now() from customer where tier = 'critical'`,
  );
  // One of them dropped from 70 on two red flags and a weak signal (stored as the scorer stores them).
  await sql(
    server.database,
    `update health_score set previous_score = 70,
       signals = '[["events_trend","engagement",0.4,0.4,0.2,0.2,8,false],["nps","sentiment",null,null,0.1,0,0,true]]',
       penalties = '[["payment_failures",3,45,true],["team_shrinking",0.3,45,false,true],["detractor",1,25,true]]'
     where customer_id = 'cust_csv_0030'`,
  );
});
afterAll(() => server.stop());

it('downloads every customer of a filter as CSV, across server-side pages, with quoted and defused cells', async () => {
  const all = await download('/export/customers.csv');
  expect(all.status).toBe(200);
  expect(all.type).toBe('text/csv; charset=utf-8');
  const lines = all.body.trimEnd().split('\r\n');
  // The columns added since the first come last: a reader by position keeps the ones it knew.
  expect(lines[0]).toBe(`${CUSTOMER_HEADER},${CONTACT_AND_CHURN_HEADER}`);
  expect(lines).toHaveLength(1 + 1203);
  expect(new Set(lines.slice(1).map((line) => line.split(',')[0])).size).toBe(1203);
  expect(all.body).toContain('cust_csv_0000,"Acme, ""Quoted"" Inc.",');
  expect(all.body).toContain(`cust_csv_0001,"'=HYPERLINK(""http://evil.example"")",`);
  // Quoted, so a spreadsheet splitting at semicolons keeps it one cell.
  expect(all.body).toContain(`cust_csv_0002,"ww;=cmd|' /C calc'!A0;@SUM(1+1)",`);
  const kate = await download('/export/customers.csv?csmOwner=Kate&orderBy=ARR_DESC');
  const rows = kate.body.trimEnd().split('\r\n').slice(1);
  expect(rows).toHaveLength(401);
  expect(rows[0].startsWith('cust_csv_1200,')).toBe(true);
});

it("downloads the worklist, one CSM's if asked, and refuses bad filters with a 400", async () => {
  const worklist = await download('/export/worklist.csv?csmOwner=Kate');
  const rows = worklist.body.trimEnd().split('\r\n').slice(1);
  // Critical accounts are every tenth (i % 10 === 0); Kate's are every third: i % 30 === 0.
  expect(rows).toHaveLength(41);
  expect(rows.every((row) => row.includes(',Kate,'))).toBe(true);
  // After the customer's columns: how far the score fell, and the three reasons that cost it most;
  // then the columns added since, at the end, where a reader by position does not look.
  expect(worklist.body.split('\r\n')[0]).toBe(`${CUSTOMER_HEADER},score_drop,reasons,${CONTACT_AND_CHURN_HEADER}`);
  const byId = new Map(records(worklist.body).map((record) => [record.id, record]));
  expect(byId.get('cust_csv_0030')).toMatchObject({ score_drop: '50', reasons: 'payment_failures −45; detractor −25; events_trend −12' });
  expect(byId.get('cust_csv_0060')).toMatchObject({ score_drop: '0', reasons: '' });
  expect((await download('/export/worklist.csv?tier=critical&lifecycleStage=ACTIVE')).body.trimEnd().split('\r\n')).toHaveLength(1 + 121);
  const healthy = await download('/export/worklist.csv?tier=healthy');
  expect([healthy.status, JSON.parse(healthy.body).errors[0].extensions]).toEqual([400, { code: 'BAD_USER_INPUT', argument: 'tier' }]);
  const refused = await download('/export/customers.csv?orderBy=constructor');
  expect([refused.status, JSON.parse(refused.body).errors[0].extensions.code]).toEqual([400, 'BAD_USER_INPUT']);
});

it('reads its query string as GraphQL reads arguments: empty means not given, twice, not UTF-8 or not percent-encoding is refused', async () => {
  const all = (await download('/export/customers.csv')).body;
  // An empty field of a form, for every filter alike.
  expect((await download('/export/customers.csv?tier=&lifecycleStage=&orderBy=&search=')).body).toBe(all);
  // A filter that shows nothing (a zero-width space, spaces) is blank as a stored label is: no filter.
  expect((await download('/export/customers.csv?tier=%E2%80%8B&csmOwner=%20%E2%80%8D%20&plan=%E2%80%8B')).body).toBe(all);
  const worklist = (await download('/export/worklist.csv')).body;
  expect((await download('/export/worklist.csv?tier=%E2%80%8B&csmOwner=%E2%80%8B')).body).toBe(worklist);
  const blankTier = await server.gql<{ customers: { totalCount: number } }, never>('{ customers(tier: "\\u200b") { totalCount } }');
  expect(blankTier.customers.totalCount).toBe(1203);
  for (const [query, argument] of [
    ['tier=critical&tier=healthy', 'tier'],
    ['search=%ff', 'search'],
    ['lifecycleStage=ACTIVE&lifecycleStage=', 'lifecycleStage'],
  ]) {
    const answer = await download(`/export/customers.csv?${query}`);
    expect([answer.status, JSON.parse(answer.body).errors[0].extensions]).toEqual([400, { code: 'BAD_USER_INPUT', argument }]);
  }
  // A bare `%` is no escape at all, which the message says, rather than blaming UTF-8.
  for (const [query, problem] of [
    ['plan=50%', /not valid percent-encoding.*%25/],
    ['plan=%zz', /not valid percent-encoding/],
    ['plan=%ff', /not valid UTF-8 once percent-decoded/],
  ] as const) {
    const answer = await download(`/export/customers.csv?${query}`);
    const error = JSON.parse(answer.body).errors[0];
    expect([query, answer.status, error.extensions.argument, error.message]).toEqual([query, 400, 'plan', expect.stringMatching(problem)]);
  }
  // Percent-encoded UTF-8 and `+` for a space are read as a browser writes them.
  const omar = await download(`/export/customers.csv?csmOwner=${encodeURIComponent('Omar')}&search=Customer+12`);
  expect(omar.status).toBe(200);
  const rows = omar.body.trimEnd().split('\r\n').slice(1);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) expect(row).toMatch(/^cust_csv_\d+,Customer 12\d*,,\d+,,Omar,/);
});

it('ends when its client goes away while the answer waits to drain, instead of waiting for good', async () => {
  // An answer nobody reads: past its first bytes every write waits for a drain that never comes; then the client goes.
  const response = Object.assign(new PassThrough({ highWaterMark: 1 }), { writeHead: () => response });
  const exported = exportCustomers(server.app.orm.em.fork() as Db, new URLSearchParams(), response as unknown as http.ServerResponse);
  await waitUntil(() => response.writableNeedDrain, 10_000, 'the export waiting for its client');
  response.destroy();
  const outcome = await Promise.race([
    exported.then(() => 'ended'),
    new Promise((resolve) => setTimeout(resolve, 10_000, 'still waiting for a drain')),
  ]);
  expect(outcome).toBe('ended');
});

it('answers only GET and HEAD (and a CORS preflight): another method is 405 with Allow naming them, and runs nothing', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    for (const path of ['/export/customers.csv', '/export/worklist.csv']) {
      const response = await fetch(`${base()}${path}`, { method });
      const body = await response.text();
      expect([method, path, response.status, response.headers.get('allow')]).toEqual([method, path, 405, 'GET, HEAD, OPTIONS']);
      expect(JSON.parse(body).errors[0].extensions.code).toBe('METHOD_NOT_ALLOWED');
    }
  }
  const options = await fetch(`${base()}/export/customers.csv`, { method: 'OPTIONS' });
  expect([options.status, options.headers.get('allow')]).toEqual([204, 'GET, HEAD, OPTIONS']);
  const head = await fetch(`${base()}/export/customers.csv`, { method: 'HEAD' });
  expect([head.status, head.headers.get('content-type')]).toEqual([200, 'text/csv; charset=utf-8']);
});

it('refuses a query parameter the export does not take, as GraphQL refuses an unknown argument', async () => {
  for (const [path, argument] of [
    ['/export/customers.csv?csm_owner=Kate', 'csm_owner'],
    ['/export/customers.csv?tier=critical&first=10', 'first'],
    ['/export/worklist.csv?orderBy=NAME_ASC', 'orderBy'],
    ['/export/worklist.csv?search=Customer', 'search'],
  ]) {
    const answer = await download(path);
    expect([path, answer.status, JSON.parse(answer.body).errors[0].extensions]).toEqual([path, 400, { code: 'BAD_USER_INPUT', argument }]);
  }
});

it('opens with a UTF-8 byte order mark when asked (bom=1), for Excel on Windows, and without one by default', async () => {
  await sql(server.database, `update customer set name = 'Zürich Ünited 株式会社' where id = 'cust_csv_0003'`);
  const bytes = async (path: string) => {
    const response = await fetch(`${base()}${path}`);
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
  };
  const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
  for (const path of ['/export/customers.csv', '/export/worklist.csv']) {
    const plain = await bytes(path);
    expect([path, plain.status, plain.body.subarray(0, 3).equals(BOM)]).toEqual([path, 200, false]);
    expect((await bytes(`${path}?bom=0`)).body.equals(plain.body)).toBe(true);
    for (const query of ['bom=1', 'bom=true']) {
      const marked = await bytes(`${path}?${query}`);
      // The same bytes after the mark.
      expect([path, query, marked.body.subarray(0, 3).equals(BOM), marked.body.subarray(3).equals(plain.body)]).toEqual([
        path,
        query,
        true,
        true,
      ]);
    }
  }
  const customers = (await bytes('/export/customers.csv?bom=1&csmOwner=Kate')).body.toString('utf8');
  expect(customers).toContain(',Zürich Ünited 株式会社,');
  const refused = await download('/export/customers.csv?bom=yes');
  expect([refused.status, JSON.parse(refused.body).errors[0].extensions]).toEqual([400, { code: 'BAD_USER_INPUT', argument: 'bom' }]);
});

it('writes instants as the API does (ISO-8601, UTC)', async () => {
  await sql(
    server.database,
    `update customer set last_activity_at = '2026-11-30T09:15:00.250Z', churned_at = '2026-12-01T00:00:00Z' where id = 'cust_csv_0002'`,
  );
  const all = await download('/export/customers.csv');
  const row = records(all.body).find((record) => record.id === 'cust_csv_0002');
  expect(row).toMatchObject({ last_activity_at: '2026-11-30T09:15:00.250Z', churned_at: '2026-12-01T00:00:00.000Z' });
});

it("ends each account's row with its opt-out, contact email, churn reason and sign-up date, defused as any cell, in both exports", async () => {
  await sql(
    server.database,
    `update customer set communication_opt_out = true, contact_email = 'ops@acme.example', churned_at = '2026-12-02T00:00:00Z',
       churn_reason = E'=moved to a competitor, "cheaper"\nand slower', signed_up_at = '2025-03-01T00:00:00Z' where id = 'cust_csv_0003'`,
  );
  await sql(server.database, `update customer set contact_email = 'cfo@kate.example' where id = 'cust_csv_0030'`);
  const customers = await download('/export/customers.csv');
  const byId = new Map(records(customers.body).map((record) => [record.id, record]));
  expect(byId.get('cust_csv_0003')).toMatchObject({
    communication_opt_out: 'true',
    contact_email: 'ops@acme.example',
    churned_at: '2026-12-02T00:00:00.000Z',
    churn_reason: `'=moved to a competitor, "cheaper"\nand slower`,
    signed_up_at: '2025-03-01T00:00:00.000Z',
  });
  expect(customers.body).toContain(
    `,true,ops@acme.example,"'=moved to a competitor, ""cheaper""\nand slower",2025-03-01T00:00:00.000Z\r\n`,
  );
  expect(byId.get('cust_csv_0004')).toMatchObject({
    communication_opt_out: 'false',
    contact_email: '',
    churn_reason: '',
    signed_up_at: '',
  });
  // The worklist's rows end alike: an account that has not churned, with its contact columns.
  const worklist = records((await download('/export/worklist.csv?csmOwner=Kate')).body);
  expect(worklist.find((record) => record.id === 'cust_csv_0030')).toMatchObject({
    communication_opt_out: 'false',
    contact_email: 'cfo@kate.example',
    churned_at: '',
    churn_reason: '',
  });
});

it('shows no churn reason for an account without a churn date, one stored before the rule included', async () => {
  await sql(server.database, `update customer set churn_reason = 'a note from before' where id = 'cust_csv_0030' and churned_at is null`);
  const customers = records((await download('/export/customers.csv')).body);
  expect(customers.find((record) => record.id === 'cust_csv_0030')).toMatchObject({ churned_at: '', churn_reason: '' });
  const worklist = records((await download('/export/worklist.csv?csmOwner=Kate')).body);
  expect(worklist.find((record) => record.id === 'cust_csv_0030')).toMatchObject({ churned_at: '', churn_reason: '' });
});

it("downloads one plan's accounts from both exports, as the lists filter them", async () => {
  await sql(server.database, `update customer set plan = case when id < 'cust_csv_0100' then 'Scale' else 'Starter' end`);
  const customers = await download('/export/customers.csv?plan=Scale');
  expect(customers.status).toBe(200);
  expect(
    records(customers.body)
      .map((record) => record.id)
      .sort(),
  ).toEqual(Array.from({ length: 100 }, (_, i) => `cust_csv_${String(i).padStart(4, '0')}`).sort());
  const worklist = await download('/export/worklist.csv?plan=Scale&csmOwner=Kate');
  // Critical accounts are every tenth, Kate's every third: i % 30 === 0 below 100.
  expect(
    records(worklist.body)
      .map((record) => record.id)
      .sort(),
  ).toEqual(['cust_csv_0000', 'cust_csv_0030', 'cust_csv_0060', 'cust_csv_0090']);
  const refused = await download('/export/worklist.csv?plan=Scale&plan=Starter');
  expect([refused.status, JSON.parse(refused.body).errors[0].extensions]).toEqual([400, { code: 'BAD_USER_INPUT', argument: 'plan' }]);
});

it('counts a score_drop, and orders the worklist by it, only from a point scored by a version that scores alike', async () => {
  const ok = <T>(query: string, variables?: Record<string, unknown>): Promise<T> => server.gql(query, variables);
  type Model = { version: number; config: { cooldownDays: number; penalties: object[] } & Record<string, unknown> };
  const activate = async (config: object) =>
    (
      await ok<{ updateScoringModel: Model }>('mutation ($c: JSON!) { updateScoringModel(input: { config: $c }) { version config } }', {
        c: config,
      })
    ).updateScoringModel;
  const { scoringModel: first } = await ok<{ scoringModel: Model }>('{ scoringModel { version config } }');
  // The next version changes only a playbook setting; the one after adds a flag no account raises: another way of scoring.
  const edited = await activate({ ...first.config, cooldownDays: first.config.cooldownDays + 1 });
  const neverRaised = { name: 'never_raised', metric: 'open_tickets', windowDays: 30, direction: 'at_least', threshold: 1000, points: 1 };
  const other = await activate({ ...edited.config, penalties: [...edited.config.penalties, neverRaised] });
  // Two critical accounts alike, each from 60 to 20: one across the playbook edit, one across the model change.
  for (const [id, from, to] of [
    ['cust_drop_alike', first.version, edited.version],
    ['cust_drop_model', edited.version, other.version],
  ] as const) {
    await sql(
      server.database,
      `insert into customer (id, name, csm_owner, arr_cents, tier, lifecycle_stage, health_score) values ($1, $1, 'Vera', 500000, 'critical', 'ACTIVE', 20)`,
      [id],
    );
    await sql(
      server.database,
      `insert into health_score (customer_id, score, tier, trend, previous_score, components, signals, penalties, coverage, model_version, as_of)
       values ($1, 60, 'at_risk', 'STABLE', null, '[]', '[]', '[]', 1, $2, now() - interval '2 hours'),
              ($1, 20, 'critical', 'DECLINING', 60, '[]', '[]', '[]', 1, $3, now())`,
      [id, from, to],
    );
  }
  const rows = records((await download('/export/worklist.csv?csmOwner=Vera')).body);
  // The model moved the other account, not the account itself: no drop, as in the trend and `changes`.
  expect(rows.map((row) => [row.id, row.score_drop])).toEqual([
    ['cust_drop_alike', '40'],
    ['cust_drop_model', ''],
  ]);
  // Equal ARR at risk: the latest decline orders them, and only the one across the playbook edit declined.
  const worklist = await ok<{ worklist: { edges: Array<{ node: { id: string } }> } }>(
    '{ worklist(csmOwner: "Vera") { edges { node { id } } } }',
  );
  expect(worklist.worklist.edges.map((edge) => edge.node.id)).toEqual(['cust_drop_alike', 'cust_drop_model']);
});

/** A download read by Node's HTTP client, which says whether the transfer arrived whole (`complete`). */
function downloadWhole(path: string): Promise<{ status: number; complete: boolean; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(`${base()}${path}`, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      // A transfer cut short is reported as an error ('aborted') before 'close'.
      response.on('error', () => undefined);
      response.on('close', () => resolve({ status: response.statusCode ?? 0, complete: response.complete, body }));
    });
    request.on('error', reject);
  });
}

it('cuts the transfer of an export that fails after its first page, so that the download reads as incomplete; a failure before is a 500', async () => {
  // An instant JavaScript cannot write (its row's cells throw), on the last page by ARR (the smallest).
  await sql(server.database, `update customer set last_activity_at = 'infinity' where id = 'cust_csv_0000'`);
  try {
    const cut = await downloadWhole('/export/customers.csv?orderBy=ARR_DESC');
    expect([cut.status, cut.complete]).toEqual([200, false]);
    expect(cut.body.split('\r\n').length).toBeGreaterThan(500);
    const before = await downloadWhole('/export/customers.csv?search=Acme');
    expect([before.status, before.complete, JSON.parse(before.body).errors[0].extensions.code]).toEqual([
      500,
      true,
      'INTERNAL_SERVER_ERROR',
    ]);
    // The server goes on answering, whole.
    const whole = await downloadWhole('/export/customers.csv?search=Customer+12');
    expect([whole.status, whole.complete]).toEqual([200, true]);
  } finally {
    await sql(server.database, `update customer set last_activity_at = null where id = 'cust_csv_0000'`);
  }
});

it('is protected like the API once keys exist: 401 without a key, 403 without the read scope', async () => {
  const admin = await createKey(server, ['admin']);
  const ingest = await createKey(server, ['ingest'], admin.key);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  expect((await download('/export/customers.csv')).status).toBe(401);
  expect((await download('/export/customers.csv', { authorization: `Bearer ${ingest.key}` })).status).toBe(403);
  expect((await download('/export/worklist.csv', { authorization: `Bearer ${admin.key}` })).status).toBe(200);
});
