// Shared by the hardening tests: raw HTTP exchanges (status, headers and body, not only the
// GraphQL result), a fingerprint of every table the API writes, and a subscription that keeps its
// error results (a resync event is one) instead of failing on them.
import type { Client } from 'graphql-ws';
import { sql, TestDatabase } from '../helpers/database';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> & { code?: string } }>;
  };
}

/**
 * POSTs a GraphQL request as any client would and returns the whole HTTP answer. `variablesJson`
 * is sent as given: a value nested thousands deep cannot go through JSON.stringify here.
 */
export async function post(
  url: string,
  request: { query: string; variables?: Record<string, unknown>; variablesJson?: string; operationName?: string },
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const { variablesJson, ...rest } = request;
  const payload = variablesJson === undefined ? JSON.stringify(rest) : `${JSON.stringify(rest).slice(0, -1)},"variables":${variablesJson}}`;
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
  const text = await response.text();
  let body: RawResponse['body'] = {};
  try {
    body = JSON.parse(text) as RawResponse['body'];
  } catch {
    // Not JSON: the assertions on `text` and `status` say what it was.
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** Every table a request of the API can write (API keys aside: nothing here creates one). */
export const WRITTEN_TABLES = [
  'customer',
  'customer_plan_change',
  'engagement_event',
  'engagement_day',
  'nps_response',
  'payment',
  'payment_earlier_state',
  'support_ticket',
  'support_ticket_status_change',
  'support_ticket_earlier_state',
  'rescore_request',
  'health_score',
  'tier_change',
  'outreach_action',
  'scoring_run',
  'scoring_model',
  'audit_log',
  'destination',
] as const;

/**
 * The row count and a digest of the content of each written table, in one statement: two equal
 * fingerprints mean nothing was inserted, updated or deleted in between.
 */
export async function fingerprint(database: TestDatabase): Promise<Record<string, string>> {
  const columns = WRITTEN_TABLES.map(
    (table) => `(select count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from ${table} t) as ${table}`,
  );
  const [row] = await sql<Record<string, string>>(database, `select ${columns.join(', ')}`);
  return row;
}

/** What a response must never reveal: stack traces and paths of the server's files. */
export function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/stacktrace/i);
  expect(text).not.toMatch(/node_modules|\/src\/|\.ts:\d+|\/work\//);
  expect(text).not.toMatch(/\bat [\w.<>]+ \(/);
}

export interface RecordedSubscription {
  /** Every `next` payload, data or errors. */
  results: Array<{
    data?: Record<string, unknown> | null;
    errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
  }>;
  /** Resolves once `predicate` holds for some result; rejects after `timeoutMs`. */
  waitFor(
    predicate: (result: RecordedSubscription['results'][number]) => boolean,
    timeoutMs?: number,
  ): Promise<RecordedSubscription['results'][number]>;
  close(): void;
}

/** Subscribes and records every result, so a test can wait for a resync event as well as for data. */
export async function record(client: Client, query: string, variables?: Record<string, unknown>): Promise<RecordedSubscription> {
  const results: RecordedSubscription['results'] = [];
  let failure: unknown;
  const dispose = client.subscribe(
    { query, variables },
    {
      next: (result) => results.push(result as RecordedSubscription['results'][number]),
      error: (error) => (failure = error),
      complete: () => undefined,
    },
  );
  // The server subscribes to its PubSub asynchronously: give it a moment to be listening.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return {
    results,
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = results.find(predicate);
        if (found) return found;
        if (failure) throw new Error(`subscription failed: ${JSON.stringify(failure)}`);
        if (Date.now() > deadline) throw new Error(`not received within ${timeoutMs} ms; got ${JSON.stringify(results)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: dispose,
  };
}

export function isResync(result: RecordedSubscription['results'][number]): boolean {
  return result.errors?.some((error) => error.extensions?.code === 'RESYNC') ?? false;
}
