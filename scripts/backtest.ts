// `npm run backtest [-- options]`: does the score predict churn? Scores every account as of each
// week of the past (no score, tier change or outreach is written) and prints recall, precision,
// AUC, lead times, false alarms and churn per tier against the churn labels (Customer.churnedAt).
import 'reflect-metadata';
import { readConfig } from '../src/infra/config';
import { runCommand } from '../src/infra/command-line';
import { InvalidInputError, UsageError } from '../src/infra/errors';
import { Db } from '../src/infra/sql';
import { BACKTEST_USAGE, backtestHeader, parseBacktestArguments } from '../src/scoring/backtest/backtest-command';
import { runBacktest, suggestScoringModel } from '../src/scoring/backtest/backtest.service';
import { backtestTable } from '../src/scoring/backtest/report-table';
import { CLASSIC_SCORING_MODEL, DEFAULT_SCORING_MODEL } from '../src/scoring/model';
import { activeEarlierDefault, getModelVersion } from '../src/scoring/scoring-model.service';
import { withScriptDatabase } from './script-database';

async function main(): Promise<void> {
  const options = parseBacktestArguments(process.argv.slice(2), Date.now());
  if ('help' in options) return console.log(BACKTEST_USAGE);
  const config = readConfig();
  await withScriptDatabase(
    config,
    config.databasePoolMax,
    async (orm) => {
      const db = orm.em.fork() as Db;
      // A version never stored is what the user typed, as a bad option is: one line, before the header.
      if (options.version !== undefined && !(await getModelVersion(db, options.version)))
        throw new UsageError(`--version ${options.version}: no scoring model of that version is stored`);
      const grid = { from: options.from, to: options.to, stepDays: options.stepDays, horizonDays: options.horizonDays };
      console.log(backtestHeader(grid));
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
        // What `suggestScoringModel` warns of (too few churners, the silence promise broken) before anyone applies them.
        for (const warning of suggestion.warnings) console.log(`Warning: ${warning}`);
      }
      console.log(`\n${backtestTable(columns)}\n\n${result.instants} instants, ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    },
    { existing: true },
  );
}

runCommand(main);
