// No score exists before a customer signed up, also when upsertCustomer moves its sign-up date later
// (or, without one, a correction or deletion moves its first signal later): what was scored before the
// new start goes, and the history left starts from no tier.
import {
  DeleteNpsResponseDocument,
  RecordSupportTicketDocument,
  RefreshHealthScoreDocument,
  SubmitNpsResponseDocument,
  TrackEngagementBatchDocument,
  UpsertCustomerDocument,
} from '../__generated__/graphql';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let server: TestServer;
const now = Date.now();
const ago = (ms: number) => new Date(now - ms).toISOString();

/** What the API says of a customer's score: its current state, history (oldest first) and tier changes. */
const SCORE_STATE = `query ($id: ID!) {
  customer(id: $id) { healthScore engagementScore tier trend lifecycleStage lastActivityAt nps scoredAt currentScore { score } }
  healthScoreHistory(customerId: $id, first: 50) { totalCount edges { node { score tier previousScore asOf } } }
  tierChanges(customerId: $id, first: 50) { edges { node { fromTier toTier fromScore toScore direction changedAt backfill } } }
}`;

interface ScoreState {
  customer: Record<string, unknown>;
  healthScoreHistory: {
    totalCount: number;
    edges: Array<{ node: { score: number; tier: string; previousScore: number | null; asOf: string } }>;
  };
  tierChanges: { edges: Array<{ node: Record<string, unknown> }> };
}

async function scoreState(id: string) {
  const result = await server.request<ScoreState, { id: string }>(SCORE_STATE, { id });
  expect(result.errors).toBeUndefined();
  const { customer, healthScoreHistory, tierChanges } = result.data!;
  return {
    current: customer,
    history: healthScoreHistory.edges.map((e) => e.node).reverse(),
    tierChanges: tierChanges.edges.map((e) => e.node),
  };
}

/** A customer signed up 90 days ago and active every day since, scored as of each of `asOfs`. */
async function scoredCustomer(id: string, asOfs: string[]): Promise<void> {
  await server.gql(UpsertCustomerDocument, { input: { id, name: id, arrCents: 500_000, signedUpAt: ago(90 * DAY) } });
  const events = Array.from({ length: 90 }, (_, day) => ({
    customerId: id,
    eventType: 'login',
    userId: 'u1',
    occurredAt: ago(day * DAY + HOUR),
  }));
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
  for (const asOf of asOfs) await server.gql(RefreshHealthScoreDocument, { customerId: id, asOf });
}

const moveSignup = (id: string, signedUpAt: string) => server.gql(UpsertCustomerDocument, { input: { id, name: id, signedUpAt } });

beforeAll(async () => {
  // Continuous rescoring off: only the scorings a test asks for write scores.
  server = await startTestServer({ label: 'signup_move', env: { RESCORE_DEBOUNCE_MS: '0' } });
});
afterAll(() => server.stop());

