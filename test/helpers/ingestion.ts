// Shared set-up of the signal-ingestion tests (NPS, payments, support tickets): a server whose
// rescoring signals are recorded, and direct reads of what was stored.
import { UpsertCustomerDocument } from '../__generated__/graphql';
import type { Db } from '../../src/infra/sql';
import { query, queryOne } from '../../src/infra/sql';
import { startTestServer, TestServer } from './server';

export interface IngestionTestContext {
  server: TestServer;
  db: Db;
  /** Customer ids passed to the rescoring hook, one entry per signal. */
  signalled: string[][];
  /** Creates a customer with no rescore pending, so a test sees what ingestion marks. */
  createCustomer(id: string): Promise<void>;
  /** Rows of `table` stored for the customer. */
  storedRows(table: 'nps_response' | 'payment' | 'support_ticket', customerId: string): Promise<number>;
  /** When the customer was marked for rescoring (null when not). */
  rescoreRequestedAt(customerId: string): Promise<Date | null>;
}

/** Registers beforeAll/afterAll for a test file; the context is filled once beforeAll has run. */
export function useIngestionServer(label: string): IngestionTestContext {
  const context = {
    signalled: [] as string[][],
    async createCustomer(id: string) {
      await context.server.gql(UpsertCustomerDocument, { input: { id, name: `Customer ${id}` } });
      await query(context.db, 'update customer set rescore_requested_at = null where id = ?', [id]);
    },
    async storedRows(table: string, customerId: string) {
      const row = await queryOne<{ count: number }>(context.db, `select count(*)::int as count from ${table} where customer_id = ?`, [customerId]);
      return row!.count;
    },
    async rescoreRequestedAt(customerId: string) {
      const row = await queryOne<{ at: string | null }>(context.db, 'select rescore_requested_at as at from customer where id = ?', [customerId]);
      return row!.at === null ? null : new Date(row!.at);
    },
  } as IngestionTestContext;
  beforeAll(async () => {
    context.server = await startTestServer({ label });
    context.server.app.services.onSignals.push((ids) => context.signalled.push(ids));
    context.db = context.server.app.orm.em.fork() as Db;
  });
  afterAll(() => context.server.stop());
  return context;
}
