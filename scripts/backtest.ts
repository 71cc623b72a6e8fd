// `npm run backtest [-- options]`: does the score predict churn? Scores every account as of each
// week of the past (nothing is written) and prints recall, precision, AUC, lead times, false alarms
// and churn per tier against the churn labels (Customer.churnedAt) in the database.
import 'reflect-metadata';
import { readConfig } from '../src/infra/config';
import { runCommand } from '../src/infra/command-line';
import { InvalidInputError, UsageError } from '../src/infra/errors';
import type { Db } from '../src/infra/sql';
import { runBacktest, suggestScoringModel } from '../src/scoring/backtest/backtest.service';
import { backtestTable } from '../src/scoring/backtest/report-table';
import { CLASSIC_SCORING_MODEL, DEFAULT_SCORING_MODEL } from '../src/scoring/model';
import { activeEarlierDefault } from '../src/scoring/scoring-model.service';
import { withScriptDatabase } from './script-database';

const DAY_MS = 86_400_000;
const USAGE = `Usage: npm run backtest -- [--weeks W | --from ISO --to ISO] [--step D] [--horizon D] [--version N] [--compare-classic] [--suggest]

  --weeks W          snapshots every --step days over the last W weeks, ending yesterday (default 16)
  --from, --to       the grid's first and last instant instead (ISO date-times, not in the future)
  --step D           days between snapshots (default 7)
  --horizon D        days after a snapshot within which a churn counts as foreseen (default 30)
  --version N        a stored model version (default: the active model, and the current default
                     beside it while the active model is an earlier default of healthgraph)
  --compare-classic  also backtest the first default model (fixed targets) on the same grid
  --suggest          also fit the signal weights to the history and backtest the suggestion

Uses DATABASE_URL when set, else the embedded PostgreSQL of \`npm start\`. Writes nothing.`;

interface Options {
  from: Date;
  to: Date;
  stepDays: number;
  horizonDays: number;
  version?: number;
  compareClassic: boolean;
  suggest: boolean;
}

function parseArguments(argv: string[], now: number): Options {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (argv[i] === '-h') flags.add('help');
    else if (!match) throw new UsageError(`unknown argument "${argv[i]}" (npm run backtest -- --help for the usage)`);
    else if (['help', 'compare-classic', 'suggest'].includes(match[1])) flags.add(match[1]);
    else if (['weeks', 'from', 'to', 'step', 'horizon', 'version'].includes(match[1])) values.set(match[1], match[2] ?? argv[++i]);
    else throw new UsageError(`unknown option --${match[1]} (npm run backtest -- --help for the usage)`);
  }
  if (flags.has('help')) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (name: string, fallback: number) => {
    const value = values.has(name) ? Number(values.get(name)) : fallback;
    if (!Number.isInteger(value) || value <= 0)
      throw new UsageError(`--${name} must be a whole number > 0, got "${values.get(name) ?? ''}"`);
    return value;
  };
  const instant = (name: string) => {
    const value = new Date(values.get(name) as string);
    if (Number.isNaN(value.getTime()))
      throw new UsageError(`--${name} must be an ISO date-time, such as 2026-11-01T00:00:00Z, got "${values.get(name) ?? ''}"`);
    return value;
  };
  const to = values.has('to') ? instant('to') : new Date(now - DAY_MS);
  const from = values.has('from') ? instant('from') : new Date(to.getTime() - number('weeks', 16) * 7 * DAY_MS);
  return {
    from,
    to,
    stepDays: number('step', 7),
    horizonDays: number('horizon', 30),
    version: values.has('version') ? number('version', 1) : undefined,
    compareClassic: flags.has('compare-classic'),
    suggest: flags.has('suggest'),
  };
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2), Date.now());
  const config = readConfig();
  await withScriptDatabase(config, config.databasePoolMax, async (orm) => {
    const db = orm.em.fork() as Db;
    const grid = { from: options.from, to: options.to, stepDays: options.stepDays, horizonDays: options.horizonDays };
    console.log(
      `Backtest from ${grid.from.toISOString()} to ${grid.to.toISOString()} every ${grid.stepDays} days, horizon ${grid.horizonDays} days`,
    );
    const startedAt = Date.now();
    const result = await runBacktest(db, { ...grid, model: options.version ? { version: options.version } : null });
    const columns = [{ title: `model v${result.model.version}`, report: result.report }];
    // After an upgrade the service moves an earlier default to the current one when it next starts;
    // until then the active model is the earlier default: show the current one beside it.
    const earlier = options.version ? null : await activeEarlierDefault(db);
    if (earlier) {
      console.log(
        `The active model, v${earlier.version}, is an earlier default of healthgraph: the service moves to the current default when it next starts. Both are backtested.`,
      );
      columns.push({
        title: 'current default',
        report: (await runBacktest(db, { ...grid, model: { config: DEFAULT_SCORING_MODEL } })).report,
      });
    }
    if (options.compareClassic)
      columns.push({
        title: 'first default model',
        report: (await runBacktest(db, { ...grid, model: { config: CLASSIC_SCORING_MODEL } })).report,
      });
    // A history without churn (yet) has nothing to fit: the backtest above still stands, and says so.
    const suggestion = options.suggest
      ? await suggestScoringModel(db, grid).catch((error: unknown) => {
          if (!(error instanceof InvalidInputError)) throw error;
          console.log(`No fitted weights: ${error.message}`);
          return null;
        })
      : null;
    if (suggestion) {
      columns.push({ title: 'fitted weights', report: suggestion.suggested });
      const weights = Object.entries(suggestion.fit.weights)
        .map(([name, weight]) => `${name} ${weight}`)
        .join(', ');
      console.log(`Fitted on ${suggestion.fit.samples} snapshots (${suggestion.fit.positives} followed by churn): ${weights}`);
    }
    console.log(`\n${backtestTable(columns)}\n\n${result.instants} instants, ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  });
}

runCommand(main);