describe('moving a sign-up date later', () => {
  it('removes the scores from before it and leaves the customer as one never scored, queued for rescoring', async () => {
    await scoredCustomer('cust_moved', [ago(2 * HOUR)]);
    const scored = await scoreState('cust_moved');
    expect(scored.history).toHaveLength(1);
    expect(scored.tierChanges).toHaveLength(1);
    expect(scored.current.healthScore).not.toBeNull();
    await sql(server.database, `delete from rescore_request where customer_id = 'cust_moved'`);

    const moved = await moveSignup('cust_moved', ago(HOUR));
    expect(moved.upsertCustomer).toMatchObject({
      signedUpAt: ago(HOUR),
      healthScore: null,
      tier: null,
      lifecycleStage: null,
      lastActivityAt: null,
    });
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_never_scored', name: 'cust_never_scored' } });
    const neverScored = await scoreState('cust_never_scored');
    expect(neverScored.current).toMatchObject({ healthScore: null, tier: null, scoredAt: null, currentScore: null });
    expect(await scoreState('cust_moved')).toEqual(neverScored);
    const queued = await sql(server.database, `select 1 from rescore_request where customer_id = 'cust_moved'`);
    expect(queued).toHaveLength(1);

    // And scoring still refuses the instants before the new date.
    const refused = await server.request(RefreshHealthScoreDocument, { customerId: 'cust_moved', asOf: ago(2 * HOUR) });
    expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('keeps the scores from the new date on: the earliest starts the history, from no tier', async () => {
    await scoredCustomer('cust_trimmed', [ago(20 * DAY), ago(10 * DAY)]);
    const scored = await scoreState('cust_trimmed');
    expect(scored.history.map((point) => point.asOf)).toEqual([ago(20 * DAY), ago(10 * DAY)]);
    const kept = scored.history[1];
    expect(kept.previousScore).toBe(scored.history[0].score);

    await moveSignup('cust_trimmed', ago(15 * DAY));
    const trimmed = await scoreState('cust_trimmed');
    expect(trimmed.history).toEqual([{ ...kept, previousScore: null }]);
    expect(trimmed.tierChanges).toEqual([
      { fromTier: null, toTier: kept.tier, fromScore: null, toScore: kept.score, direction: 'NEW', changedAt: kept.asOf, backfill: true },
    ]);
    // The current score is of that later point: it stays.
    expect(trimmed.current).toEqual(scored.current);
  });
});

describe('moving a sign-up date earlier', () => {
  it('keeps every score, tier change and the current score', async () => {
    await scoredCustomer('cust_earlier', [ago(20 * DAY), ago(2 * HOUR)]);
    const scored = await scoreState('cust_earlier');
    expect(scored.history).toHaveLength(2);
    await moveSignup('cust_earlier', ago(120 * DAY));
    expect(await scoreState('cust_earlier')).toEqual(scored);
  });
});

describe('clearing a sign-up date', () => {
  it('starts the customer at its first recorded signal: the scores before it go, the later ones stay', async () => {
    // Signed up 90 days ago, its first event an hour into day 89; scored between the two and 10 days ago.
    await scoredCustomer('cust_cleared', [ago(89 * DAY + 12 * HOUR), ago(10 * DAY)]);
    const scored = await scoreState('cust_cleared');
    expect(scored.history).toHaveLength(2);
    const kept = scored.history[1];
    const cleared = await server.request(
      'mutation { upsertCustomer(input: { id: "cust_cleared", name: "cust_cleared", signedUpAt: null }) { signedUpAt } }',
    );
    expect(cleared.data).toEqual({ upsertCustomer: { signedUpAt: null } });
    const after = await scoreState('cust_cleared');
    expect(after.history).toEqual([{ ...kept, previousScore: null }]);
    expect(after.tierChanges.map((change) => change.changedAt)).toEqual([kept.asOf]);
    // And as of before its first signal, it is not scored again.
    const refused = await server.request(RefreshHealthScoreDocument, { customerId: 'cust_cleared', asOf: ago(89 * DAY + 12 * HOUR) });
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'asOf' });
  });
});

describe('a first signal dated later or deleted (a customer without a sign-up date)', () => {
  /** A customer created now, whose first signal (`record`, dated 30 days ago) starts it, scored as of 20 and 10 days ago. */
  async function startedBySignal(id: string, record: () => Promise<unknown>) {
    await server.gql(UpsertCustomerDocument, { input: { id, name: id, arrCents: 500_000 } });
    await record();
    for (const asOf of [ago(20 * DAY), ago(10 * DAY)]) await server.gql(RefreshHealthScoreDocument, { customerId: id, asOf });
    const scored = await scoreState(id);
    expect(scored.history.map((point) => point.asOf)).toEqual([ago(20 * DAY), ago(10 * DAY)]);
    return scored;
  }

  it('an NPS answer dated later removes the scores from before the start it moves to, and deleted, those from before the creation', async () => {
    const answer = (respondedAt: string) =>
      server.gql(SubmitNpsResponseDocument, { input: { customerId: 'cust_answer_moved', externalId: 'resp_1', score: 9, respondedAt } });
    const scored = await startedBySignal('cust_answer_moved', () => answer(ago(30 * DAY)));
    const kept = scored.history[1];

    await answer(ago(15 * DAY));
    const trimmed = await scoreState('cust_answer_moved');
    expect(trimmed.history).toEqual([{ ...kept, previousScore: null }]);
    expect(trimmed.tierChanges.map((change) => change.changedAt)).toEqual([kept.asOf]);
    expect(trimmed.current).toEqual(scored.current);

    // Deleted, the customer starts at its creation: nothing scored before it is left, the current score included.
    await server.gql(DeleteNpsResponseDocument, { customerId: 'cust_answer_moved', externalId: 'resp_1' });
    const deleted = await scoreState('cust_answer_moved');
    expect(deleted.history).toEqual([]);
    expect(deleted.tierChanges).toEqual([]);
    expect(deleted.current).toMatchObject({ healthScore: null, tier: null, scoredAt: null, currentScore: null });
  });

  it("a ticket's opening corrected later removes the scores from before the start it moves to", async () => {
    const ticket = (openedAt: string) =>
      server.gql(RecordSupportTicketDocument, {
        input: { customerId: 'cust_ticket_moved', externalId: 'T-1', severity: 'NORMAL', status: 'OPEN', openedAt },
      });
    const scored = await startedBySignal('cust_ticket_moved', () => ticket(ago(30 * DAY)));
    await ticket(ago(15 * DAY));
    expect((await scoreState('cust_ticket_moved')).history).toEqual([{ ...scored.history[1], previousScore: null }]);
  });
});

