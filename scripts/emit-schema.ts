// Writes schema.graphql from the type-graphql classes; with --check, fails if the committed file is stale.
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { InProcessPubSub } from '../src/infra/pubsub';
import { buildAppSchema } from '../src/schema';

const SCHEMA_FILE = path.resolve(__dirname, '../schema.graphql');
const HEADER = '# Generated from the type-graphql classes by `npm run schema:emit`. Do not edit.\n\n';

async function main(): Promise<void> {
  const schema = await buildAppSchema(new InProcessPubSub());
  const printed = HEADER + printSchema(lexicographicSortSchema(schema)) + '\n';
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (committed !== printed) {
      console.error('schema.graphql is stale: run `npm run schema:emit` and commit the result.');
      process.exit(1);
    }
    console.log('schema.graphql is up to date');
    return;
  }
  writeFileSync(SCHEMA_FILE, printed);
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
