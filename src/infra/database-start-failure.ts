// What `npm start` says when its database cannot be used: one line naming the URL (its password
// masked) and the driver's reason, instead of the driver's stack trace. A database that refuses the
// connection for who is asking (no such role, a wrong password, no such database) is a configuration
// error, as the others are; one that cannot be reached is an outage a later start may not meet, and
// has an exit code of its own so that a supervisor can tell it from both.
import { withoutPassword } from './config';
import { driverMessage, hasSqlState, isDatabaseOutage, StartupRefusal } from './errors';

/** The exit code of a start whose database could not be reached (connection refused, no answer, no such host). */
export const DATABASE_UNREACHABLE_EXIT_CODE = 3;

/**
 * SQLSTATEs of a connection refused for its credentials or its target: class 28 (no such role, a
 * wrong password, no pg_hba.conf entry) and 3D000 (no such database, which this role may not create).
 */
const REFUSED_CONNECTION_SQLSTATES = ['28000', '28P01', '3D000'];

/** The database failed to start as a typed error with its one line, or undefined when `error` is not the database's. */
export function databaseStartFailure(error: unknown, databaseUrl: string, source: string): Error | undefined {
  const where = `${source} (${withoutPassword(databaseUrl)})`;
  const reason = driverMessage(error) || String((error as { code?: unknown }).code ?? 'unknown error');
  if (REFUSED_CONNECTION_SQLSTATES.some((state) => hasSqlState(error, state))) {
    return new StartupRefusal(`Configuration error: ${where} refused the connection: ${reason}`);
  }
  if (isDatabaseOutage(error)) return new DatabaseUnreachable(`Database unreachable: ${where}: ${reason}`);
  return undefined;
}

/** The database of the configuration could not be reached at start: `npm start` exits with DATABASE_UNREACHABLE_EXIT_CODE. */
export class DatabaseUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnreachable';
  }
}
