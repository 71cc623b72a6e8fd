// A connection's outages, said once each. Clients that retry on their own (ioredis every two seconds
// at most, graphile-worker's polling, listener and cron every few) would otherwise log a warning per
// attempt, thousands of the same line over an hour's outage: the first failure of an outage is a
// warning with its reason, the later ones debug lines, and the connection's return one info line.
import type { Logger } from './logger';

/** The lines an outage is told by, and the fields every one of them carries. */
export interface OutageLines {
  lost: string;
  restored: string;
  /** Logged at debug level for each failure after the first of an outage. */
  repeated: string;
  fields?: Record<string, unknown>;
}

export class OutageLog {
  private down = false;

  constructor(
    private readonly logger: Logger,
    private readonly lines: OutageLines,
  ) {}

  /** Whether the connection is in an outage (a failure since the last return). */
  get isDown(): boolean {
    return this.down;
  }

  /** A failure: the outage's first is a warning, with `details` (its reason); later ones debug. */
  failed(details: Record<string, unknown>): void {
    const fields = { ...this.lines.fields, ...details };
    if (this.down) return this.logger.debug(fields, this.lines.repeated);
    this.down = true;
    this.logger.warn(fields, this.lines.lost);
  }

  /** The connection works (again): said once, at the end of an outage. */
  restored(): void {
    if (!this.down) return;
    this.down = false;
    this.logger.info({ ...this.lines.fields }, this.lines.restored);
  }
}
