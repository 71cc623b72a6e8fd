import { Client } from 'pg';
import {
  CustomerNpsDocument,
  DeleteNpsResponseDocument,
  NpsResponsesDocument,
  NpsSummaryDocument,
  SubmitNpsResponseDocument,
} from '../__generated__/graphql';
import type { Db } from '../../src/infra/sql';
import { query, queryOne } from '../../src/infra/sql';
import { useIngestionServer } from '../helpers/ingestion';
import type { TestServer } from '../helpers/server';

const context = useIngestionServer('nps');
const { signalled, createCustomer } = context;
let server: TestServer;
let db: Db;
beforeAll(() => {
  ({ server, db } = context);
});
const storedResponses = (customerId: string) => context.storedRows('nps_response', customerId);
const rescoreRequestedAt = (customerId: string) => context.rescoreRequestedAt(customerId);

async function submitScores(customerId: string, scores: number[], start = Date.parse('2026-03-01T00:00:00Z')): Promise<void> {
  for (const [i, score] of scores.entries()) {
    await server.gql(SubmitNpsResponseDocument, {
      input: { customerId, score, respondedAt: new Date(start + i * 3_600_000).toISOString() },
    });
  }
}

describe('submitNpsResponse', () => {
  it('stores a response, marks the customer for rescoring and signals it', async () => {
    await createCustomer('cust_nps_ok');
    signalled.length = 0;
    const before = Date.now();
    const result = await server.gql(SubmitNpsResponseDocument, {
      input: { customerId: 'cust_nps_ok', score: 9, comment: '  Great? It\'s "fine" ?? really  ', respondent: 'ana@example.com' },
    });
    expect(result.submitNpsResponse).toMatchObject({
      customerId: 'cust_nps_ok',
      score: 9,
      comment: 'Great? It\'s "fine" ?? really',
      respondent: 'ana@example.com',
    });
    const respondedAt = Date.parse(result.submitNpsResponse.respondedAt);
    expect(respondedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(respondedAt).toBeLessThanOrEqual(Date.now() + 1000);
    expect(await rescoreRequestedAt('cust_nps_ok')).not.toBeNull();
    expect(signalled).toHaveLength(1);
  });

  it('keeps an earlier pending rescore request rather than postponing it', async () => {
    await createCustomer('cust_nps_pending');
    await query(db, "insert into rescore_request (customer_id, requested_at) values (?, '2026-01-01T00:00:00Z')", ['cust_nps_pending']);
    await server.gql(SubmitNpsResponseDocument, {
      input: { customerId: 'cust_nps_pending', score: 5, respondedAt: '2026-02-01T10:00:00.000Z' },
    });
    expect((await rescoreRequestedAt('cust_nps_pending'))?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('accepts the bounds 0 and 10 and keeps the given respondedAt', async () => {
    await createCustomer('cust_nps_bounds');
    const low = await server.gql(SubmitNpsResponseDocument, {
      input: { customerId: 'cust_nps_bounds', score: 0, respondedAt: '2026-02-01T10:00:00.000Z' },
    });
    const high = await server.gql(SubmitNpsResponseDocument, { input: { customerId: 'cust_nps_bounds', score: 10, comment: '   ' } });
    expect(low.submitNpsResponse).toMatchObject({ score: 0, respondedAt: '2026-02-01T10:00:00.000Z', comment: null, respondent: null });
    expect(high.submitNpsResponse).toMatchObject({ score: 10, comment: null });
  });

  it('rejects bad input with BAD_USER_INPUT and an unknown customer with NOT_FOUND, writing nothing', async () => {
    await createCustomer('cust_nps_bad');
    signalled.length = 0;
    const bad: Array<[string, Record<string, unknown>]> = [
      ['score above 10', { customerId: 'cust_nps_bad', score: 11 }],
      ['negative score', { customerId: 'cust_nps_bad', score: -1 }],
      ['non-integer score', { customerId: 'cust_nps_bad', score: 7.5 }],
      ['empty customerId', { customerId: '   ', score: 8 }],
      ['unparseable respondedAt', { customerId: 'cust_nps_bad', score: 8, respondedAt: 'not-a-date' }],
      ['comment too long', { customerId: 'cust_nps_bad', score: 8, comment: 'x'.repeat(10_001) }],
    ];
    for (const [label, input] of bad) {
      const response = await server.request(SubmitNpsResponseDocument, { input: input as never });
      expect({ label, code: response.errors?.[0].extensions?.code }).toEqual({ label, code: 'BAD_USER_INPUT' });
      expect(response.data?.submitNpsResponse ?? null).toBeNull();
    }
    const unknown = await server.request(SubmitNpsResponseDocument, { input: { customerId: 'cust_nps_nobody', score: 8 } });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(unknown.errors?.[0].extensions?.customerId).toBe('cust_nps_nobody');

    expect(await storedResponses('cust_nps_bad')).toBe(0);
    expect(await storedResponses('cust_nps_nobody')).toBe(0);
    expect(await rescoreRequestedAt('cust_nps_bad')).toBeNull();
    expect(signalled).toEqual([]);
  });

  it('rejects a non-integer score written inline in the document', async () => {
    const response = await server.request('mutation { submitNpsResponse(input: { customerId: "cust_nps_bad", score: 7.5 }) { id } }');
    expect(response.errors?.[0].message).toMatch(/Int cannot represent non-integer value: 7.5/);
    expect(await storedResponses('cust_nps_bad')).toBe(0);
  });
});

describe('submitNpsResponse with an externalId already stored (an answer edited or corrected)', () => {
  /** The stored row, every column. */
  const storedAnswer = (customerId: string) => queryOne(db, 'select * from nps_response where customer_id = ?', [customerId]);

  it('replaces the score and the fields sent, keeps those left out, and queues a rescoring', async () => {
    await createCustomer('cust_nps_fix');
    const wrong = await server.gql(SubmitNpsResponseDocument, {
      input: {
        customerId: 'cust_nps_fix',
        externalId: 'survey_wrong_1',
        score: 0,
        comment: 'Meant 9',
        respondent: 'ana@example.com',
        respondedAt: '2026-02-01T10:00:00.000Z',
      },
    });
    await query(db, 'delete from rescore_request where customer_id = ?', ['cust_nps_fix']);
    signalled.length = 0;
    const fixed = await server.gql(SubmitNpsResponseDocument, {
      input: { customerId: 'cust_nps_fix', externalId: 'survey_wrong_1', score: 9 },
    });
    expect(fixed.submitNpsResponse).toEqual({ ...wrong.submitNpsResponse, score: 9 });
    expect(await storedResponses('cust_nps_fix')).toBe(1);
    expect(await rescoreRequestedAt('cust_nps_fix')).not.toBeNull();
    expect(signalled).toHaveLength(1);

    // A comment cleared and the answer dated again: each field sent replaces the stored one.
    const edited = await server.gql(SubmitNpsResponseDocument, {
      input: { customerId: 'cust_nps_fix', externalId: 'survey_wrong_1', score: 9, comment: null, respondedAt: '2026-02-02T10:00:00.000Z' },
    });
    expect(edited.submitNpsResponse).toMatchObject({
      id: wrong.submitNpsResponse.id,
      score: 9,
      comment: null,
      respondent: 'ana@example.com',
      respondedAt: '2026-02-02T10:00:00.000Z',
    });
  });

  it('writes nothing and queues nothing for the same answer sent again, later and without its date', async () => {
    await createCustomer('cust_nps_retry');
    const input = { customerId: 'cust_nps_retry', externalId: 'resp_1', score: 4, comment: 'Slow', respondent: 'bo@example.com' };
    const first = await server.gql(SubmitNpsResponseDocument, { input });
    const stored = await storedAnswer('cust_nps_retry');
    await query(db, 'delete from rescore_request where customer_id = ?', ['cust_nps_retry']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const retried = await server.gql(SubmitNpsResponseDocument, { input: { ...input, externalId: ' resp_1 ' } });
    expect(retried.submitNpsResponse).toEqual(first.submitNpsResponse);
    expect(await storedAnswer('cust_nps_retry')).toEqual(stored);
    expect(await rescoreRequestedAt('cust_nps_retry')).toBeNull();
  });

  it('reads respondedAt: null as left out (a stored answer keeps its date, a new one is dated now), where null clears a comment', async () => {
    await createCustomer('cust_nps_null');
    const input = { customerId: 'cust_nps_null', externalId: 'resp_1', score: 4, comment: 'Slow', respondedAt: '2026-02-01T10:00:00.000Z' };
    const first = await server.gql(SubmitNpsResponseDocument, { input });
    const nulls = await server.gql(SubmitNpsResponseDocument, { input: { ...input, comment: null, respondedAt: null } });
    expect(nulls.submitNpsResponse).toEqual({ ...first.submitNpsResponse, comment: null });
    const before = Date.now();
    const fresh = await server.gql(SubmitNpsResponseDocument, { input: { ...input, externalId: 'resp_2', respondedAt: null } });
    expect(Date.parse(fresh.submitNpsResponse.respondedAt)).toBeGreaterThanOrEqual(before - 1000);
  });
});

describe('deleteNpsResponse', () => {
  it('deletes an answer submitted for the wrong customer, queues a rescoring and records it in the audit log', async () => {
    await createCustomer('cust_nps_wrong');
    await createCustomer('cust_nps_right');
    const input = { externalId: 'resp_misfiled', score: 2, respondedAt: '2026-02-01T10:00:00.000Z' };
    const misfiled = await server.gql(SubmitNpsResponseDocument, { input: { ...input, customerId: 'cust_nps_wrong' } });
    await server.gql(SubmitNpsResponseDocument, { input: { ...input, customerId: 'cust_nps_right' } });
    await query(db, 'delete from rescore_request where customer_id = ?', ['cust_nps_wrong']);

    const deleted = await server.gql(DeleteNpsResponseDocument, { customerId: 'cust_nps_wrong', externalId: 'resp_misfiled' });
    expect(deleted.deleteNpsResponse).toEqual(misfiled.submitNpsResponse);
    expect([await storedResponses('cust_nps_wrong'), await storedResponses('cust_nps_right')]).toEqual([0, 1]);
    expect(await rescoreRequestedAt('cust_nps_wrong')).not.toBeNull();
    const audit = await queryOne<{ action: string; target: string; details: unknown }>(
      db,
      'select action, target, details from audit_log order by id desc limit 1',
    );
    expect(audit).toEqual({
      action: 'npsResponse.delete',
      target: 'cust_nps_wrong',
      details: { externalId: 'resp_misfiled', score: 2 },
    });

    // Deleted already: nothing to delete, and nothing audited.
    const again = await server.request(DeleteNpsResponseDocument, { customerId: 'cust_nps_wrong', externalId: 'resp_misfiled' });
    expect(again.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', customerId: 'cust_nps_wrong' });
    const blank = await server.request(DeleteNpsResponseDocument, { customerId: 'cust_nps_right', externalId: '  ' });
    expect(blank.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'externalId' });
    expect(await storedResponses('cust_nps_right')).toBe(1);
    const audited = await queryOne<{ count: number }>(
      db,
      `select count(*)::int as count from audit_log where action = 'npsResponse.delete'`,
    );
    expect(audited?.count).toBe(1);
  });
  it('waits for a submission of the answer in flight, so an answer that submission found stored does not come back', async () => {
    await createCustomer('cust_nps_race');
    const input = { customerId: 'cust_nps_race', externalId: 'resp_race', score: 2, respondedAt: '2026-02-01T10:00:00.000Z' };
    await server.gql(SubmitNpsResponseDocument, { input });
    // A submission holding the answer's turn, which found it stored and is about to correct it.
    const submission = new Client({ connectionString: server.database.url });
    await submission.connect();
    try {
      await submission.query('begin');
      await submission.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', ['nps_response/cust_nps_race/resp_race']);
      const deleting = server.request(DeleteNpsResponseDocument, { customerId: 'cust_nps_race', externalId: 'resp_race' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await submission.query(
        `insert into nps_response (customer_id, external_id, score, responded_at) values ('cust_nps_race', 'resp_race', 9, '2026-02-01T10:00:00Z')
         on conflict (customer_id, external_id) where external_id is not null do update set score = excluded.score`,
      );
      await submission.query('commit');
      const deleted = await deleting;
      // Deleted after the correction, which it answers: no answer is left under the key.
      expect(deleted.data?.deleteNpsResponse).toMatchObject({ externalId: 'resp_race', score: 9 });
      expect(await storedResponses('cust_nps_race')).toBe(0);
    } finally {
      await submission.end();
    }
  });
});

describe('npsSummary', () => {
  beforeAll(async () => {
    await createCustomer('cust_sum_a');
    await createCustomer('cust_sum_b');
    await createCustomer('cust_sum_none');
    await submitScores('cust_sum_a', [10, 9, 8, 7, 6, 0]);
    await submitScores('cust_sum_b', [10, 10, 3], Date.parse('2026-04-01T00:00:00Z'));
  });

  it('splits promoters, passives and detractors and computes NPS and the average', async () => {
    const { npsSummary } = await server.gql(NpsSummaryDocument, { customerId: 'cust_sum_a' });
    expect(npsSummary).toEqual({ responses: 6, averageScore: 6.67, promoters: 2, passives: 2, detractors: 2, nps: 0 });
  });

  it('rounds NPS to a whole number', async () => {
    const { npsSummary } = await server.gql(NpsSummaryDocument, { customerId: 'cust_sum_b' });
    // 2 promoters, 1 detractor of 3: 66.7 % − 33.3 % = 33.3 → 33
    expect(npsSummary).toEqual({ responses: 3, averageScore: 7.67, promoters: 2, passives: 0, detractors: 1, nps: 33 });
  });

  it('answers zero responses with null average and null NPS', async () => {
    const { npsSummary } = await server.gql(NpsSummaryDocument, { customerId: 'cust_sum_none' });
    expect(npsSummary).toEqual({ responses: 0, averageScore: null, promoters: 0, passives: 0, detractors: 0, nps: null });
  });

  it('restricts to a date range: from inclusive, to exclusive', async () => {
    // cust_sum_a answered hourly from 2026-03-01T00:00Z: 10, 9, 8, 7, 6, 0
    const { npsSummary } = await server.gql(NpsSummaryDocument, {
      customerId: 'cust_sum_a',
      from: '2026-03-01T01:00:00Z',
      to: '2026-03-01T04:00:00Z',
    });
    expect(npsSummary).toEqual({ responses: 3, averageScore: 8, promoters: 1, passives: 2, detractors: 0, nps: 33 });
  });

  it('summarises every customer when no customer is given', async () => {
    const { npsSummary } = await server.gql(NpsSummaryDocument, { from: '2026-03-01T00:00:00Z', to: '2026-05-01T00:00:00Z' });
    expect(npsSummary).toMatchObject({ responses: 9, promoters: 4, passives: 2, detractors: 3, nps: 11 });
  });

  it('rejects from after to and unparseable dates', async () => {
    const reversed = await server.request(NpsSummaryDocument, { from: '2026-05-01T00:00:00Z', to: '2026-03-01T00:00:00Z' });
    expect(reversed.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const garbage = await server.request(NpsSummaryDocument, { from: 'yesterday' });
    expect(garbage.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('npsResponses', () => {
  beforeAll(async () => {
    await createCustomer('cust_list');
    // 7 answers; two share a timestamp so the id breaks the tie.
    for (const [i, at] of ['01', '02', '03', '04', '04', '05', '06'].entries()) {
      await server.gql(SubmitNpsResponseDocument, {
        input: { customerId: 'cust_list', score: i, respondedAt: `2026-06-${at}T12:00:00.000Z` },
      });
    }
  });

  it('pages newest first with keyset cursors and a total count', async () => {
    const seen: number[] = [];
    let after: string | null | undefined;
    let pages = 0;
    do {
      const { npsResponses } = await server.gql(NpsResponsesDocument, { customerId: 'cust_list', first: 3, after });
      expect(npsResponses.totalCount).toBe(7);
      seen.push(...npsResponses.edges.map((edge) => edge.node.score));
      after = npsResponses.pageInfo.hasNextPage ? npsResponses.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);
  });

  it('filters by date range', async () => {
    const { npsResponses } = await server.gql(NpsResponsesDocument, {
      customerId: 'cust_list',
      from: '2026-06-02T12:00:00Z',
      to: '2026-06-04T12:00:00Z',
    });
    expect(npsResponses.edges.map((edge) => edge.node.score)).toEqual([2, 1]);
    expect(npsResponses.totalCount).toBe(2);
  });

  it('answers an unknown customer with NOT_FOUND, not an empty page', async () => {
    const unknown = await server.request(NpsResponsesDocument, { customerId: 'cust_never_seen' });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('rejects a page size above 500, a foreign cursor and an empty customerId', async () => {
    const tooMany = await server.request(NpsResponsesDocument, { first: 501 });
    expect(tooMany.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const badCursor = await server.request(NpsResponsesDocument, { after: 'bm90LWEtY3Vyc29y' });
    expect(badCursor.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const empty = await server.request(NpsResponsesDocument, { customerId: ' ' });
    expect(empty.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const badDate = await server.request(NpsResponsesDocument, { from: 'not-a-date' });
    expect(badDate.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('Customer.npsResponses and Customer.latestNpsResponse', () => {
  it("pages a customer's answers and shows the latest one", async () => {
    const first = await server.gql(CustomerNpsDocument, { id: 'cust_list', first: 4 });
    expect(first.customer.latestNpsResponse?.score).toBe(6);
    expect(first.customer.npsResponses.totalCount).toBe(7);
    expect(first.customer.npsResponses.edges.map((edge) => edge.node.score)).toEqual([6, 5, 4, 3]);
    const second = await server.gql(CustomerNpsDocument, {
      id: 'cust_list',
      first: 4,
      after: first.customer.npsResponses.pageInfo.endCursor,
    });
    expect(second.customer.npsResponses.edges.map((edge) => edge.node.score)).toEqual([2, 1, 0]);
    expect(second.customer.npsResponses.pageInfo.hasNextPage).toBe(false);
  });

  it('counts an answer dated ahead of now (a clock ahead of ours) once its date has come: not in npsSummary or latestNpsResponse before', async () => {
    await createCustomer('cust_nps_ahead');
    await submitScores('cust_nps_ahead', [10]);
    const ahead = new Date(Date.now() + 20 * 3_600_000).toISOString();
    await server.gql(SubmitNpsResponseDocument, { input: { customerId: 'cust_nps_ahead', score: 1, respondedAt: ahead } });
    const { npsSummary } = await server.gql(NpsSummaryDocument, { customerId: 'cust_nps_ahead' });
    expect(npsSummary).toMatchObject({ responses: 1, promoters: 1, detractors: 0, nps: 100 });
    const { customer } = await server.gql(CustomerNpsDocument, { id: 'cust_nps_ahead' });
    expect(customer.latestNpsResponse?.score).toBe(10);
    // Listed, as every stored record is.
    expect(customer.npsResponses.totalCount).toBe(2);
  });

  it('is null and empty for a customer without answers', async () => {
    const { customer } = await server.gql(CustomerNpsDocument, { id: 'cust_sum_none' });
    expect(customer.latestNpsResponse).toBeNull();
    expect(customer.npsResponses).toMatchObject({ totalCount: 0, edges: [] });
  });

  it('rejects a page size above 500', async () => {
    const response = await server.request(CustomerNpsDocument, { id: 'cust_list', first: 501 });
    expect(response.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
