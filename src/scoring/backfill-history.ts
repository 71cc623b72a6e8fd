// Score history for past instants (the demo's month, an import's backfill): a full scoring run as of
// each instant, oldest first. Runs as of a past instant are backfills (history and tier changes, no
// outreach, nothing published). An instant at which every customer signed up by then already has a
// score within 12 hours is skipped, so running the same backfill again adds no second point per day.
import { customerStartSql } from './customer-start';
import type { CoreServices } from '../context';
import { Db, json, query } from '../infra/sql';
import { refreshAllHealthScores, ScoringRunRecord } from './scoring.service';

export interface BackfillOptions {
  /** Only these customers count when deciding whether an instant is already scored (default: all). */
  customerIds?: readonly string[];
  /** Called after each instant: its run, or null when it was already scored. */
  onInstant?: (asOf: Date, run: ScoringRunRecord | null) => void;
  /** Asked before each instant: the backfill ends there when it answers true (the process is stopping). */
  stopped?: () => boolean;
  /** The runs are the first start's (`scoring_run.first_start`). */
  firstStart?: boolean;
}

export interface BackfillSummary {
  runs: number;
  skipped: number;
  tierChanges: number;
}

const DAY_MS = 86_400_000;

/** The last instant of each of the `days` UTC days before `now`'s, oldest first: a daily backfill's grid. */
export function endsOfPastDays(days: number, now: Date): Date[] {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * DAY_MS - 1));
}

/** The instants of `instants` at which some customer signed up by then has no score within 12 hours (one statement). */
async function instantsToScore(db: Db, instants: readonly Date[], customerIds: readonly string[] | undefined): Promise<Set<number>> {
  const rows = await query<{ at: string }>(
    db,
    `select i.at from jsonb_array_elements_text(?::jsonb) as i(at), (select ?::jsonb as ids) only_these
     where exists (
       select 1 from customer c
       where (only_these.ids is null or c.id in (select jsonb_array_elements_text(only_these.ids)))
         and ${customerStartSql('c')} <= i.at::timestamptz
         and not exists (select 1 from health_score h where h.customer_id = c.id
                         and h.as_of between i.at::timestamptz - interval '12 hours' and i.at::timestamptz + interval '12 hours'))`,
    [json(instants.map((at) => at.toISOString())), customerIds ? json(customerIds) : null],
  );
  return new Set(rows.map((row) => new Date(row.at).getTime()));
}

/**
 * Scores every customer as of each of `instants` not yet scored, oldest first. Which instants are
 * scored already is decided once, before the first run: right for instants a day or more apart (as
 * both callers' are), since one run's scores then fall within 12 hours of no other instant.
 */
export async function backfillHistory(
  services: CoreServices,
  db: Db,
  instants: readonly Date[],
  options: BackfillOptions = {},
): Promise<BackfillSummary> {
  const ordered = [...instants].sort((a, b) => a.getTime() - b.getTime());
  const missing = await instantsToScore(db, ordered, options.customerIds);
  const summary: BackfillSummary = { runs: 0, skipped: 0, tierChanges: 0 };
  for (const asOf of ordered) {
    if (options.stopped?.()) break;
    if (!missing.has(asOf.getTime())) {
      summary.skipped++;
      options.onInstant?.(asOf, null);
      continue;
    }
    const run = await refreshAllHealthScores(services, db, asOf, true, { firstStart: options.firstStart, backfill: true });
    summary.runs++;
    summary.tierChanges += run?.tierChanges ?? 0;
    options.onInstant?.(asOf, run);
  }
  return summary;
}
