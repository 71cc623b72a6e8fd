// The filters every list takes, held to one rule over the real API: a time bound is any instant from
// 1970 on, whatever its year once its offset is applied, and a label filter is trimmed, blank (or
// showing nothing) being no filter.
import type { Db } from '../../src/infra/sql';
import { insertOutreachActions } from '../../src/outreach/outreach.service';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;
const CUSTOMER = 'cust_filters';
const DAY = 86_400_000;

beforeAll(async () => {
  server = await startTestServer({ label: 'list_filters' });
  const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
  await server.gql(`mutation {
    upsertCustomer(input: { id: "${CUSTOMER}", name: "Filters Inc", signedUpAt: "${ago(30)}" }) { id }
    trackEngagement(input: { customerId: "${CUSTOMER}", eventType: "login", occurredAt: "${ago(2)}" }) { id }
    submitNpsResponse(input: { customerId: "${CUSTOMER}", score: 3, comment: "slow", respondedAt: "${ago(2)}" }) { id }
  }`);
  await server.gql(`mutation { refreshHealthScore(customerId: "${CUSTOMER}") { score } }`);
  await server.gql('mutation { refreshAllHealthScores { status } }');
  const db = server.app.orm.em.fork() as Db;
  await insertOutreachActions(
    db,
    ['critical', 'at_risk'].map((playbook) => ({
      customerId: CUSTOMER,
      playbook,
      action: 'csm_alert',
      audience: 'TEAM',
      channel: 'SLACK',
      trigger: 'TIER_WORSENED',
      status: 'DECIDED',
      createdAt: new Date(Date.now() - DAY),
    })),
  );
});
afterAll(() => server?.stop());

describe('a time bound past year 9999 once its offset is applied', () => {
  // 9999-12-31T23:59:59 at −23:59 is 10000-01-01T23:58:59Z; at −00:01, 10000-01-01T00:00:59Z.
  const bounds = ['9999-12-31T23:59:59-23:59', '9999-12-31T23:59:59-00:01'];
  /** Every list and summary filtered by time, each bounded by `bound` (`from:` or `to:`), or by nothing when it is ''. */
  const lists = (bound: string) => `{
    engagementEvents(first: 5 ${bound}) { totalCount }
    npsResponses(first: 5 ${bound}) { totalCount }
    outreachLog(first: 5 ${bound}) { totalCount }
    healthScoreHistory(customerId: "${CUSTOMER}" ${bound}) { totalCount }
    customers(first: 5) { edges { node { id scoreHistory(first: 5 ${bound}) { totalCount } } } }
    npsSummary(customerId: "${CUSTOMER}" ${bound}) { responses }
    deliverySummary(${bound || 'from: "2026-01-01T00:00:00Z"'}) { total { count } }
  }`;

  it.each(bounds)('runs every list and summary bounded by %s: as `to` it holds everything, as `from` nothing', async (bound) => {
    const everything = (await server.gql(lists(''))) as Record<string, unknown>;
    expect(everything).toMatchObject({
      engagementEvents: { totalCount: 1 },
      npsResponses: { totalCount: 1 },
      npsSummary: { responses: 1 },
    });
    expect((await server.gql(lists(`, to: "${bound}"`))) as Record<string, unknown>).toEqual(everything);
    expect((await server.gql(lists(`, from: "${bound}"`))) as Record<string, unknown>).toEqual({
      engagementEvents: { totalCount: 0 },
      npsResponses: { totalCount: 0 },
      outreachLog: { totalCount: 0 },
      healthScoreHistory: { totalCount: 0 },
      customers: { edges: [{ node: { id: CUSTOMER, scoreHistory: { totalCount: 0 } } }] },
      npsSummary: { responses: 0 },
      deliverySummary: { total: [] },
    });
  });

  it.each(bounds)('lists nothing changed since %s', async (bound) => {
    expect(await server.gql(`{ changes(since: "${bound}") { totalCount } tierChanges(since: "${bound}") { totalCount } }`)).toEqual({
      changes: { totalCount: 0 },
      tierChanges: { totalCount: 0 },
    });
  });

  it('still refuses `from` after `to` between two such bounds, naming `from`', async () => {
    const answer = await server.request(`{ npsResponses(from: "${bounds[0]}", to: "${bounds[1]}") { totalCount } }`);
    expect(answer.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'from' });
  });
});

describe('a label filter: trimmed, and blank or showing nothing is no filter', () => {
  it.each([
    ['', 'every action', null],
    ['   ', 'every action', null],
    ['\u200b', 'every action', null],
    [' critical ', "the critical playbook's actions", 'critical'],
    ['critical', "the critical playbook's actions", 'critical'],
  ])('outreachLog(playbook: %j) lists %s', async (playbook, _label, only) => {
    type Log = { edges: Array<{ node: { playbook: string } }> };
    const { all, filtered } = await server.gql<{ all: Log; filtered: Log }, { playbook: string }>(
      'query ($playbook: String) { all: outreachLog(first: 500) { ...log } filtered: outreachLog(first: 500, playbook: $playbook) { ...log } } fragment log on OutreachActionConnection { edges { node { playbook } } }',
      { playbook },
    );
    const playbooks = (log: Log) => log.edges.map((edge) => edge.node.playbook);
    expect(playbooks(all)).toEqual(expect.arrayContaining(['critical', 'at_risk']));
    expect(playbooks(filtered)).toEqual(playbooks(all).filter((key) => only === null || key === only));
  });

  it('still refuses a playbook the model does not have, once trimmed', async () => {
    const answer = await server.request('{ outreachLog(playbook: " nobody ") { totalCount } }');
    expect(answer.errors?.[0]).toMatchObject({
      message: expect.stringContaining('unknown playbook "nobody"'),
      extensions: { code: 'BAD_USER_INPUT', argument: 'playbook' },
    });
  });

  it.each([
    ['', 'every run', null],
    [' \u200b ', 'every run', null],
    [' SUCCEEDED ', 'the succeeded runs', 'SUCCEEDED'],
  ])('scoringRuns(status: %j) lists %s', async (status, _label, only) => {
    type Runs = { edges: Array<{ node: { status: string } }> };
    const { all, filtered } = await server.gql<{ all: Runs; filtered: Runs }, { status: string }>(
      'query ($status: String) { all: scoringRuns(first: 500) { ...runs } filtered: scoringRuns(first: 500, status: $status) { ...runs } } fragment runs on ScoringRunConnection { edges { node { status } } }',
      { status },
    );
    const statuses = (runs: Runs) => runs.edges.map((edge) => edge.node.status);
    expect(statuses(all)).toContain('SUCCEEDED');
    expect(statuses(filtered)).toEqual(statuses(all).filter((value) => only === null || value === only));
  });

  it('still refuses a status that is none of the three, naming it', async () => {
    const answer = await server.request('{ scoringRuns(status: "done") { totalCount } }');
    expect(answer.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'status' });
  });

  it('takes a blank auditLog action or actor as no filter', async () => {
    const { all, blank } = await server.gql<{ all: { totalCount: number }; blank: { totalCount: number } }, never>(
      '{ all: auditLog { totalCount } blank: auditLog(action: " ", actor: "\u200b") { totalCount } }',
    );
    expect(blank.totalCount).toBe(all.totalCount);
    expect(all.totalCount).toBeGreaterThan(0);
  });
});
