// Workload 6, delivering alerts: a full scoring run that changes N tiers (the fan-out workload's
// "flippers", in a database of its own) decides their playbooks, and the CSM alert of each tier
// change is delivered to a local signed-webhook receiver. Measured: deliveries/s from the run's start to the
// last arrival, and commit → delivery per delivery (counted from its row's created_at, the batch
// transaction's start, so it overstates the time since commit); and the run's time with the
// destination against the same run without any destination, alternating within one process.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from '../support/databases';
import { graphql, startServer } from '../support/server-process';
import { percentile, summarise, Summary } from '../support/stats';
import { ensureLiveDataSet, forgetLiveScoring } from './fanout';

const SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;

export interface DeliveryWorkloadResult {
  tierChanges: number;
  deliveries: number;
  scoringWithoutSeconds: Summary;
  scoringWithSeconds: Summary;
  deliveredSeconds: Summary;
  deliveriesPerSecond: Summary;
  p99CommitToDeliveryMs: Summary;
  complete: boolean;
}

function startReceiver(): Promise<{ url: string; arrivals: Map<string, number>; close(): Promise<void> }> {
  const arrivals = new Map<string, number>();
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const id = String(request.headers['webhook-id']);
      if (!arrivals.has(id)) arrivals.set(id, Date.now());
      response.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
        arrivals,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    ),
  );
}

const FULL_RUN = 'mutation { refreshAllHealthScores { status customersScored tierChanges } }';

export async function runDeliveryWorkload(options: { flippers: number; runs: number }): Promise<DeliveryWorkloadResult> {
  const name = 'hg_bench_delivery';
  const { url, anchor } = await ensureLiveDataSet(name, options.flippers);
  const receiver = await startReceiver();
  const server = await startServer({
    name: 'delivery',
    database: url,
    env: { SCORING_INTERVAL_MS: '0', RESCORE_DEBOUNCE_MS: '0', DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true' },
  });
  const without: number[] = [];
  const withDestination: number[] = [];
  const delivered: number[] = [];
  const rates: number[] = [];
  const p99: number[] = [];
  let tierChanges = 0;
  let deliveries = 0;
  let complete = true;
  try {
    for (let run = 0; run < options.runs; run++) {
      // Without a destination.
      await forgetLiveScoring(name, anchor);
      let started = Date.now();
      const plain = await graphql<{ refreshAllHealthScores: { tierChanges: number } }>(server.url, FULL_RUN);
      without.push((Date.now() - started) / 1000);
      tierChanges = plain.refreshAllHealthScores.tierChanges;

      // The same run with a webhook destination taking every decided action.
      await forgetLiveScoring(name, anchor);
      const created = await graphql<{ createDestination: { id: string } }>(
        server.url,
        `
          mutation ($input: DestinationInput!) {
            createDestination(input: $input) {
              id
            }
          }
        `,
        {
          // The CSM alert of each tier change: one delivery per changed tier.
          input: {
            kind: 'WEBHOOK',
            name: 'bench',
            url: receiver.url,
            signingSecret: SECRET,
            filter: { audience: 'TEAM', playbooks: ['critical', 'at_risk', 'monitor'] },
          },
        },
      );
      receiver.arrivals.clear();
      started = Date.now();
      await graphql(server.url, FULL_RUN);
      withDestination.push((Date.now() - started) / 1000);
      const rows = await sql<{ id: string; createdAt: string }>(
        name,
        `select id::text, (extract(epoch from created_at) * 1000)::float8 as "createdAt" from delivery where destination_id = $1 and status <> 'SKIPPED_WEEKLY_CAP'`,
        [created.createDestination.id],
      );
      deliveries = rows.length;
      const deadline = Date.now() + 300_000;
      while (receiver.arrivals.size < rows.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      if (receiver.arrivals.size < rows.length) complete = false;
      const last = Math.max(...receiver.arrivals.values());
      delivered.push((last - started) / 1000);
      rates.push(rows.length / ((last - started) / 1000));
      p99.push(percentile(Float64Array.from(rows.map((row) => (receiver.arrivals.get(row.id) ?? deadline) - Number(row.createdAt))), 99));
      await graphql(
        server.url,
        `
          mutation ($id: ID!) {
            deleteDestination(id: $id) {
              id
            }
          }
        `,
        { id: created.createDestination.id },
      );
    }
  } finally {
    await server.stop();
    await receiver.close();
  }
  return {
    tierChanges,
    deliveries,
    scoringWithoutSeconds: summarise(without),
    scoringWithSeconds: summarise(withDestination),
    deliveredSeconds: summarise(delivered),
    deliveriesPerSecond: summarise(rates),
    p99CommitToDeliveryMs: summarise(p99),
    complete,
  };
}