/** The plan history as stored, oldest first. */
async function planHistory(id: string) {
  const rows = await sql<{ arrCents: number; seats: number | null; changedAt: Date }>(
    server.database,
    `select arr_cents::float8 as "arrCents", seats, changed_at as "changedAt" from customer_plan_change
     where customer_id = $1 order by changed_at, id`,
    [id],
  );
  return rows.map((row) => ({ ...row, changedAt: row.changedAt.toISOString() }));
}

/** A scoring as of now, without what differs between two customers (ids, times). */
async function scoring(id: string) {
  const result = await server.request<{ refreshHealthScore: Record<string, unknown> }, { id: string }>(
    `mutation ($id: ID!) { refreshHealthScore(customerId: $id) {
       score tier coverage signals { name rawValue value } penalties { name points } customer { lifecycleStage } } }`,
    { id },
  );
  expect(result.errors).toBeUndefined();
  return result.data!.refreshHealthScore;
}

const upsert = (input: Record<string, unknown>) =>
  server.gql(UpsertCustomerDocument, { input: { name: String(input.id), ...input } as never });

describe('the plan history when a sign-up date moves later', () => {
  const contractionOf = async (id: string) =>
    ((await scoring(id)).signals as Array<{ name: string; rawValue: number }>).find((s) => s.name === 'contraction')?.rawValue;

  it('reads the plan in effect at the new date as the plan it arrived with: a plan cut before it is no contraction', async () => {
    await upsert({ id: 'cust_plan_moved', signedUpAt: ago(60 * DAY), arrCents: 1_000_000, seats: 20 });
    await upsert({ id: 'cust_plan_moved', arrCents: 100_000, seats: 2, planChangedAt: ago(50 * DAY) });
    await moveSignup('cust_plan_moved', ago(40 * DAY));
    // The same customer as if created on the new date with the plan it then had.
    await upsert({ id: 'cust_plan_born_small', signedUpAt: ago(40 * DAY), arrCents: 100_000, seats: 2 });
    const moved = await scoring('cust_plan_moved');
    expect((moved.signals as Array<{ name: string; rawValue: number }>).find((s) => s.name === 'contraction')?.rawValue).toBe(0);
    expect(moved).toEqual(await scoring('cust_plan_born_small'));
  });

  it('keeps the plan history: a change after the new date is still a downsell, and the sign-up moved back reads the cut again', async () => {
    await upsert({ id: 'cust_plan_kept', signedUpAt: ago(60 * DAY), arrCents: 1_000_000, seats: 20 });
    await upsert({ id: 'cust_plan_kept', arrCents: 500_000, seats: 10, planChangedAt: ago(50 * DAY) });
    await upsert({ id: 'cust_plan_kept', arrCents: 400_000, seats: 8, planChangedAt: ago(40 * DAY) });
    await upsert({ id: 'cust_plan_kept', arrCents: 300_000, seats: 6, planChangedAt: ago(30 * DAY) });
    const history = await planHistory('cust_plan_kept');
    expect(history).toHaveLength(4);
    await moveSignup('cust_plan_kept', ago(40 * DAY));
    expect(await planHistory('cust_plan_kept')).toEqual(history);
    expect(await contractionOf('cust_plan_kept')).toBeCloseTo(0.25);
    // A typo corrected: the sign-up back where it was, the plan it arrived with and every cut since.
    await moveSignup('cust_plan_kept', ago(60 * DAY));
    expect(await contractionOf('cust_plan_kept')).toBeCloseTo(0.7);
  });

  it('leaves the plan history as it was when the sign-up moves earlier, or the move is refused', async () => {
    await upsert({ id: 'cust_plan_earlier', signedUpAt: ago(60 * DAY), arrCents: 1_000_000, seats: 20 });
    await upsert({ id: 'cust_plan_earlier', arrCents: 100_000, seats: 2, planChangedAt: ago(50 * DAY), churnedAt: ago(45 * DAY) });
    const before = await planHistory('cust_plan_earlier');
    expect(before).toHaveLength(2);
    await moveSignup('cust_plan_earlier', ago(90 * DAY));
    expect(await planHistory('cust_plan_earlier')).toEqual(before);
    // After its churn: refused whole, the plan history included.
    const refused = await server.request(UpsertCustomerDocument, {
      input: { id: 'cust_plan_earlier', name: 'cust_plan_earlier', signedUpAt: ago(40 * DAY) },
    });
    expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await planHistory('cust_plan_earlier')).toEqual(before);
  });
});
