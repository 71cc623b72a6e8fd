// Each test file gets its own PostgreSQL database, created fresh and dropped afterwards, so
// tests never see each other's rows. TEST_DATABASE_URL points at the server (default: local trust auth).
import { Client } from 'pg';
import { sessionUrl } from '../../src/infra/postgres-session';

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: sessionUrl(ADMIN_URL) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Runs one statement on a test database directly (no ORM, no server) and returns its rows. */
export async function sql<T>(database: TestDatabase, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: sessionUrl(database.url) });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `hg_${label
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase()
    .slice(0, 30)}_${process.pid}_${Date.now().toString(36)}`;
  await admin((client) => client.query(`create database "${name}"`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin((client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

/**
 * Holds `table` locked (ACCESS EXCLUSIVE) in a transaction of `holder`, a connected session of the
 * test's own, so every statement that reads or writes it waits; `release()` commits and ends that session.
 */
export async function holdTableLock(holder: Client, table: string): Promise<{ release(): Promise<void> }> {
  await holder.query('begin');
  await holder.query(`lock table ${table} in access exclusive mode`);
  return {
    async release() {
      await holder.query('commit');
      await holder.end();
    },
  };
}
