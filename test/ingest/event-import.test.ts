// Bulk import of events (POST /ingest/events, npm run import): NDJSON streamed in, each line held to
// trackEngagementBatch's checks, bad lines reported by number while the good ones are stored, the
// daily rollup and the rescoring queue kept as the batch mutation keeps them, idempotent, scoped
// like the ingestion mutations; and the history backfilled afterwards without side effects.
import { execFileSync, spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { Readable, Writable } from 'node:stream';
import zlib from 'node:zlib';
import type { MikroORM } from '@mikro-orm/postgresql';
import pino from 'pino';
import { RequestAbandonedError } from '../../src/infra/abandoned-request';
import { readConfig } from '../../src/infra/config';
import { openDatabase } from '../../src/database';
import { ndjsonLines } from '../../src/ingest/ndjson-lines';
import { endBusySessions } from '../../src/infra/shutdown-drain';
import { Client } from 'pg';
import { importEvents, MAX_BATCH_WAIT_MS, MAX_LINE_BYTES, parseEventLine, READ_SLICE_MS } from '../../src/ingest/event-import';
import { InvalidInputError } from '../../src/infra/errors';
import { importExitCode, runImportCommand } from '../../src/ingest/import-command';
import { bearer, createKey, post, waitUntil } from '../helpers/auth';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { upsertCustomer } from '../../src/customers/customer.service';
import type { Db } from '../../src/infra/sql';
import { startTestServer, TestServer } from '../helpers/server';
import { DECOMPRESSION_ALLOWANCE_BYTES, MAX_DECOMPRESSION_RATIO, MAX_IMPORTS_PER_KEY } from '../../src/ingest/event-import.http';
import { createWriteStream, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const DAY = 86_400_000;
let server: TestServer;
let ingestUrl: string;

async function postNdjson(body: string | Buffer, key?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(ingestUrl, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', ...bearer(key) }, body });
  return { status: response.status, body: await response.json() };
}

const ndjson = (events: unknown[]): string =>
  events.map((event) => (typeof event === 'string' ? event : JSON.stringify(event))).join('\n') + '\n';

beforeAll(async () => {
  server = await startTestServer({ label: 'event_import' });
  ingestUrl = server.url.replace(/\/graphql$/, '/ingest/events');
  for (const id of ['cust_a', 'cust_b', 'cust_twin_a', 'cust_twin_b']) {
    const result = await post(
      server.url,
      `mutation { upsertCustomer(input: { id: "${id}", name: "${id}", signedUpAt: "2026-01-01T00:00:00Z" }) { id } }`,
    );
    expect(result.body.errors).toBeUndefined();
  }
  await sql(server.database, 'delete from rescore_request');
}, 60_000);

afterAll(() => server?.stop());

describe('reading NDJSON', () => {
  it('numbers lines across chunk boundaries, skips blank lines, accepts CRLF, and refuses an overlong line without buffering it', async () => {
    const long = 'x'.repeat(50);
    const chunks = ['{"a":1}\r\n\n{"b"', ':2}\n', long.slice(0, 20), long.slice(20), '\n{"c":3}'];
    const lines = [];
    for await (const line of ndjsonLines(Readable.from(chunks.map((c) => Buffer.from(c))), 40)) lines.push(line);
    expect(lines).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 3, text: '{"b":2}' },
      { number: 4, text: null, unreadable: 'too long' },
      { number: 5, text: '{"c":3}' },
    ]);
  });

  it('refuses a line that is not UTF-8 rather than replacing its bytes, and reads the lines after it', async () => {
    // Latin-1 "é" (0xE9) alone, where UTF-8 needs two bytes; then a UTF-8 "é", which is fine.
    const bytes = Buffer.concat([Buffer.from('{"a":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"b":"café"}\n')]);
    const lines = [];
    for await (const line of ndjsonLines(Readable.from([bytes]), 40)) lines.push(line);
    expect(lines).toEqual([
      { number: 1, text: null, unreadable: 'not UTF-8' },
      { number: 2, text: '{"b":"café"}' },
    ]);
  });

  it('reads past a byte order mark opening the input, and only there', async () => {
    const lines = [];
    for await (const line of ndjsonLines(Readable.from([Buffer.from('\uFEFF{"a":1}\n\uFEFF{"b":2}\n')]), 40)) lines.push(line);
    expect(lines).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 2, text: '\uFEFF{"b":2}' },
    ]);
  });
});

describe('a line refused', () => {
  it('names a required field that is missing as required, and one of the wrong type by the type it must have', () => {
    const now = new Date();
    expect(() => parseEventLine('{"customerId":"cust_a"}', now)).toThrow(new InvalidInputError('eventType is required'));
    expect(() => parseEventLine('{"customerId":null,"eventType":"login"}', now)).toThrow(new InvalidInputError('customerId is required'));
    expect(() => parseEventLine('{"customerId":"cust_a","eventType":7}', now)).toThrow(new InvalidInputError('eventType must be a string'));
    expect(() => parseEventLine('{"customerId":"cust_a","eventType":"login","userId":7}', now)).toThrow('userId must be a string or null');
  });
});

