// Continuous rescoring held off while a bulk load runs (`npm run demo:seed` beside a running
// service): the load queues each customer as its first rows arrive, and a round in the middle of it
// scored half-loaded accounts live, tier changes, alerts and customer emails included, from data
// that was not all there yet. The load holds a shared advisory lock for its duration; a round finds
// it held and leaves the queue as it is, for the round after the load. A first start's backfill holds
// it the same way, for the same reason: scored live while its history reaches only its first days,
// an account would be alerted and mailed on a month it has not seen yet.
import { DomainError } from '../infra/errors';
import { Db, queryOne } from '../infra/sql';
import { withSharedSessionLock } from '../infra/session-lock';

const BULK_LOAD_LOCK = 'healthgraph:bulk-load';

/**
 * Runs `work` holding off continuous rescoring on every instance of `databaseUrl` (holds may overlap).
 * The hold is kept on its session as a full run's lock is (withSharedSessionLock): taken again on a
 * new session should that one end while the load goes on.
 */
export async function holdingRescoring<T>(databaseUrl: string, work: () => Promise<T>): Promise<T> {
  return withSharedSessionLock(databaseUrl, BULK_LOAD_LOCK, () => work());
}

/**
 * A full run as of now asked for through the API while a bulk load or a first start's backfill holds
 * live scoring off: scored then, it would alert, mail and run playbooks on data or history not all
 * there yet. Refused with nothing written; the hold's end is not known, so no Retry-After.
 */
export class ScoringHeldOffError extends DomainError {
  readonly code = 'SCORING_HELD_OFF';
  constructor() {
    super(
      'a bulk load or a first-start backfill is going on, and live scoring waits for its end: this full run as of now was not started, and nothing was written; send it again once it has ended (a past asOf, a backfill, is answered meanwhile)',
    );
  }
}

/**
 * Whether a bulk load or a first start's backfill holds continuous rescoring off. Read from pg_locks rather than by trying the
 * lock: a try takes it for an instant, and two instances probing at once each saw the other's probe
 * as a load. A bigint key is held as its high and low 32 bits (classid, objid; objsubid 1).
 */
export async function rescoringHeldOff(db: Db): Promise<boolean> {
  const row = await queryOne<{ held: boolean }>(
    db,
    `select exists (
       select 1 from pg_locks
       where locktype = 'advisory' and mode = 'ShareLock' and granted and objsubid = 1
         and database = (select oid from pg_database where datname = current_database())
         and classid = ((hashtext(?)::bigint >> 32) & 4294967295)::oid
         and objid = (hashtext(?)::bigint & 4294967295)::oid) as held`,
    [BULK_LOAD_LOCK, BULK_LOAD_LOCK],
  );
  return row?.held === true;
}
