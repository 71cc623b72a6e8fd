// The command line of `npm run backtest` (scripts/backtest.ts): read whole, and the grid it asks for
// checked as the backtest checks it (checkedGrid), before any database is opened, so that a grid the
// backtest refuses (--from after --to, a future --to, too many instants) is a usage error, exit code 2.
import { InvalidInputError, UsageError } from '../../infra/errors';
import { DATE_TIME_FORMAT, DateTimeScalar } from '../../infra/scalars';
import { checkedEnd, checkedGrid } from './backtest.service';

const DAY_MS = 86_400_000;
const SEE_HELP = '(npm run backtest -- --help for the usage)';

export const BACKTEST_USAGE = `Usage: npm run backtest -- [--weeks W | --from T --to T] [--step D] [--horizon D] [--version N] [--compare-classic] [--suggest]

  --weeks W          snapshots every --step days over the last W weeks, ending yesterday (default 16)
  --from, --to       the grid's first and last instant instead (RFC 3339 date-times with an offset, e.g. 2026-11-01T00:00:00Z; not in the future)
  --step D           days between snapshots (default 7)
  --horizon D        days after a snapshot within which a churn counts as foreseen (default 30)
  --version N        a stored model version (default: the active model, and the current default
                     beside it while the active model is an earlier default of healthgraph)
  --compare-classic  also backtest the first default model (fixed targets) on the same grid
  --suggest          also fit the signal weights to the history and backtest the suggestion

Uses DATABASE_URL when set, else the embedded PostgreSQL of \`npm start\`. Writes no score, tier
change or outreach; on a database never scored, it stores the default model as version 1, as the
first scoring would.`;

export interface BacktestOptions {
  from: Date;
  to: Date;
  stepDays: number;
  horizonDays: number;
  version?: number;
  compareClassic: boolean;
  suggest: boolean;
}

const FLAGS = ['help', 'compare-classic', 'suggest'];
const VALUES = ['weeks', 'from', 'to', 'step', 'horizon', 'version'];

/** The options and flags of `argv`; a UsageError on an argument the command does not take. */
function readArguments(argv: readonly string[]): { values: Map<string, string | undefined>; flags: Set<string> } {
  const values = new Map<string, string | undefined>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (argv[i] === '-h') flags.add('help');
    else if (!match) throw new UsageError(`unknown argument "${argv[i]}" ${SEE_HELP}`);
    else if (FLAGS.includes(match[1])) flags.add(match[1]);
    else if (VALUES.includes(match[1])) {
      const value = match[2] ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${match[1]} needs a value ${SEE_HELP}`);
      values.set(match[1], value);
    } else throw new UsageError(`unknown option --${match[1]} ${SEE_HELP}`);
  }
  return { values, flags };
}

/**
 * Reads `npm run backtest`'s command line (`{ help: true }` for --help or -h) and checks its grid
 * as of `now`; a UsageError (one line, naming the option) on anything the backtest would refuse.
 */
export function parseBacktestArguments(argv: readonly string[], now: number): BacktestOptions | { help: true } {
  const { values, flags } = readArguments(argv);
  if (flags.has('help')) return { help: true };
  // Two ways to give the start: taking one, and leaving the other unread, would run another grid than asked.
  if (values.has('weeks') && values.has('from'))
    throw new UsageError(`--weeks and --from both set the grid's start: give --weeks W or --from T, not both ${SEE_HELP}`);
  const number = (name: string, fallback: number): number => {
    const text = values.get(name);
    const value = values.has(name) ? (/^\s*\d+\s*$/.test(text ?? '') ? Number(text) : NaN) : fallback;
    if (!Number.isSafeInteger(value) || value <= 0) throw new UsageError(`--${name} must be a whole number > 0, got "${text ?? ''}"`);
    return value;
  };
  // Read as the API reads a DateTime: a date alone or a time without an offset is refused, not taken in the machine's zone.
  const instant = (name: string): Date => {
    try {
      return DateTimeScalar.parseValue(values.get(name) ?? '') as Date;
    } catch {
      throw new UsageError(`--${name} must be ${DATE_TIME_FORMAT}; got "${values.get(name) ?? ''}"`);
    }
  };
  const to = values.has('to') ? instant('to') : new Date(now - DAY_MS);
  const from = values.has('from') ? instant('from') : new Date(to.getTime() - number('weeks', 16) * 7 * DAY_MS);
  const grid = { from, to, stepDays: number('step', 7), horizonDays: number('horizon', 30) };
  try {
    // Without --from the start is counted back from --to: a --to in the future is refused for
    // itself, before the start it puts in the future too.
    if (!values.has('from')) checkedEnd(to, now);
    checkedGrid(grid, now);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    // The grid's checks are the API's, which name its arguments: here they are options.
    const message = error.message
      .replace(/\bstepDays\b/g, '--step')
      .replace(/\bhorizonDays\b/g, '--horizon')
      .replace(/\bfrom…to\b/g, '--from…--to');
    throw new UsageError(`${optionOf(String(error.details.argument), values)}: ${message} ${SEE_HELP}`);
  }
  return {
    ...grid,
    version: values.has('version') ? modelVersion(values.get('version')) : undefined,
    compareClassic: flags.has('compare-classic'),
    suggest: flags.has('suggest'),
  };
}

/** "1 day", "7 days". */
function days(count: number): string {
  return `${count} day${count === 1 ? '' : 's'}`;
}

/** The line the command prints before the table: the grid it backtests. */
export function backtestHeader(grid: { from: Date; to: Date; stepDays: number; horizonDays: number }): string {
  return `Backtest from ${grid.from.toISOString()} to ${grid.to.toISOString()} every ${days(grid.stepDays)}, horizon ${days(grid.horizonDays)}`;
}

/** The highest model version: versions are 32-bit integers, in the table as in the API. */
const MAX_MODEL_VERSION = 2_147_483_647;

/** --version's value; a UsageError for one no stored model can have (the database would refuse to compare it). */
function modelVersion(text: string | undefined): number {
  const value = /^\s*\d+\s*$/.test(text ?? '') ? Number(text) : NaN;
  if (!(Number.isInteger(value) && value >= 1 && value <= MAX_MODEL_VERSION))
    throw new UsageError(`--version must be a whole number within 1…${MAX_MODEL_VERSION} (a model version), got "${text ?? ''}"`);
  return value;
}

/** The option behind a grid argument checkedGrid refused (`from` is --weeks when --from was not given, `to` --from when --to was not). */
function optionOf(argument: string, values: Map<string, string | undefined>): string {
  if (argument === 'from') return values.has('from') ? '--from' : '--weeks';
  // Without --to, the grid ends yesterday: a `to` refused for ending before --from is --from's.
  if (argument === 'to') return values.has('to') ? '--to' : '--from';
  if (argument === 'stepDays') return '--step';
  if (argument === 'horizonDays') return '--horizon';
  return `--${argument}`;
}
