// Shared set-up of the signal-ingestion tests (NPS, payments, support tickets): a server whose
// rescoring signals are recorded, and direct reads of what was stored.
import { UpsertCustomerDocument } from '../__generated__/graphql';
import type { Db } from '../../src/infra/sql';
import { query, queryOne } from '../../src/infra/sql';
import { startTestServer, TestServer } from './server';

export interface IngestionTestContext {
  server: TestServer;
  db: Db;
  /** When the server's scoring scheduler was woken by a write (signalsArrived), one entry per wake-up. */
  signalled: number[];
  /** Creates a customer with no rescore pending, so a test sees what ingestion marks. */
  createCustomer(id: string): Promise<void>;
  /** Rows of `table` stored for the customer. */
  storedRows(table: 'nps_response' | 'payment' | 'support_ticket', customerId: string): Promise<number>;
  /** When the customer was queued for rescoring (null when it is not queued). */
  rescoreRequestedAt(customerId: string): Promise<Date | null>;
}

/** Registers beforeAll/afterAll for a test file; the context is filled once beforeAll has run. */
export function useIngestionServer(label: string): IngestionTestContext {
  const context = {
    signalled: [] as number[],
    async createCustomer(id: string) {
      await context.server.gql(UpsertCustomerDocument, { input: { id, name: `Customer ${id}` } });
      await query(context.db, 'delete from rescore_request where customer_id = ?', [id]);
    },
    async storedRows(table: string, customerId: string) {
      const row = await queryOne<{ count: number }>(context.db, `select count(*)::int as count from ${table} where customer_id = ?`, [
        customerId,
      ]);
      return row!.count;
    },
    async rescoreRequestedAt(customerId: string) {
      const row = await queryOne<{ at: string }>(context.db, 'select requested_at as at from rescore_request where customer_id = ?', [
        customerId,
      ]);
      return row ? new Date(row.at) : null;
    },
  } as IngestionTestContext;
  beforeAll(async () => {
    context.server = await startTestServer({ label });
    const scheduler = context.server.app.services.scheduler;
    const scheduleRescore = scheduler.scheduleRescore.bind(scheduler);
    jest.spyOn(scheduler, 'scheduleRescore').mockImplementation(() => {
      context.signalled.push(Date.now());
      scheduleRescore();
    });
    context.db = context.server.app.orm.em.fork() as Db;
  });
  afterAll(() => context.server.stop());
  return context;
}
