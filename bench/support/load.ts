// HTTP load from the benchmark process with autocannon: fixed concurrency for a fixed time, latency
// percentiles from its histogram, and every response body checked for GraphQL errors (Apollo answers
// them with status 200, which autocannon alone would count as successes).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
}

interface AutocannonResult {
  requests: Histogram & { total: number };
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  failures: number;
}

export async function load(options: {
  url: string;
  connections: number;
  seconds: number;
  /** A fixed body, or one built per request. */
  body: string | (() => string);
}): Promise<LoadResult> {
  let graphqlErrors = 0;
  let firstError: string | undefined;
  const makeBody = typeof options.body === 'function' ? options.body : undefined;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ...(makeBody ? { setupRequest: (request: Record<string, unknown>) => ({ ...request, body: makeBody() }) } : { body: options.body }),
        onResponse: (_status: number, body: string) => {
          if (body.includes('"errors"')) {
            graphqlErrors++;
            firstError ??= body.slice(0, 500);
          }
        },
      },
    ],
  });
  const failures = result.errors + result.timeouts + result.non2xx + graphqlErrors;
  if (firstError) process.stderr.write(`  [load] first GraphQL error: ${firstError}\n`);
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    failures,
  };
}
