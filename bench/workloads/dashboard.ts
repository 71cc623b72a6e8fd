// Workload 3, the dashboard page: `customers(first: 50, orderBy: SCORE_ASC)` with each customer's
// current score (components), latest NPS answer and last outreach action, from 32 connections
// (autocannon), on the first page and on a page 90 % of the way in (`after` a cursor). The
// baseline is the same server with DISABLE_DATALOADER=1. SQL statements per request are counted
// on an in-process instance of the same code (the knex query event), for 5 and for 50 customers.
import 'reflect-metadata';
import { startApp } from '../../src/app';
import { readConfig } from '../../src/infra/config';
import { createLogger } from '../../src/infra/logger';
import { CUSTOMER_ORDERINGS } from '../../src/customers/customer.service';
import { CustomerOrder } from '../../src/customers/customer.types';
import { encodeCursor, orderTag } from '../../src/infra/pagination';
import type { DataSetInfo } from '../generate/dataset';
import { sql, vacuum } from '../support/databases';
import { load, LoadResult } from '../support/load';
import { graphql, startServer } from '../support/server-process';
import { summarise, Summary } from '../support/stats';

export const DASHBOARD_QUERY = `query Dashboard($first: Int, $after: String) {
  customers(first: $first, after: $after, orderBy: SCORE_ASC) {
    edges {
      cursor
      node {
        id
        name
        arrCents
        healthScore
        tier
        currentScore { score tier trend components { name score } }
        latestNpsResponse { score respondedAt }
        lastOutreachAction { playbook action status createdAt }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

export interface DashboardPageResult {
  requestsPerSecond: Summary;
  p50Ms: Summary;
  p99Ms: Summary;
}

export interface DashboardResult {
  customers: number;
  connections: number;
  seconds: number;
  firstPage: DashboardPageResult;
  deepPage: DashboardPageResult & { offset: number };
  baseline: DashboardPageResult;
  statements: { five: number; fifty: number; baselineFifty: number };
}

function pageResult(results: LoadResult[]): DashboardPageResult {
  return {
    requestsPerSecond: summarise(results.map((r) => r.requestsPerSecond)),
    p50Ms: summarise(results.map((r) => r.p50Ms)),
    p99Ms: summarise(results.map((r) => r.p99Ms)),
  };
}

/** Statements the page costs, counted on an in-process instance (same code, same database). */
async function countStatements(dataSet: DataSetInfo, disableDataLoader: boolean): Promise<{ five: number; fifty: number }> {
  const config = readConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SCORING_INTERVAL_MS: '0',
    RESCORE_DEBOUNCE_MS: '0',
    DISABLE_DATALOADER: disableDataLoader ? '1' : '0',
  });
  const app = await startApp({ ...config, databaseUrl: dataSet.url }, createLogger('silent'));
  try {
    const knex = (app.orm.em.getConnection() as unknown as { getKnex(): NodeJS.EventEmitter }).getKnex();
    const count = async (first: number) => {
      let statements = 0;
      const listener = () => statements++;
      knex.on('query', listener);
      try {
        await graphql(app.url, DASHBOARD_QUERY, { first });
      } finally {
        knex.off('query', listener);
      }
      return statements;
    };
    return { five: await count(5), fifty: await count(50) };
  } finally {
    await app.stop();
  }
}

export async function runDashboard(options: {
  dataSet: DataSetInfo;
  connections: number;
  seconds: number;
  runs: number;
  redisUrl: string;
}): Promise<DashboardResult> {
  const { dataSet } = options;
  const offset = Math.floor(dataSet.customers * 0.9);
  const [row] = await sql<{ score: string; id: string }>(
    dataSet.name,
    'select coalesce(health_score, -1)::text as score, id from customer order by coalesce(health_score, -1), id offset $1 limit 1',
    [offset - 1],
  );
  // Earlier workloads (scoring) rewrote these tables: read them as autovacuum would have left them.
  await vacuum(dataSet.name, ['customer', 'health_score', 'nps_response', 'outreach_action']);
  const deepBody = JSON.stringify({
    query: DASHBOARD_QUERY,
    variables: {
      first: 50,
      after: encodeCursor(orderTag(CUSTOMER_ORDERINGS[CustomerOrder.SCORE_ASC].sortKeys, 'asc'), [row.score, row.id]),
    },
  });
  const firstBody = JSON.stringify({ query: DASHBOARD_QUERY, variables: { first: 50 } });

  const measure = async (disableDataLoader: boolean, bodies: Array<[string, string]>) => {
    const server = await startServer({
      name: disableDataLoader ? 'dashboard-baseline' : 'dashboard',
      database: dataSet.url,
      redisUrl: options.redisUrl,
      env: disableDataLoader ? { DISABLE_DATALOADER: '1' } : {},
    });
    try {
      const results = new Map<string, LoadResult[]>(bodies.map(([label]) => [label, []]));
      // Warm-up: plans cached, JIT warm.
      for (const [, body] of bodies) await load({ url: server.url, connections: options.connections, seconds: 2, body });
      for (let run = 0; run < options.runs; run++) {
        for (const [label, body] of bodies) {
          const result = await load({ url: server.url, connections: options.connections, seconds: options.seconds, body });
          if (result.failures > 0) throw new Error(`${result.failures} dashboard requests failed`);
          results.get(label)?.push(result);
          process.stderr.write(
            `  [dashboard] ${server.name} ${label}: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms} ms\n`,
          );
        }
      }
      return results;
    } finally {
      await server.stop();
    }
  };

  const ours = await measure(false, [
    ['first page', firstBody],
    ['deep page', deepBody],
  ]);
  const baseline = await measure(true, [['first page', firstBody]]);
  const statements = await countStatements(dataSet, false);
  const baselineStatements = await countStatements(dataSet, true);
  return {
    customers: dataSet.customers,
    connections: options.connections,
    seconds: options.seconds,
    firstPage: pageResult(ours.get('first page') ?? []),
    deepPage: { ...pageResult(ours.get('deep page') ?? []), offset },
    baseline: pageResult(baseline.get('first page') ?? []),
    statements: { ...statements, baselineFifty: baselineStatements.fifty },
  };
}