describe('POST /ingest/events', () => {
  it('stores the good lines, reports the bad ones by line number with the codes trackEngagementBatch gives, and counts duplicates', async () => {
    const lines = [
      { customerId: 'cust_a', eventType: 'login', userId: 'u1', occurredAt: '2026-11-20T10:00:00Z', idempotencyKey: 'k1' },
      'not json',
      {
        customerId: 'cust_a',
        eventType: 'feature_used',
        feature: 'reports',
        userId: 'u2',
        occurredAt: '2026-11-20T11:00:00Z',
        metadata: { plan: 'pro' },
      },
      { customerId: 'cust_nobody', eventType: 'login' },
      { customerId: 'cust_a', eventType: 'login', occurredAt: 'yesterday' },
      { customerId: 'cust_a', eventType: 'login', colour: 'red' },
      { customerId: 'cust_a', eventType: '' },
      { customerId: 'cust_a', eventType: 'login', occurredAt: '2099-01-01T00:00:00Z' },
      { customerId: 'cust_b', eventType: 'login', userId: 'u\u0000' },
      { customerId: 'cust_a', eventType: 'login', userId: 'u1', occurredAt: '2026-11-20T12:00:00Z', idempotencyKey: 'k1' },
      { customerId: 7, eventType: 'login' },
      { customerId: 'cust_b', eventType: 'login', userId: 'u9', occurredAt: '2026-11-21T09:00:00Z', idempotencyKey: 'k1' },
    ];
    const text = ndjson(lines).replace('\n{"customerId":"cust_nobody"', '\n\n{"customerId":"cust_nobody"');
    const overlong = JSON.stringify({ customerId: 'cust_a', eventType: 'login', metadata: { pad: 'x'.repeat(MAX_LINE_BYTES) } });
    const result = await postNdjson(text + overlong + '\n');
    expect(result.status).toBe(200);
    // Line numbers count the blank line inserted before line 4 of the list.
    expect(result.body.errors.map((e: { line: number; code: string }) => [e.line, e.code])).toEqual([
      [2, 'BAD_USER_INPUT'],
      [5, 'NOT_FOUND'],
      [6, 'BAD_USER_INPUT'],
      [7, 'BAD_USER_INPUT'],
      [8, 'BAD_USER_INPUT'],
      [9, 'BAD_USER_INPUT'],
      [10, 'BAD_USER_INPUT'],
      // An integer id is an ID, as GraphQL takes it: customer 7 does not exist.
      [12, 'NOT_FOUND'],
      [14, 'BAD_USER_INPUT'],
    ]);
    // 13 lines: the blank one is not counted.
    expect(result.body).toMatchObject({ lines: 13, accepted: 3, duplicates: 1, rejected: 9, customers: 2 });
    const stored = await sql<{ customer_id: string; event_type: string; idempotency_key: string | null; metadata: unknown }>(
      server.database,
      'select customer_id, event_type, idempotency_key, metadata from engagement_event order by customer_id, occurred_at',
    );
    expect(stored).toEqual([
      { customer_id: 'cust_a', event_type: 'login', idempotency_key: 'k1', metadata: null },
      { customer_id: 'cust_a', event_type: 'feature_used', idempotency_key: null, metadata: { plan: 'pro' } },
      { customer_id: 'cust_b', event_type: 'login', idempotency_key: 'k1', metadata: null },
    ]);
    const queued = await sql<{ customer_id: string }>(server.database, 'select customer_id from rescore_request order by 1');
    expect(queued.map((r) => r.customer_id)).toEqual(['cust_a', 'cust_b']);
  });

  it('refuses a line that is not UTF-8 by its number, and stores the others', async () => {
    const good = JSON.stringify({ customerId: 'cust_b', eventType: 'login', userId: 'u_utf8', occurredAt: '2026-11-22T09:00:00Z' });
    const latin1 = Buffer.concat([Buffer.from('{"customerId":"cust_b","eventType":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]);
    const result = await postNdjson(Buffer.concat([latin1, Buffer.from(good + '\n')]));
    expect(result.body).toMatchObject({ lines: 2, accepted: 1, rejected: 1 });
    expect(result.body.errors).toEqual([{ line: 1, code: 'BAD_USER_INPUT', message: 'the line is not valid UTF-8' }]);
    const stored = await sql<{ n: string }>(server.database, "select count(*) as n from engagement_event where user_id = 'u_utf8'");
    expect(Number(stored[0].n)).toBe(1);
  });

  it('refuses each bad event as trackEngagementBatch refuses the same item', async () => {
    const events = [
      { customerId: 'cust_a', eventType: 'x'.repeat(501) },
      {
        customerId: 'cust_a',
        eventType: 'login',
        metadata: { a: { b: { c: { d: { e: { f: { g: { h: { i: { j: { k: 1 } } } } } } } } } } },
      },
      { customerId: 'cust_a', eventType: 'login', occurredAt: '1960-01-01T00:00:00Z' },
      { customerId: 'cust_nope', eventType: 'login' },
      { customerId: ' ', eventType: 'login' },
    ];
    const batch = await post<{ trackEngagementBatch: { errors: Array<{ index: number; code: string }> } }>(
      server.url,
      'mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { errors { index code } } }',
      { events },
    );
    const imported = await postNdjson(ndjson(events));
    expect(imported.body.errors.map((e: { line: number; code: string }) => ({ index: e.line - 1, code: e.code }))).toEqual(
      batch.body.data!.trackEngagementBatch.errors,
    );
    expect(imported.body.errors).toHaveLength(events.length);
  });

  it('refuses a metadata number past what a double holds (1e400) by its line, rather than storing null in its place', async () => {
    const result = await postNdjson(
      '{"customerId":"cust_b","eventType":"login","userId":"u_huge","metadata":{"amount":1e400}}\n' +
        '{"customerId":"cust_b","eventType":"login","userId":"u_huge","metadata":{"amount":-1e400}}\n',
    );
    expect(result.body).toMatchObject({ lines: 2, accepted: 0, rejected: 2 });
    expect(result.body.errors.map((e: { line: number; code: string; message: string }) => [e.line, e.code, e.message])).toEqual([
      [1, 'BAD_USER_INPUT', 'metadata holds a number too large to store (beyond ±1.8e308)'],
      [2, 'BAD_USER_INPUT', 'metadata holds a number too large to store (beyond ±1.8e308)'],
    ]);
    const stored = await sql<{ n: string }>(server.database, "select count(*) as n from engagement_event where user_id = 'u_huge'");
    expect(Number(stored[0].n)).toBe(0);
  });

  it('refuses a metadata integer past 2^53 − 1 (a 64-bit id JSON rounds), by its line, and keeps one within it exact', async () => {
    const result = await postNdjson(
      '{"customerId":"cust_b","eventType":"login","userId":"u_bigint","metadata":{"stripeId":12345678901234567890}}\n' +
        '{"customerId":"cust_b","eventType":"login","userId":"u_bigint","metadata":{"stripeId":9007199254740991,"ratio":1.5}}\n',
    );
    expect(result.body).toMatchObject({ lines: 2, accepted: 1, rejected: 1 });
    expect(result.body.errors.map((e: { line: number; code: string; message: string }) => [e.line, e.code, e.message])).toEqual([
      [1, 'BAD_USER_INPUT', 'metadata holds an integer beyond ±(2^53 − 1), which a JSON number cannot keep exactly: send it as a string'],
    ]);
    const stored = await sql<{ metadata: Record<string, unknown> }>(
      server.database,
      "select metadata from engagement_event where user_id = 'u_bigint'",
    );
    expect(stored.map((row) => row.metadata)).toEqual([{ stripeId: 9007199254740991, ratio: 1.5 }]);
  });

  it('takes an integer customer id as trackEngagementBatch does (an ID), and refuses a fractional one as it does', async () => {
    await post(server.url, 'mutation { upsertCustomer(input: { id: "31031", name: "Numeric" }) { id } }');
    const events = [
      { customerId: 31031, eventType: 'numeric_id', occurredAt: '2026-11-20T10:00:00Z' },
      { customerId: 31031.5, eventType: 'numeric_id' },
    ];
    const batch = await post<{ trackEngagementBatch: unknown }>(
      server.url,
      'mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }',
      { events: [events[0]] },
    );
    expect(batch.body.errors).toBeUndefined();
    // Past 2^53 an integer id is refused saying to send it as a string (JSON.parse would have rounded it).
    const huge = '{"customerId":12345678901234567890,"eventType":"numeric_import"}';
    const imported = await postNdjson(`${ndjson(events.map((event) => ({ ...event, eventType: 'numeric_import' })))}${huge}\n`);
    expect(imported.body.errors.map((e: { line: number; code: string }) => [e.line, e.code])).toEqual([
      [2, 'BAD_USER_INPUT'],
      [3, 'BAD_USER_INPUT'],
    ]);
    expect(imported.body.errors[1].message).toBe('customerId must be a string or an integer up to 2^53 − 1 (send a larger id as a string)');
    const stored = await sql<{ customerId: string }>(
      server.database,
      `select customer_id as "customerId" from engagement_event where event_type = 'numeric_import'`,
    );
    expect(stored).toEqual([{ customerId: '31031' }]);
  });

  it('keeps the daily rollup exactly as trackEngagementBatch keeps it', async () => {
    const events = (customerId: string) =>
      Array.from({ length: 40 }, (_, i) => ({
        customerId,
        eventType: i % 7 === 0 ? 'user_added' : 'feature_used',
        feature: `f${i % 5}`,
        userId: `u${i % 3}`,
        occurredAt: new Date(Date.parse('2026-11-01T00:00:00Z') + i * 9 * 3_600_000).toISOString(),
        idempotencyKey: `twin-${i}`,
      }));
    await post(server.url, 'mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }', {
      events: events('cust_twin_a'),
    });
    const imported = await postNdjson(ndjson(events('cust_twin_b')));
    expect(imported.body).toMatchObject({ accepted: 40, rejected: 0 });
    const rollup = await sql<{ customer_id: string; rows: unknown }>(
      server.database,
      `select customer_id, json_agg(json_build_object('day', day, 'events', event_count, 'added', user_added_count, 'first', first_at, 'last', last_at, 'features', features, 'users', user_ids) order by day) as rows
       from engagement_day where customer_id in ('cust_twin_a', 'cust_twin_b') group by 1 order by 1`,
    );
    expect(rollup).toHaveLength(2);
    expect(rollup[1].rows).toEqual(rollup[0].rows);
  });

  it('stores nothing twice when the same file is sent again', async () => {
    const before = await sql<{ n: number }>(server.database, 'select count(*)::int as n from engagement_event');
    const again = ndjson(
      Array.from({ length: 40 }, (_, i) => ({ customerId: 'cust_twin_b', eventType: 'x', idempotencyKey: `twin-${i}` })),
    );
    expect((await postNdjson(again)).body).toMatchObject({ accepted: 0, duplicates: 40, rejected: 0 });
    expect(await sql(server.database, 'select count(*)::int as n from engagement_event')).toEqual(before);
  });

  it('is refused without the ingest scope once keys exist, and accepted with it', async () => {
    const admin = await createKey(server, ['admin']);
    const reader = await createKey(server, ['read'], admin.key);
    const ingester = await createKey(server, ['ingest'], admin.key);
    const line = ndjson([{ customerId: 'cust_a', eventType: 'login', idempotencyKey: 'scoped' }]);
    expect((await postNdjson(line)).status).toBe(401);
    expect(await postNdjson(line, reader.key)).toMatchObject({ status: 403, body: { errors: [{ extensions: { code: 'FORBIDDEN' } }] } });
    expect(await postNdjson(line, ingester.key)).toMatchObject({ status: 200, body: { accepted: 1 } });
    // 405 naming what the path answers (its preflight too), in the media type the client asks for, as any refusal.
    for (const [accept, type] of [
      ['application/json', 'application/json; charset=utf-8'],
      ['application/graphql-response+json', 'application/graphql-response+json; charset=utf-8'],
    ]) {
      const get = await fetch(ingestUrl, { headers: { ...bearer(ingester.key), accept } });
      expect([get.status, get.headers.get('allow'), get.headers.get('content-type')]).toEqual([405, 'POST, OPTIONS', type]);
      expect(((await get.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe(
        'METHOD_NOT_ALLOWED',
      );
    }
    const options = await fetch(ingestUrl, { method: 'OPTIONS', headers: bearer(ingester.key) });
    expect([options.status, options.headers.get('allow')]).toEqual([204, 'POST, OPTIONS']);
  });
});

describe('importing in batches', () => {
  it('reports errors by line number across batches and stores every good line once', async () => {
    const lines = Array.from({ length: 95 }, (_, i) =>
      i % 10 === 3
        ? '{broken'
        : {
            customerId: i % 2 ? 'cust_a' : 'cust_b',
            eventType: 'batch_test',
            occurredAt: '2026-11-25T00:00:00Z',
            idempotencyKey: `batch-${i}`,
          },
    );
    let woken = 0;
    const summary = await importEvents(server.database.url, Readable.from([ndjson(lines)]), {
      batchSize: 7,
      scheduler: { scheduleRescore: () => woken++ },
    });
    const broken = lines.map((line, i) => (line === '{broken' ? i + 1 : 0)).filter(Boolean);
    expect(summary.errors.map((e) => e.line)).toEqual(broken);
    expect(summary).toMatchObject({
      lines: 95,
      accepted: 95 - broken.length,
      duplicates: 0,
      rejected: broken.length,
      batches: Math.ceil((95 - broken.length) / 7),
    });
    // The scheduler is woken once per committed batch, as signalsArrived wakes it once per write.
    expect(woken).toBe(summary.batches);
    const [count] = await sql<{ n: number }>(
      server.database,
      "select count(*)::int as n from engagement_event where event_type = 'batch_test'",
    );
    expect(count.n).toBe(95 - broken.length);
  });
});

describe('a line without occurredAt', () => {
  it('is dated when it is read, not when its import began', async () => {
    const line = `${JSON.stringify({ customerId: 'cust_a', eventType: 'dated_on_arrival' })}\n`;
    let secondSentAt = 0;
    async function* upload() {
      yield line;
      await new Promise((resolve) => setTimeout(resolve, 300));
      secondSentAt = Date.now();
      yield line;
    }
    const summary = await importEvents(server.database.url, upload());
    expect(summary).toMatchObject({ lines: 2, accepted: 2 });
    const stored = await sql<{ at: Date }>(
      server.database,
      "select occurred_at as at from engagement_event where event_type = 'dated_on_arrival' order by occurred_at",
    );
    expect(stored[0].at.getTime()).toBeLessThan(secondSentAt);
    expect(stored[1].at.getTime()).toBeGreaterThanOrEqual(secondSentAt);
  });
});

describe('an import of lines that write nothing', () => {
  // The input is all there when the import asks for it (a fast upload, a file), and none of it is
  // stored, so the import never waits for its source nor for the database: only the turns it takes
  // let the instance answer anything else meanwhile.
  const LINES_PER_CHUNK = 32 * 1024;
  it.each([
    ['refused lines', 'x\n', 8, { lines: 8 * LINES_PER_CHUNK, rejected: 8 * LINES_PER_CHUNK }],
    ['blank lines', '\n', 32, { lines: 0, rejected: 0 }],
  ])(
    'lets the instance answer other requests while it reads %s',
    async (_, line, chunkCount, expected) => {
      const chunk = Buffer.from(line.repeat(LINES_PER_CHUNK));
      let pulled = 0;
      let pulledWhenAnswered: number | undefined;
      const healthz = server.url.replace(/\/graphql$/, '/healthz');
      async function* upload() {
        for (; pulled < chunkCount; pulled++) {
          // Asked once the import reads its input in a batch (its first chunk is read before the batch begins).
          if (pulled === 1)
            void fetch(healthz)
              .then((response) => {
                if (response.ok) pulledWhenAnswered = pulled;
              })
              .catch(() => undefined);
          // Each chunk keeps the event loop past READ_SLICE_MS, however fast this machine splits it: a
          // fast one splits a chunk of blank lines in less, and the import would owe no turn.
          for (const until = Date.now() + READ_SLICE_MS; Date.now() <= until;);
          yield chunk;
        }
      }
      const summary = await importEvents(server.database.url, upload());
      expect(summary).toMatchObject(expected);
      // Answered while the import still had its input to read, not once it had read all of it.
      expect(pulledWhenAnswered).toBeLessThan(chunkCount);
    },
    120_000,
  );
});

describe('a key repeated in the input', () => {
  it('is stored once, whether repeated within a batch or across batches written at the same time', async () => {
    // Batches of 4 over two connections: lines 1, 3 and 6 share a key (in one batch and across two),
    // and so do lines 2 and 10.
    const key = (i: number) => ({ 1: 'rep-a', 3: 'rep-a', 6: 'rep-a', 2: 'rep-b', 10: 'rep-b' })[i] ?? `rep-${i}`;
    const lines = Array.from({ length: 12 }, (_, i) => ({
      customerId: 'cust_b',
      eventType: 'repeat_test',
      occurredAt: '2026-11-26T00:00:00Z',
      idempotencyKey: key(i + 1),
    }));
    const summary = await importEvents(server.database.url, Readable.from([ndjson(lines)]), { batchSize: 4, connections: 2 });
    expect(summary).toMatchObject({ lines: 12, accepted: 9, duplicates: 3, rejected: 0 });
    const [count] = await sql<{ n: number }>(
      server.database,
      "select count(*)::int as n from engagement_event where event_type = 'repeat_test'",
    );
    expect(count.n).toBe(9);
  });
});

describe('a key repeated within a batch', () => {
  it('is stored from its first line, whatever the order of the lines in time', async () => {
    const lines = [
      { customerId: 'cust_a', eventType: 'first_wins', feature: 'line-1', occurredAt: '2026-11-27T12:00:00Z', idempotencyKey: 'fw' },
      { customerId: 'cust_b', eventType: 'first_wins', occurredAt: '2026-11-27T10:00:00Z', idempotencyKey: 'fw' },
      { customerId: 'cust_a', eventType: 'first_wins', feature: 'line-3', occurredAt: '2026-11-27T08:00:00Z', idempotencyKey: 'fw' },
    ];
    const summary = await importEvents(server.database.url, Readable.from([ndjson(lines)]));
    expect(summary).toMatchObject({ lines: 3, accepted: 2, duplicates: 1, rejected: 0, batches: 1 });
    const stored = await sql<{ customer_id: string; feature: string | null }>(
      server.database,
      "select customer_id, feature from engagement_event where event_type = 'first_wins' order by customer_id",
    );
    expect(stored).toEqual([
      { customer_id: 'cust_a', feature: 'line-1' },
      { customer_id: 'cust_b', feature: null },
    ]);
  });
});

describe('npm run import stopped (Ctrl-C)', () => {
  it('reads no further line, commits what it read, says where to resume, and runs no backfill', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hg-import-stop-'));
    const fifo = path.join(dir, 'events.ndjson');
    // A pipe whose writer stays open: the import waits for more lines, as on a file still being read.
    execFileSync('mkfifo', [fifo]);
    const database = await createTestDatabase('import_stop');
    const orm: MikroORM = await openDatabase(database.url, 4);
    const printed: string[] = [];
    const stop = new AbortController();
    try {
      await upsertCustomer(
        orm.em.fork() as Db,
        null,
        { id: 'cust_a', name: 'A', signedUpAt: new Date('2026-01-01T00:00:00Z') },
        { mayReadStored: true },
      );
      const importing = runImportCommand(
        { file: fifo, backfillDays: 3 },
        orm,
        readConfig({ LOG_LEVEL: 'silent' }),
        database.url,
        (line) => printed.push(line),
        stop.signal,
      );
      const writer = createWriteStream(fifo);
      writer.write(
        ndjson(Array.from({ length: 40 }, (_, i) => ({ customerId: 'cust_a', eventType: 'login', idempotencyKey: `stop-${i}` }))),
      );
      // Read by the import (it has opened the pipe and taken the lines) before it is stopped.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      stop.abort();
      const summary = await importing;
      writer.destroy();
      expect(summary).toMatchObject({ stoppedAfterLine: 40, accepted: 40 });
      expect(printed).toContain(
        `stopped after line 40: every line up to it is stored; resume from line 41 (tail -n +41 ${fifo} | npm run import -- -)`,
      );
      expect(await sql(database, 'select count(*)::int as n from engagement_event')).toEqual([{ n: 40 }]);
      expect(await sql(database, 'select count(*)::int as n from health_score')).toEqual([{ n: 0 }]);
      expect(printed.some((line) => line.startsWith('backfilling'))).toBe(false);
    } finally {
      await orm.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run import -- FILE --backfill-days N', () => {
  it('imports the file, then writes history as of each past day marked backfill, with no outreach and no live tier change', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hg-import-'));
    const file = path.join(dir, 'events.ndjson');
    const now = Date.now();
    writeFileSync(
      file,
      ndjson(
        Array.from({ length: 30 }, (_, i) => ({
          customerId: 'cust_a',
          eventType: 'login',
          userId: 'u1',
          occurredAt: new Date(now - i * DAY).toISOString(),
          idempotencyKey: `cli-${i}`,
        })),
      ),
    );
    // A database of its own, with no server rescoring what arrives.
    const database = await createTestDatabase('import_cli');
    const orm: MikroORM = await openDatabase(database.url, 4);
    const printed: string[] = [];
    try {
      for (const id of ['cust_a', 'cust_b', 'cust_c', 'cust_d'])
        await upsertCustomer(
          orm.em.fork() as Db,
          null,
          { id, name: id, signedUpAt: new Date('2026-01-01T00:00:00Z') },
          { mayReadStored: true },
        );
      const outreachBefore = await sql<{ n: number }>(database, 'select count(*)::int as n from outreach_action');
      const summary = await runImportCommand({ file, backfillDays: 3 }, orm, readConfig({ LOG_LEVEL: 'silent' }), database.url, (line) =>
        printed.push(line),
      );
      expect(importExitCode(summary)).toBe(0);
      expect(printed.find((line) => line.startsWith('imported'))).toMatch(
        /^imported .*events\.ndjson: 30 lines, 30 events stored, 0 duplicates, 0 refused/,
      );
      const history = await sql<{ backfill: boolean; n: number; days: number }>(
        database,
        'select backfill, count(*)::int as n, count(distinct as_of)::int as days from health_score group by backfill',
      );
      expect(history).toEqual([{ backfill: true, n: 3 * 4, days: 3 }]);
      expect(await sql(database, 'select count(*)::int as n from tier_change where not backfill')).toEqual([{ n: 0 }]);
      expect(await sql(database, 'select count(*)::int as n from outreach_action')).toEqual(outreachBefore);
      // A bulk load leaves the planner statistics of what it wrote (src/infra/table-statistics.ts).
      const analyzed = await sql<{ name: string }>(
        database,
        `select relname as name from pg_stat_user_tables where last_analyze is not null and relname in ('engagement_event', 'engagement_day', 'health_score') order by 1`,
      );
      expect(analyzed.map((table) => table.name)).toEqual(['engagement_day', 'engagement_event', 'health_score']);
      // Again: every day is already scored.
      printed.length = 0;
      await runImportCommand({ file, backfillDays: 3 }, orm, readConfig({ LOG_LEVEL: 'silent' }), database.url, (line) =>
        printed.push(line),
      );
      expect(printed.filter((line) => line.endsWith('already scored'))).toHaveLength(3);
      expect(await sql(database, 'select count(*)::int as n from health_score')).toEqual([{ n: 12 }]);
      // A file that is not there: one line that says so, and nothing done.
      const missing = path.join(dir, 'missing.ndjson');
      await expect(
        runImportCommand({ file: missing, backfillDays: 3 }, orm, readConfig({ LOG_LEVEL: 'silent' }), database.url, () => {}),
      ).rejects.toThrow(`cannot read ${missing}: no such file`);
      await expect(
        runImportCommand({ file: dir, backfillDays: 0 }, orm, readConfig({ LOG_LEVEL: 'silent' }), database.url, () => {}),
      ).rejects.toThrow(`cannot read ${dir}: it is a directory, not a file of events`);
    } finally {
      await orm.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run import of a file sent again', () => {
  it('queues for rescoring only the customers that got a new event, and says how many', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hg-import-'));
    const file = path.join(dir, 'events.ndjson');
    // An id of 200 emoji beside an event type of 499: a line stored on its own (mayOverflowIndex).
    const wide = '😀'.repeat(200);
    const lines = [
      { customerId: 'cust_a', eventType: 'login', idempotencyKey: 'again-1' },
      { customerId: 'cust_b', eventType: 'login', idempotencyKey: 'again-2' },
      { customerId: wide, eventType: '😀'.repeat(499), idempotencyKey: 'again-3' },
    ];
    // A database of its own, with no server rescoring what arrives.
    const database = await createTestDatabase('import_again');
    const orm: MikroORM = await openDatabase(database.url, 4);
    const importFile = async (events: unknown[]) => {
      writeFileSync(file, ndjson(events));
      const printed: string[] = [];
      const summary = await runImportCommand({ file, backfillDays: 0 }, orm, readConfig({ LOG_LEVEL: 'silent' }), database.url, (line) =>
        printed.push(line),
      );
      const queued = await sql<{ id: string }>(database, 'select customer_id as id from rescore_request order by 1');
      await sql(database, 'delete from rescore_request');
      return { summary, printed: printed.join('\n'), queued: queued.map((row) => row.id) };
    };
    try {
      for (const id of ['cust_a', 'cust_b', wide])
        await upsertCustomer(orm.em.fork() as Db, null, { id, name: 'Again' }, { mayReadStored: true });
      await sql(database, 'delete from rescore_request');
      const first = await importFile(lines);
      expect(first.summary).toMatchObject({ accepted: 3, duplicates: 0, customers: 3 });
      expect(first.queued).toEqual(['cust_a', 'cust_b', wide]);

      const again = await importFile(lines);
      expect(again.summary).toMatchObject({ accepted: 0, duplicates: 3, customers: 0 });
      expect(again.printed).toContain(': 3 lines, 0 events stored, 3 duplicates, 0 refused; 0 customers queued for rescoring;');
      // Counts of one in the singular.
      const one = await importFile([{ ...lines[0], idempotencyKey: 'again-one' }, lines[1]]);
      expect(one.printed).toContain(': 2 lines, 1 event stored, 1 duplicate, 0 refused; 1 customer queued for rescoring;');
      expect((await importFile([lines[0]])).printed).toContain(': 1 line, 0 events stored, 1 duplicate, 0 refused;');
      expect(again.queued).toEqual([]);

      // One new event each for the customer of a line stored on its own and for cust_b: those two only.
      const more = await importFile([...lines, { ...lines[1], idempotencyKey: 'again-4' }, { ...lines[2], idempotencyKey: 'again-5' }]);
      expect(more.summary).toMatchObject({ accepted: 2, duplicates: 3, customers: 2 });
      expect(more.queued).toEqual(['cust_b', wide]);
    } finally {
      await orm.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run import with refused lines', () => {
  it('stores the good lines, lists the refused ones and exits 1, so a script notices', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hg-import-'));
    const file = path.join(dir, 'events.ndjson');
    writeFileSync(
      file,
      ndjson([
        { customerId: 'cust_a', eventType: 'exit_code_test', idempotencyKey: 'exit-1' },
        { customerId: 'cust_nobody', eventType: 'exit_code_test', idempotencyKey: 'exit-2' },
        { customerId: 'cust_b', eventType: 'exit_code_test', idempotencyKey: 'exit-3' },
      ]),
    );
    // A process of its own (ts-node compiles the command on start: slow on a loaded machine).
    const run = (target: string) =>
      new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn('npm', ['run', '-s', 'import', '--', target], {
          env: { ...process.env, DATABASE_URL: server.database.url, LOG_LEVEL: 'silent' },
        });
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, output }));
      });
    try {
      const refused = await run(file);
      expect(refused.output).toMatch(/3 lines, 2 events stored, 0 duplicates, 1 refused/);
      expect(refused.output).toContain('line 2: NOT_FOUND customer cust_nobody does not exist');
      expect(refused.code).toBe(1);
      const [stored] = await sql<{ n: number }>(
        server.database,
        "select count(*)::int as n from engagement_event where event_type = 'exit_code_test'",
      );
      expect(stored.n).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('an import when the server stops', () => {
  it('answers 503 at once, its client silent or not, with nothing of the batch it was reading stored', async () => {
    const stopping = await startTestServer({ label: 'import_stop' });
    try {
      await post(stopping.url, 'mutation { upsertCustomer(input: { id: "cust_stop", name: "Stop" }) { id } }');
      const line = (i: number) => `${JSON.stringify({ customerId: 'cust_stop', eventType: 'login', idempotencyKey: `stop-${i}` })}\n`;
      const answer = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }>((resolve, reject) => {
        const request = http.request(
          stopping.url.replace(/\/graphql$/, '/ingest/events'),
          { method: 'POST', headers: { 'content-type': 'application/x-ndjson' } },
          (response) => {
            let text = '';
            response.on('data', (chunk) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(text) }));
          },
        );
        request.on('error', reject);
        // 100 lines, then nothing: the upload neither goes on nor ends.
        request.write(Array.from({ length: 100 }, (_, i) => line(i)).join(''));
        setTimeout(() => void stopping.app.stop(), 500);
      });
      const { status, headers, body } = await answer;
      expect(status).toBe(503);
      expect(headers['retry-after']).toBe('5');
      // Its 100 lines were the batch being read: rolled back, not merged, so none is stored.
      expect(body).toMatchObject({ stoppedAfterLine: 0, lines: 0, accepted: 0, batches: 0 });
      expect(body.message).toContain('lines after 0 are not stored');
      const [stored] = await sql<{ count: number }>(
        stopping.database,
        `select count(*)::int as count from engagement_event where customer_id = 'cust_stop'`,
      );
      expect(stored.count).toBe(0);
    } finally {
      await stopping.stop();
    }
  }, 60_000);

  it('keeps the batches it committed and says where they end; the batch it was reading is rolled back', async () => {
    const database = await createTestDatabase('import_stop_batches');
    const orm: MikroORM = await openDatabase(database.url, 2);
    try {
      await upsertCustomer(orm.em.fork() as Db, null, { id: 'cust_stop', name: 'Stop' }, { mayReadStored: true });
      const line = (i: number) => JSON.stringify({ customerId: 'cust_stop', eventType: 'login', idempotencyKey: `batch-${i}` });
      const stopping = new AbortController();
      // 50 lines (a batch, merged), then 30 more with a bad one (the next batch, being read) and silence.
      async function* upload() {
        yield ndjson(Array.from({ length: 50 }, (_, i) => line(i + 1)));
        yield ndjson([...Array.from({ length: 29 }, (_, i) => line(i + 51)), 'not json']);
        await new Promise(() => undefined);
      }
      const summary = await importEvents(database.url, upload(), {
        batchSize: 50,
        // The second batch waits for its client until the server stops, however slow the first merge.
        batchWaitMs: 60_000,
        stopping: stopping.signal,
        // The server stops once the first batch is committed.
        onProgress: (progress) => progress.batches === 1 && stopping.abort(),
      });
      expect(summary).toMatchObject({ stoppedAfterLine: 50, lines: 50, accepted: 50, duplicates: 0, rejected: 0, errors: [], batches: 1 });
      expect(await sql(database, `select count(*)::int as n from engagement_event`)).toEqual([{ n: 50 }]);
    } finally {
      await orm.close();
      await database.drop();
    }
  });

  it.each([
    ['its client still sending', false],
    ['its upload ended', true],
  ])(
    'is answered within the drain when a merge still runs at its end, %s: the drain ends the session, and the batch is not stored',
    async (_, uploadEnded) => {
      const database = await createTestDatabase(uploadEnded ? 'import_stop_merge_ended' : 'import_stop_merge');
      const orm: MikroORM = await openDatabase(database.url, 2);
      const holder = new Client({ connectionString: database.url });
      holder.on('error', () => undefined);
      try {
        await upsertCustomer(orm.em.fork() as Db, null, { id: 'cust_stop', name: 'Stop' }, { mayReadStored: true });
        await holder.connect();
        // The merge queues its customer: it waits for this lock on the queue row.
        await holder.query('begin');
        await holder.query(`select 1 from rescore_request where customer_id = 'cust_stop' for update`);
        const line = (i: number) => JSON.stringify({ customerId: 'cust_stop', eventType: 'login', idempotencyKey: `merge-${i}` });
        const stopping = new AbortController();
        // Its own, as the drain ends every busy session of the name (other test files run beside this one).
        const sessionName = `healthgraph ${database.name}`;
        async function* upload() {
          yield ndjson(Array.from({ length: 50 }, (_, i) => line(i + 1)));
          if (!uploadEnded) await new Promise(() => undefined);
        }
        const logger = { warn: jest.fn() };
        const imported = importEvents(database.url, upload(), {
          batchSize: 50,
          stopping: stopping.signal,
          sessionName,
          logger,
        });
        const waiting = async () =>
          (await sql(database, `select 1 from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`, [sessionName]))
            .length > 0;
        for (let tries = 0; tries < 200 && !(await waiting()); tries++) await new Promise((resolve) => setTimeout(resolve, 50));
        stopping.abort();
        // The end of the drain: the instance's sessions still at work are ended.
        expect(await endBusySessions(database.url, sessionName)).toBe(1);
        expect(await imported).toMatchObject({ stoppedAfterLine: 0, lines: 0, accepted: 0, batches: 0 });
        expect(await sql(database, `select count(*)::int as n from engagement_event`)).toEqual([{ n: 0 }]);
        // The session ended by the drain is the stop, no failure of the merge's own.
        expect(logger.warn).not.toHaveBeenCalled();
      } finally {
        await holder.end().catch(() => undefined);
        await orm.close();
        await database.drop();
      }
    },
  );
});

/** A chunked POST /ingest/events over a raw socket, its body sent a piece at a time as the test says, and its answer. */
function rawUpload(url: string, key?: string) {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  socket.write(
    `POST /ingest/events HTTP/1.1\r\nHost: ${hostname}:${port}\r\n${key ? `Authorization: Bearer ${key}\r\n` : ''}` +
      'Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n',
  );
  // The server closes the connection once it has answered (Connection: close): the answer is what came before.
  const answer = new Promise<{ status: number; head: string; body: any; at: number }>((resolve, reject) => {
    let received = Buffer.alloc(0);
    let at = 0;
    socket.on('data', (data: Buffer) => {
      at ||= Date.now();
      received = Buffer.concat([received, data]);
    });
    socket.on('close', () => {
      const text = received.toString();
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return reject(new Error(`closed unanswered: ${text}`));
      const head = text.slice(0, end);
      let body = text.slice(end + 4);
      // Chunked: the chunks' sizes dropped.
      if (/transfer-encoding: chunked/i.test(head)) body = body.replace(/(^|\r\n)[0-9a-f]+\r\n/gi, '');
      resolve({ status: Number(head.split(' ')[1]), head, body: JSON.parse(body), at });
    });
  });
  return {
    answer,
    /** Sends `text` as one chunk of the body (nothing once the socket is closed). */
    send: (text: string): void => {
      if (!socket.destroyed) socket.write(`${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`);
    },
    /** Ends the body (its last, empty chunk). */
    end: (): void => void socket.write('0\r\n\r\n'),
    close: (): void => void socket.destroy(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The age in seconds of the oldest transaction a client session other than the watcher's holds open
 * on `databaseUrl`, the largest seen until `stop` is called.
 */
async function watchTransactions(databaseUrl: string): Promise<{ stop: () => Promise<number> }> {
  const watcher = new Client({ connectionString: databaseUrl });
  await watcher.connect();
  let oldest = 0;
  let watching = true;
  const watched = (async () => {
    while (watching) {
      const { rows } = await watcher.query<{ age: number }>(
        `select coalesce(max(extract(epoch from clock_timestamp() - xact_start)), 0)::float8 as age from pg_stat_activity
         where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()`,
      );
      oldest = Math.max(oldest, rows[0].age);
      await sleep(100);
    }
  })();
  return {
    // Idempotent: called again on the way out of a test that failed.
    stop: async () => {
      watching = false;
      await watched.catch(() => undefined);
      await watcher.end().catch(() => undefined);
      return oldest;
    },
  };
}

describe('a slow or trickling upload', () => {
  it('holds no transaction while its client trickles, leaves a slot to other keys, and is stopped 408 with where to resume once it completes no line for IMPORT_IDLE_TIMEOUT_MS', async () => {
    const idleMs = 3000;
    const slow = await startTestServer({ label: 'import_trickle', env: { IMPORT_IDLE_TIMEOUT_MS: String(idleMs) } });
    const url = slow.url.replace(/\/graphql$/, '/ingest/events');
    let upload: ReturnType<typeof rawUpload> | undefined;
    let transactions: Awaited<ReturnType<typeof watchTransactions>> | undefined;
    let dribble: NodeJS.Timeout | undefined;
    try {
      const admin = await createKey(slow, ['admin']);
      const pipeline = await createKey(slow, ['ingest'], admin.key, 'trickling pipeline');
      await post(slow.url, 'mutation { upsertCustomer(input: { id: "cust_slow", name: "Slow" }) { id } }', undefined, admin.key);
      // Verified once (scrypt), so that the uploads below are admitted at once.
      expect((await post(slow.url, '{ __typename }', undefined, pipeline.key)).status).toBe(200);
      const line = (key: string) => `${JSON.stringify({ customerId: 'cust_slow', eventType: 'login', idempotencyKey: key })}\n`;
      const importAs = async (key: string, body: string) => {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', ...bearer(key) }, body });
        return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as any };
      };
      transactions = await watchTransactions(slow.database.url);
      const trickler = rawUpload(url, pipeline.key);
      upload = trickler;
      // Four lines, each sent a few bytes at a time over 1.5 s: the import waits longer than
      // MAX_BATCH_WAIT_MS for each, with the batch of the one before committed.
      const trickled = (async () => {
        for (let i = 1; i <= 4; i++) {
          const text = line(`slow-${i}`);
          for (let at = 0; at < text.length; at += Math.ceil(text.length / 6)) {
            await sleep(250);
            trickler.send(text.slice(at, at + Math.ceil(text.length / 6)));
          }
        }
        return Date.now();
      })();
      await sleep(500);
      // The key holds all it may of the instance's imports; another key still has a slot.
      const again = await importAs(pipeline.key, line('slow-again'));
      expect([again.status, again.retryAfter, again.body.errors[0].extensions]).toEqual([
        429,
        '5',
        { code: 'RATE_LIMITED', retryAfterSeconds: 5, maxImportsPerKey: MAX_IMPORTS_PER_KEY },
      ]);
      const other = await importAs(admin.key, line('other-1'));
      expect([other.status, other.body.accepted]).toEqual([200, 1]);
      const lastLineAt = await trickled;
      // Then a byte every 200 ms of a line it never ends: no line completes.
      const unfinished = `{"customerId":"cust_slow","eventType":"login","metadata":{"note":"${'x'.repeat(500)}`;
      let at = 0;
      dribble = setInterval(() => trickler.send(unfinished[at++ % unfinished.length]), 200);
      const answer = await trickler.answer;
      clearInterval(dribble);
      const oldest = await transactions.stop();

      expect(answer.status).toBe(408);
      expect(answer.head).toMatch(/connection: close/i);
      // Stopped within IMPORT_IDLE_TIMEOUT_MS of its last line, its import slot free again.
      expect(answer.at - lastLineAt).toBeGreaterThanOrEqual(idleMs - 300);
      expect(answer.at - lastLineAt).toBeLessThan(idleMs + 2500);
      // Every line it completed is stored, and the answer says so and where to resume.
      expect(answer.body).toMatchObject({ stoppedAfterLine: 4, lines: 4, accepted: 4, rejected: 0, errors: [] });
      expect(answer.body.message).toContain('lines after 4 were not read');
      const stored = await sql<{ key: string }>(
        slow.database,
        `select idempotency_key as key from engagement_event where customer_id = 'cust_slow' order by 1`,
      );
      expect(stored.map((row) => row.key)).toEqual(['other-1', 'slow-1', 'slow-2', 'slow-3', 'slow-4']);
      // No transaction outlived a batch's wait for its next line by much, in nine seconds of upload.
      expect(oldest).toBeLessThan((MAX_BATCH_WAIT_MS + 1500) / 1000);
      const resumed = await importAs(pipeline.key, line('slow-5'));
      expect([resumed.status, resumed.body.accepted]).toEqual([200, 1]);
    } finally {
      clearInterval(dribble);
      upload?.close();
      await transactions?.stop();
      await slow.stop();
    }
  }, 90_000);

  it('commits a batch that has read for batchReadMs at its next wait, so a client never pausing long holds no long transaction', async () => {
    const database = await createTestDatabase('import_batch_age');
    const orm: MikroORM = await openDatabase(database.url, 2);
    try {
      await upsertCustomer(orm.em.fork() as Db, null, { id: 'cust_steady', name: 'Steady' }, { mayReadStored: true });
      // A line every 100 ms for 3 s: never a pause of MAX_BATCH_WAIT_MS.
      async function* steady() {
        for (let i = 1; i <= 30; i++) {
          yield `${JSON.stringify({ customerId: 'cust_steady', eventType: 'login', idempotencyKey: `steady-${i}` })}\n`;
          await sleep(100);
        }
      }
      const transactions = await watchTransactions(database.url);
      const summary = await importEvents(database.url, steady(), { batchReadMs: 700 });
      const oldest = await transactions.stop();
      expect(summary).toMatchObject({ lines: 30, accepted: 30, rejected: 0 });
      expect(summary.batches).toBeGreaterThanOrEqual(3);
      expect(oldest).toBeLessThan(0.7 + 1);
      expect(await sql(database, `select count(*)::int as n from engagement_event`)).toEqual([{ n: 30 }]);
    } finally {
      await orm.close();
      await database.drop();
    }
  });

  it('reads lines already there in full batches, whatever batchReadMs: only a wait for the client ends a batch early', async () => {
    const database = await createTestDatabase('import_batch_full');
    const orm: MikroORM = await openDatabase(database.url, 2);
    try {
      await upsertCustomer(orm.em.fork() as Db, null, { id: 'cust_fast', name: 'Fast' }, { mayReadStored: true });
      const chunks = Array.from({ length: 10 }, (_, chunk) =>
        ndjson(
          Array.from({ length: 100 }, (_, i) => ({
            customerId: 'cust_fast',
            eventType: 'login',
            idempotencyKey: `fast-${chunk * 100 + i}`,
          })),
        ),
      );
      const summary = await importEvents(database.url, Readable.from(chunks), { batchSize: 400, batchReadMs: 0 });
      expect(summary).toMatchObject({ lines: 1000, accepted: 1000, batches: 3 });
    } finally {
      await orm.close();
      await database.drop();
    }
  });
});

/** Opens `holder`'s session and takes the events table in share mode: an import's merge then waits for it. */
async function holdEventsTable(holder: Client): Promise<void> {
  await holder.connect();
  await holder.query('begin');
  await holder.query('lock table engagement_event in share mode');
}

/** Resolves once a session of `database` other than the asking one waits for a lock (the import's merge). */
function mergeWaitingForLock(database: TestDatabase, what: string): Promise<void> {
  return waitUntil(
    async () =>
      (
        await sql(
          database,
          `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
        )
      ).length > 0,
    10_000,
    what,
  );
}

describe('an import whose client goes away', () => {
  it('stops reading and commits nothing more: the batch being merged is rolled back, the batches committed before stay', async () => {
    const gone = await startTestServer({ label: 'import_gone' });
    const url = gone.url.replace(/\/graphql$/, '/ingest/events');
    const holder = new Client({ connectionString: gone.database.url });
    holder.on('error', () => undefined);
    let upload: ReturnType<typeof rawUpload> | undefined;
    const count = async () =>
      (await sql<{ n: number }>(gone.database, `select count(*)::int as n from engagement_event where customer_id = 'cust_gone'`))[0].n;
    try {
      const admin = await createKey(gone, ['admin']);
      const pipeline = await createKey(gone, ['ingest'], admin.key, 'pipeline');
      await post(gone.url, 'mutation { upsertCustomer(input: { id: "cust_gone", name: "Gone" }) { id } }', undefined, admin.key);
      expect((await post(gone.url, '{ __typename }', undefined, pipeline.key)).status).toBe(200);
      const line = (i: number) => `${JSON.stringify({ customerId: 'cust_gone', eventType: 'login', idempotencyKey: `gone-${i}` })}\n`;
      upload = rawUpload(url, pipeline.key);
      // Nobody is there to read an answer.
      upload.answer.catch(() => undefined);
      // 50 lines, then a pause: the batch is committed once it has waited MAX_BATCH_WAIT_MS for more.
      upload.send(Array.from({ length: 50 }, (_, i) => line(i + 1)).join(''));
      await waitUntil(async () => (await count()) === 50, 10_000, 'the first batch committed');
      // The next batch's merge waits for the events table, held by a session of the test's.
      await holdEventsTable(holder);
      upload.send(Array.from({ length: 30 }, (_, i) => line(i + 51)).join(''));
      await mergeWaitingForLock(gone.database, 'the second batch merging');
      // The client goes away (its socket destroyed mid-upload), then the table is free again.
      upload.close();
      await sleep(500);
      await holder.query('commit');
      // The import is over (its key may import again), and nothing of the second batch was committed.
      await waitUntil(
        async () => (await fetch(url, { method: 'POST', headers: bearer(pipeline.key), body: line(99) })).status === 200,
        10_000,
        'the import slot given back',
      );
      expect(await count()).toBe(51);
      const stored = await sql<{ key: string }>(
        gone.database,
        `select idempotency_key as key from engagement_event where customer_id = 'cust_gone'`,
      );
      expect(stored.map((row) => row.key).filter((key) => Number(key.slice(5)) > 50)).toEqual(['gone-99']);
    } finally {
      upload?.close();
      await holder.end().catch(() => undefined);
      await gone.stop();
    }
  }, 60_000);

  it('stops as well when its client goes away after sending the whole body, before its answer: the merge under way is rolled back, and the log says where the stored lines end', async () => {
    const logged: Array<Record<string, unknown>> = [];
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const text of chunk.toString().split('\n')) if (text !== '') logged.push(JSON.parse(text));
        done();
      },
    });
    const gone = await startTestServer({ label: 'import_gone_after_upload', logger: pino({ level: 'info' }, logStream) });
    const url = gone.url.replace(/\/graphql$/, '/ingest/events');
    const holder = new Client({ connectionString: gone.database.url });
    holder.on('error', () => undefined);
    let upload: ReturnType<typeof rawUpload> | undefined;
    const count = async () =>
      (await sql<{ n: number }>(gone.database, `select count(*)::int as n from engagement_event where customer_id = 'cust_left'`))[0].n;
    try {
      await post(gone.url, 'mutation { upsertCustomer(input: { id: "cust_left", name: "Left" }) { id } }');
      const line = (i: number) => `${JSON.stringify({ customerId: 'cust_left', eventType: 'login', idempotencyKey: `left-${i}` })}\n`;
      upload = rawUpload(url);
      upload.answer.catch(() => undefined);
      // 50 lines, committed as a batch once the import has waited MAX_BATCH_WAIT_MS for more.
      upload.send(Array.from({ length: 50 }, (_, i) => line(i + 1)).join(''));
      await waitUntil(async () => (await count()) === 50, 10_000, 'the first batch committed');
      // The last 30 lines and the end of the body: their merge waits for the events table.
      await holdEventsTable(holder);
      upload.send(Array.from({ length: 30 }, (_, i) => line(i + 51)).join(''));
      upload.end();
      await mergeWaitingForLock(gone.database, 'the last batch merging');
      // The whole body is read; the client goes away before its answer, then the table is free again.
      upload.close();
      await sleep(500);
      await holder.query('commit');
      await waitUntil(
        () => logged.some((entry) => entry.msg === 'event import stopped: its client went away'),
        10_000,
        'the import logged',
      );
      expect(logged.find((entry) => entry.msg === 'event import stopped: its client went away')).toMatchObject({
        stoppedAfterLine: 50,
        lines: 50,
        accepted: 50,
      });
      expect(await count()).toBe(50);
      // The merge's cancel is the stop, not a failure to report.
      expect(logged.filter((entry) => String(entry.msg).startsWith('event import') && (entry.level as number) >= 40)).toEqual([]);
    } finally {
      upload?.close();
      await holder.end().catch(() => undefined);
      await gone.stop();
    }
  }, 60_000);

  it('stopped nothing when its client goes away once every batch is committed: every line is stored, and no stoppedAfterLine says otherwise', async () => {
    const database = await createTestDatabase('import_gone_after_commit');
    const orm: MikroORM = await openDatabase(database.url, 2);
    try {
      await upsertCustomer(orm.em.fork() as Db, null, { id: 'cust_done', name: 'Done' }, { mayReadStored: true });
      const lines = ndjson(
        Array.from({ length: 80 }, (_, i) => ({ customerId: 'cust_done', eventType: 'login', idempotencyKey: `done-${i}` })),
      );
      const gone = new AbortController();
      const summary = await importEvents(database.url, Readable.from([lines]), {
        batchSize: 50,
        abandoned: gone.signal,
        // The client leaves as the last batch commits, the input read to its end.
        onProgress: (progress) => progress.batches === 2 && gone.abort(new RequestAbandonedError()),
      });
      expect(gone.signal.aborted).toBe(true);
      expect(summary).toMatchObject({ lines: 80, accepted: 80, batches: 2 });
      expect(summary.stoppedAfterLine).toBeUndefined();
      expect(await sql(database, `select count(*)::int as n from engagement_event`)).toEqual([{ n: 80 }]);
    } finally {
      await orm.close();
      await database.drop();
    }
  });

  it("leaves no listener on the server's stop signal or its client's once it has ended: nothing of it stays for the server's life", async () => {
    const database = await createTestDatabase('import_listeners');
    const orm: MikroORM = await openDatabase(database.url, 2);
    try {
      await upsertCustomer(orm.em.fork() as Db, null, { id: 'cust_listen', name: 'Listen' }, { mayReadStored: true });
      const stopping = new AbortController().signal;
      for (let run = 0; run < 3; run++) {
        const client = new AbortController().signal;
        const lines = ndjson([{ customerId: 'cust_listen', eventType: 'login', idempotencyKey: `listen-${run}` }]);
        const summary = await importEvents(database.url, Readable.from([lines]), { stopping, abandoned: client });
        expect(summary).toMatchObject({ lines: 1, accepted: 1 });
        expect(getEventListeners(client, 'abort')).toHaveLength(0);
      }
      expect(getEventListeners(stopping, 'abort')).toHaveLength(0);
    } finally {
      await orm.close();
      await database.drop();
    }
  });

  it('logs at warn level, with its error, a merge that fails for a reason of its own while its client goes away, and stores nothing of its batch', async () => {
    const database = await createTestDatabase('import_gone_failed');
    const orm: MikroORM = await openDatabase(database.url, 2);
    try {
      await upsertCustomer(orm.em.fork() as Db, null, { id: 'cust_fail', name: 'Fail' }, { mayReadStored: true });
      // The merge waits until its client has gone (the cancel of its statement ends the wait), then
      // fails otherwise: a disk full, say.
      await sql(
        database,
        `create function fail_after_cancel() returns trigger language plpgsql as $$
         begin
           begin
             perform pg_sleep(60);
           exception when query_canceled then
             null;
           end;
           raise exception 'could not extend file: No space left on device' using errcode = 'disk_full';
         end $$`,
      );
      await sql(
        database,
        'create trigger fail_after_cancel before insert on engagement_event for each statement execute function fail_after_cancel()',
      );
      const lines = ndjson(
        Array.from({ length: 50 }, (_, i) => ({ customerId: 'cust_fail', eventType: 'login', idempotencyKey: `fail-${i}` })),
      );
      const gone = new AbortController();
      const logger = { warn: jest.fn() };
      const imported = importEvents(database.url, Readable.from([lines]), { batchSize: 50, abandoned: gone.signal, logger });
      await waitUntil(
        async () =>
          (await sql(database, `select 1 from pg_stat_activity where datname = current_database() and wait_event = 'PgSleep'`)).length > 0,
        10_000,
        'the merge waiting',
      );
      gone.abort(new RequestAbandonedError());
      expect(await imported).toMatchObject({ stoppedAfterLine: 0, lines: 0, accepted: 0, batches: 0 });
      expect(logger.warn).toHaveBeenCalledTimes(1);
      const [fields, message] = logger.warn.mock.calls[0];
      expect(message).toMatch(/failed while the import was being stopped/);
      expect(fields).toMatchObject({ firstLine: 1, lastLine: 50, err: expect.objectContaining({ code: '53100' }) });
      expect(await sql(database, `select count(*)::int as n from engagement_event`)).toEqual([{ n: 0 }]);
    } finally {
      await orm.close();
      await database.drop();
    }
  });
});

describe('a compressed body', () => {
  let zipped: TestServer;
  let url: string;
  const logged: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const text of chunk.toString().split('\n')) if (text !== '') logged.push(JSON.parse(text));
        done();
      },
    });
    zipped = await startTestServer({ label: 'import_zip', logger: pino({ level: 'info' }, logStream) });
    url = zipped.url.replace(/\/graphql$/, '/ingest/events');
    await post(zipped.url, 'mutation { upsertCustomer(input: { id: "cust_b", name: "B" }) { id } }');
  });
  afterAll(() => zipped?.stop());
  const file = ndjson([
    { customerId: 'cust_b', eventType: 'login', idempotencyKey: 'zip-1', occurredAt: '2026-11-20T10:00:00Z' },
    { customerId: 'cust_b', eventType: 'login', idempotencyKey: 'zip-2', occurredAt: '2026-11-20T11:00:00Z' },
  ]);
  const send = async (body: Buffer, encoding: string): Promise<{ status: number; body: any }> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': encoding },
      body,
    });
    return { status: response.status, body: await response.json() };
  };

  it.each([
    ['gzip', zlib.gzipSync],
    ['br', zlib.brotliCompressSync],
    ['deflate', zlib.deflateSync],
  ])('is read as its Content-Encoding (%s) says', async (encoding, compress) => {
    const answer = await send(compress(Buffer.from(file)), encoding);
    expect(answer.status).toBe(200);
    expect(answer.body.lines).toBe(2);
    expect(answer.body.accepted + answer.body.duplicates).toBe(2);
  });

  it('is answered 400 when it is not what its Content-Encoding says, and 415 for an encoding it cannot read', async () => {
    const corrupt = await send(Buffer.from('this is not gzip at all'), 'gzip');
    expect([corrupt.status, corrupt.body.stoppedAfterLine, corrupt.body.lines]).toEqual([400, 0, 0]);
    expect(corrupt.body.message).toBe(
      'the body is not valid gzip data: lines after 0 are not stored (the lines before are); send them again ' +
        '(events with an idempotencyKey are stored once when sent again)',
    );
    // Cut short: the stream ends before gzip's and deflate's own end.
    for (const [encoding, cut] of [
      ['gzip', zlib.gzipSync(Buffer.from(file)).subarray(0, -8)],
      ['deflate', zlib.deflateSync(Buffer.from(file)).subarray(0, -6)],
    ] as const) {
      const truncated = await send(cut, encoding);
      expect([encoding, truncated.status, truncated.body.stoppedAfterLine]).toEqual([encoding, 400, 0]);
    }
    // And the server is still up.
    expect((await send(zlib.gzipSync(Buffer.from(file)), 'gzip')).status).toBe(200);
    const unknown = await send(Buffer.from(file), 'zstd');
    expect([unknown.status, unknown.body.errors[0].extensions.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('answers a refusal in the media type its client asks for, as every refusal, and its summary as JSON', async () => {
    const asking = (body: Buffer, encoding: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', 'content-encoding': encoding, accept: 'application/graphql-response+json' },
        body,
      });
    const refused = await asking(Buffer.from(file), 'zstd');
    expect([refused.status, refused.headers.get('content-type')]).toEqual([415, 'application/graphql-response+json; charset=utf-8']);
    // The summary is the import's own answer, not a GraphQL response, also for a body that could not be read.
    const imported = await asking(zlib.gzipSync(Buffer.from(file)), 'gzip');
    expect([imported.status, imported.headers.get('content-type')]).toEqual([200, 'application/json; charset=utf-8']);
    const corrupt = await asking(Buffer.from('this is not gzip at all'), 'gzip');
    expect([corrupt.status, corrupt.headers.get('content-type')]).toEqual([400, 'application/json; charset=utf-8']);
  });

  it.each([
    ['gzip', (input: Buffer) => zlib.gzipSync(input)],
    // Brotli's default quality takes seconds on 64 MiB; at a low one the bomb is as much of one.
    ['br', (input: Buffer) => zlib.brotliCompressSync(input, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 2 } })],
  ])(
    'is refused 413 once it decompresses to more than MAX_DECOMPRESSION_RATIO times its size (%s), and the server goes on',
    async (encoding, compress) => {
      // Some tens of kilobytes that decompress to 64 MiB, most of it one endless line after two good ones.
      const bomb = compress(Buffer.concat([Buffer.from(file), Buffer.alloc(64 * 1024 * 1024, ' ')]));
      expect(bomb.length).toBeLessThan(1024 * 1024);
      const answer = await send(bomb, encoding);
      expect(answer.status).toBe(413);
      expect(answer.body.message).toContain(`more than ${MAX_DECOMPRESSION_RATIO} times its ${encoding} size: lines after`);
      // Its two good lines are stored if their batch was committed before the body grew too large (the
      // import waited for it long enough), and the summary says so either way.
      expect(answer.body.lines).toBe(answer.body.stoppedAfterLine);
      expect(logged).toContainEqual(
        expect.objectContaining({
          msg: 'event import stopped: its body decompresses past the allowed ratio',
          stoppedAfterLine: answer.body.stoppedAfterLine,
        }),
      );
      expect((await send(zlib.gzipSync(Buffer.from(file)), 'gzip')).status).toBe(200);
    },
  );

  it('cut short, is answered with its summary and where the stored lines end, and logged: the batches committed before stay', async () => {
    await post(zipped.url, 'mutation { upsertCustomer(input: { id: "cust_cut", name: "Cut" }) { id } }');
    const lines = Array.from({ length: 2000 }, (_, i) =>
      JSON.stringify({ customerId: 'cust_cut', eventType: 'login', idempotencyKey: `cut-${i + 1}` }),
    );
    const zippedLines = zlib.gzipSync(Buffer.from(lines.join('\n') + '\n'));
    const answer = new Promise<{ status: number; body: any }>((resolve, reject) => {
      const request = http.request(
        url,
        { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' } },
        (response) => {
          let text = '';
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      request.on('error', reject);
      // Half of it, then a pause: the lines it holds are committed once the import has waited
      // MAX_BATCH_WAIT_MS for more; then most of the rest, cut before gzip's end.
      const half = Math.floor(zippedLines.length / 2);
      request.write(zippedLines.subarray(0, half));
      setTimeout(() => request.end(zippedLines.subarray(half, Math.floor(zippedLines.length * 0.9))), 3 * MAX_BATCH_WAIT_MS);
    });
    const { status, body } = await answer;
    expect(status).toBe(400);
    expect(body.stoppedAfterLine).toBeGreaterThan(0);
    expect(body).toMatchObject({ lines: body.stoppedAfterLine, accepted: body.stoppedAfterLine, rejected: 0, batches: 1 });
    expect(body.message).toContain(`lines after ${body.stoppedAfterLine} are not stored`);
    // Every line up to it is stored, none after it: the batch being read when the body failed is rolled back.
    const [stored] = await sql<{ n: number; last: number }>(
      zipped.database,
      `select count(*)::int as n, max(substr(idempotency_key, 5)::int) as last from engagement_event where customer_id = 'cust_cut'`,
    );
    expect(stored).toEqual({ n: body.stoppedAfterLine, last: body.stoppedAfterLine });
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'event import stopped: its body is not what its Content-Encoding says',
        stoppedAfterLine: body.stoppedAfterLine,
        accepted: body.stoppedAfterLine,
      }),
    );
  }, 60_000);

  it('is read whole when it decompresses to more than the ratio but within DECOMPRESSION_ALLOWANCE_BYTES', async () => {
    // The two good lines, then one line too long to read.
    const padded = Buffer.concat([Buffer.from(file), Buffer.alloc(DECOMPRESSION_ALLOWANCE_BYTES - 4096, ' ')]);
    const zipped = zlib.gzipSync(padded);
    expect(padded.length / zipped.length).toBeGreaterThan(MAX_DECOMPRESSION_RATIO);
    const answer = await send(zipped, 'gzip');
    expect([answer.status, answer.body.accepted + answer.body.duplicates, answer.body.rejected]).toEqual([200, 2, 1]);
  });
});
