// The services decide again, under the record's lock or from the statement that found it, what an
// answer may show of a record already stored: a record stored after the operation check (a concurrent
// writer) is refused to a caller without `read` before it is written, and nothing changes.
import { Client } from 'pg';
import type { Principal } from '../../src/auth/principal';
import { Scope } from '../../src/auth/scopes';
import { ENGAGEMENT_EVENT_READBACK } from '../../src/engagement/engagement.service';
import type { Db } from '../../src/infra/sql';
import { answerAudience, fieldsBeyondRequest } from '../../src/ingest/stored-record-readback';
import { submitNpsResponse } from '../../src/nps/nps.service';
import { PAYMENT_READBACK, recordPayment } from '../../src/payments/payment.service';
import { PaymentStatus } from '../../src/payments/payment.types';
import { recordSupportTicket, SUPPORT_TICKET_READBACK } from '../../src/support/support-ticket.service';
import { SupportTicketSeverity, SupportTicketStatus } from '../../src/support/support-ticket.types';
import { startTestServer, TestServer } from '../helpers/server';

const CUSTOMER = 'cust_stored';
const pipeline: Principal = { kind: 'key', keyId: 'pipeline', name: 'pipeline', scopes: [Scope.INGEST] };
const reader: Principal = { kind: 'key', keyId: 'reader', name: 'reader', scopes: [Scope.READ, Scope.INGEST] };

let server: TestServer;
let inspector: Client;
const db = () => server.app.orm.em.fork({ clear: true }) as Db;

async function storedRecords(): Promise<unknown> {
  const tables = ['nps_response', 'support_ticket', 'support_ticket_status_change', 'payment', 'payment_earlier_state', 'engagement_event'];
  const digest: Record<string, unknown> = {};
  for (const table of tables) digest[table] = (await inspector.query(`select * from ${table} order by id`)).rows;
  return digest;
}

beforeAll(async () => {
  server = await startTestServer({ label: 'stored_record_readback', env: { RESCORE_DEBOUNCE_MS: '0' } });
  inspector = new Client({ connectionString: server.database.url });
  await inspector.connect();
  await inspector.query(`insert into customer (id, name) values ('${CUSTOMER}', 'Stored')`);
  await submitNpsResponse(db(), null, { customerId: CUSTOMER, score: 1, externalId: 'r1', comment: 'secret' });
  await recordSupportTicket(db(), null, {
    customerId: CUSTOMER,
    externalId: 'T1',
    subject: 'secret',
    severity: SupportTicketSeverity.URGENT,
  });
  await recordPayment(db(), null, {
    customerId: CUSTOMER,
    externalId: 'in1',
    amountCents: 100,
    currency: 'usd',
    status: PaymentStatus.FAILED,
    dueAt: new Date('2026-01-01T00:00:00Z'),
  });
  await server.app.services.engagementWriter.write({
    customerId: CUSTOMER,
    eventType: 'export',
    metadata: { secret: true },
    idempotencyKey: 'e1',
  });
});
afterAll(async () => {
  await inspector?.end();
  await server?.stop();
});

describe('a caller without read, once the record is found stored', () => {
  const writes: Array<[string, (principal: Principal) => Promise<unknown>]> = [
    [
      'submitNpsResponse',
      (principal) =>
        submitNpsResponse(
          db(),
          null,
          { customerId: CUSTOMER, score: 1, externalId: 'r1' },
          new Date(),
          answerAudience(principal, ['id', 'comment']),
        ),
    ],
    [
      'recordSupportTicket',
      (principal) =>
        recordSupportTicket(
          db(),
          null,
          { customerId: CUSTOMER, externalId: 'T1', status: SupportTicketStatus.PENDING },
          new Date(),
          answerAudience(principal, ['status', 'subject']),
        ),
    ],
    [
      'recordPayment',
      (principal) =>
        recordPayment(
          db(),
          null,
          { customerId: CUSTOMER, externalId: 'in1', amountCents: 1, currency: 'usd', status: PaymentStatus.PAID },
          new Date(),
          answerAudience(principal, ['status', 'dueAt']),
        ),
    ],
    [
      'trackEngagement',
      (principal) =>
        server.app.services.engagementWriter.write(
          { customerId: CUSTOMER, eventType: 'x', idempotencyKey: 'e1' },
          new Date(),
          answerAudience(principal, ['id', 'metadata']),
        ),
    ],
  ];

  it.each(writes)('%s is refused FORBIDDEN and writes nothing', async (_name, write) => {
    const before = await storedRecords();
    await expect(write(pipeline)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await storedRecords()).toEqual(before);
  });

  it.each(writes)('%s answers a caller with read', async (_name, write) => {
    await expect(write(reader)).resolves.toBeDefined();
  });
});

describe('the fields a request decides of a stored record', () => {
  it('of a payment: amount, currency and status, and the dates it sends (paidAt cleared by FAILED)', () => {
    const input = { customerId: CUSTOMER, externalId: 'in1', amountCents: 1, currency: 'usd', status: PaymentStatus.PAID };
    const all = ['id', 'customerId', 'externalId', 'amountCents', 'currency', 'status', 'dueAt', 'paidAt', 'occurredAt'];
    expect(fieldsBeyondRequest(PAYMENT_READBACK, input, all)).toEqual(['dueAt', 'paidAt', 'occurredAt']);
    expect(fieldsBeyondRequest(PAYMENT_READBACK, { ...input, status: PaymentStatus.FAILED, dueAt: null }, all)).toEqual(['occurredAt']);
  });

  it('of a ticket: what it overwrites with the value sent, not a resolution kept from the stored ticket', () => {
    const all = ['subject', 'severity', 'status', 'csatRating', 'sentiment', 'openedAt', 'resolvedAt', 'updatedAt'];
    const solved = { customerId: CUSTOMER, externalId: 'T1', status: SupportTicketStatus.SOLVED };
    expect(fieldsBeyondRequest(SUPPORT_TICKET_READBACK, solved, all)).toEqual([
      'subject',
      'severity',
      'csatRating',
      'sentiment',
      'openedAt',
      'resolvedAt',
    ]);
    const reopened = { ...solved, status: SupportTicketStatus.OPEN, subject: null };
    expect(fieldsBeyondRequest(SUPPORT_TICKET_READBACK, reopened, all)).toEqual(['severity', 'csatRating', 'sentiment', 'openedAt']);
  });

  it('of an event (stored once, never updated): only its identity', () => {
    const input = { customerId: CUSTOMER, eventType: 'x', userId: 'u', idempotencyKey: 'e1' };
    expect(fieldsBeyondRequest(ENGAGEMENT_EVENT_READBACK, input, ['id', 'customerId', 'idempotencyKey', 'eventType', 'userId'])).toEqual([
      'eventType',
      'userId',
    ]);
  });
});
