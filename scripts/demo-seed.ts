// `npm run demo:seed [-- --customers N --days D --seed S]`: loads the demo data set (2,000 customers,
// 180 days of signals ending now: healthy accounts, traps and labelled churners) into the same database
// `npm start` uses (src/demo/demo-seed-command.ts), running or not.
import 'reflect-metadata';
import { DEMO_SEED_USAGE, parseDemoArguments, seedDemo } from '../src/demo/demo-seed-command';
import { runCommand } from '../src/infra/command-line';
import { readConfig } from '../src/infra/config';
import { withScriptDatabase } from './script-database';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(DEMO_SEED_USAGE);
    return;
  }
  const options = parseDemoArguments(argv);
  const config = readConfig();
  // The same cluster `npm start` uses (when DATABASE_URL is unset), so the seeded data is what the service shows.
  await withScriptDatabase(config, config.databasePoolMax, (orm, databaseUrl) =>
    seedDemo(orm, config, databaseUrl, options, (line) => console.log(line), process.stdout.isTTY === true),
  );
}

runCommand(main);
