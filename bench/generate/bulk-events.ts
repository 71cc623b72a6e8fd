// The bulk-import workload's events as NDJSON on standard output, streamed (any count in bounded
// memory), for timing `npm run import` on its own:
//
//   node -r ts-node/register/transpile-only bench/generate/bulk-events.ts EVENTS [CUSTOMERS] [DAYS] | npm run import -- -
//
// Customers are named bulk_000000, bulk_000001, …; they must exist for their events to be stored.
import 'reflect-metadata';
import { once } from 'node:events';
import { generateEvents } from '../workloads/bulk-import';

async function main(): Promise<void> {
  const [events, customers = 1_000, days = 30] = process.argv.slice(2).map(Number);
  if (!Number.isInteger(events) || events < 1) throw new Error('usage: bulk-events.ts EVENTS [CUSTOMERS] [DAYS]');
  let text = '';
  for (const event of generateEvents(customers, events, days)) {
    text += `${JSON.stringify(event)}\n`;
    if (text.length >= 64 * 1024) {
      if (!process.stdout.write(text)) await once(process.stdout, 'drain');
      text = '';
    }
  }
  process.stdout.write(text);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
