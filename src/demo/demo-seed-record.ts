// Which demo data set this database holds. The data set follows from its options and the instant it
// ends at; loading another over it would mix two histories (plan changes out of order, events of two
// stories), so the first load records both, later loads regenerate the same data set, and a load
// asking for another one is refused before it writes anything.
import { StartupRefusal } from '../infra/errors';
import { Db, queryOne } from '../infra/sql';
import type { DemoOptions } from './demo-data';

/** A demo load's options: the data set's but its end, which the record fixes. */
export type DemoSeedOptions = Omit<DemoOptions, 'now'>;

export interface DemoSeedRecord extends Pick<DemoSeedOptions, 'customers' | 'days' | 'seed'> {
  /** The data set's `now`, where its signals end. */
  anchoredAt: Date;
  /** When a load of it last finished; null while the first runs, or after it was interrupted. */
  loadedAt: Date | null;
}

const RECORD_COLUMNS = 'customers, days, seed, anchored_at as "anchoredAt", loaded_at as "loadedAt"';

/** The demo's customer ids (demoCustomerId), as a LIKE pattern (`_` escaped). */
const DEMO_CUSTOMER_IDS = 'cust\\_demo\\_%';

const FRESH_DATABASE = 'seed a fresh database (a DATA_DIR and EMBEDDED_PG_PORT of its own, or DATABASE_URL naming an empty one)';

/** The options as typed on the command line. */
export function demoSeedFlags(options: Pick<DemoSeedOptions, 'customers' | 'days' | 'seed'>): string {
  return `--customers ${options.customers} --days ${options.days} --seed ${options.seed}`;
}

export function sameDemoOptions(record: DemoSeedRecord, options: DemoSeedOptions): boolean {
  return record.customers === options.customers && record.days === options.days && record.seed === options.seed;
}

type RecordRow = Omit<DemoSeedRecord, 'anchoredAt' | 'loadedAt'> & { anchoredAt: Date | string; loadedAt: Date | string | null };

function fromRow(row: RecordRow): DemoSeedRecord {
  return { ...row, anchoredAt: new Date(row.anchoredAt), loadedAt: row.loadedAt === null ? null : new Date(row.loadedAt) };
}

/** The demo data set this database records, or null when none was loaded (or it was loaded by a release that kept no record). */
export async function recordedDemoSeed(db: Db): Promise<DemoSeedRecord | null> {
  const row = await queryOne<RecordRow>(db, `select ${RECORD_COLUMNS} from demo_seed`);
  return row ? fromRow(row) : null;
}

/**
 * The record to load the demo data set of `options` by: the one this database holds, when its options
 * are these (the data set is regenerated from its instant, so the load repeats the first); else, in a
 * database with neither demo customers nor a record, a new one ending at `now` (customers of its own
 * are left beside the demo's, whose ids no one else's share). Refuses, writing nothing, other options
 * than those recorded, and a database with demo customers but no record.
 */
export async function claimDemoSeed(db: Db, options: DemoSeedOptions, now: Date): Promise<{ record: DemoSeedRecord; isNew: boolean }> {
  const written = await queryOne<RecordRow>(
    db,
    `insert into demo_seed (customers, days, seed, anchored_at)
     select ?, ?, ?, ? where not exists (select 1 from customer where id like ?)
     on conflict do nothing returning ${RECORD_COLUMNS}`,
    [options.customers, options.days, options.seed, now.toISOString(), DEMO_CUSTOMER_IDS],
  );
  if (written) return { record: fromRow(written), isNew: true };
  // Its own statement: a record a concurrent seed committed meanwhile is not in the insert's snapshot.
  const record = await recordedDemoSeed(db);
  if (!record) {
    const customers = await queryOne<{ n: number }>(db, 'select count(*)::int as n from customer where id like ?', [DEMO_CUSTOMER_IDS]);
    throw new StartupRefusal(
      `the database has ${customers?.n ?? 0} demo customers and no record of the demo seed that loaded them (a demo loaded by an ` +
        `earlier release): the demo loads only into a database without demo customers or one it seeded; ${FRESH_DATABASE}`,
    );
  }
  if (!sameDemoOptions(record, options)) {
    throw new StartupRefusal(
      `the database was seeded with ${demoSeedFlags(record)} (signals ending ${record.anchoredAt.toISOString()}), not ` +
        `${demoSeedFlags(options)}: other options would rewrite its history; run with those, or ${FRESH_DATABASE}`,
    );
  }
  return { record, isNew: false };
}

/** Notes that a load of the recorded data set finished. */
export async function markDemoSeedLoaded(db: Db, at: Date): Promise<void> {
  await queryOne(db, 'update demo_seed set loaded_at = ?', [at.toISOString()]);
}
