// Starts the real service (real PostgreSQL, real Redis when asked) on a free port for a test
// file, and talks to it over HTTP like any client would.
import { DocumentNode, print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { RunningApp, startApp } from '../../src/app';
import { readConfig } from '../../src/infra/config';
import { createLogger, Logger } from '../../src/infra/logger';
import { createTestDatabase, TestDatabase } from './database';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string; [key: string]: unknown } }>;
}

/**
 * Root fields are nullable, so that a failing one costs only itself; but `gql` fails the test on any
 * error, so the root fields it answers are null only where null is their meaning: these.
 */
const ROOT_FIELDS_NULL_BY_MEANING = ['healthScore', 'setCsmContact'] as const;
type NullByMeaning = (typeof ROOT_FIELDS_NULL_BY_MEANING)[number];

/** An answer of `gql`: its root fields as answered without an error (see ROOT_FIELDS_NULL_BY_MEANING). */
export type Answered<T> = T extends object ? { [K in keyof T]: K extends NullByMeaning ? T[K] : NonNullable<T[K]> } : T;

export interface TestServer {
  app: RunningApp;
  url: string;
  wsUrl: string;
  database: TestDatabase;
  /** Runs an operation; returns the raw response (data and errors). */
  request<T, V>(document: TypedDocumentNode<T, V> | DocumentNode | string, variables?: V): Promise<GraphQLResponse<T>>;
  /** Runs an operation and fails the test on any GraphQL error, or on a root field answered null without one. */
  gql<T, V>(document: TypedDocumentNode<T, V> | string, variables?: V): Promise<Answered<T>>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  label?: string;
  redis?: boolean;
  /** Reuse an existing database (a second instance on the same data). */
  database?: TestDatabase;
  env?: Record<string, string>;
  /** Where the server logs (default: a logger at TEST_LOG_LEVEL, silent unless set). */
  logger?: Logger;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase(options.label));
  const config = readConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SCORING_INTERVAL_MS: '0',
    DATABASE_POOL_MAX: '5',
    // Tests of races send one client's requests by the dozen at once, to run them at the same time: the
    // cap on a key's operations in flight (twice STATEMENTS_PER_KEY by default) would have all but a few
    // wait their turn. It has its own tests, which set it (test/hardening/pool-limits.test.ts).
    OPERATIONS_PER_KEY: '1000',
    ...(options.redis ? { REDIS_URL: REDIS_URL } : {}),
    ...options.env,
  });
  const app = await startApp({ ...config, databaseUrl: database.url }, options.logger ?? createLogger(config.logLevel));
  const request = async <T, V>(document: TypedDocumentNode<T, V> | DocumentNode | string, variables?: V): Promise<GraphQLResponse<T>> => {
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: typeof document === 'string' ? document : print(document), variables }),
    });
    return (await response.json()) as GraphQLResponse<T>;
  };
  return {
    app,
    url: app.url,
    wsUrl: app.url.replace(/^http/, 'ws'),
    database,
    request,
    async gql<T, V>(document: TypedDocumentNode<T, V> | string, variables?: V): Promise<Answered<T>> {
      const result = await request(document, variables);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      const nulls = Object.entries(result.data ?? {}).filter(
        ([field, value]) => value === null && !(ROOT_FIELDS_NULL_BY_MEANING as readonly string[]).includes(field),
      );
      if (nulls.length > 0) throw new Error(`root fields answered null without an error: ${nulls.map(([field]) => field).join(', ')}`);
      return result.data as Answered<T>;
    },
    async stop() {
      await app.stop();
      if (!options.database) await database.drop();
    },
  };
}
