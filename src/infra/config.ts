// Configuration is read once from the environment at start-up, validated, and passed down.
// Nothing below src/infra reads process.env. A bad value refuses the start (StartupRefusal: one line,
// exit code 2), like listening on another interface without a key.
import { trustedProxyList } from './client-address';
import { WAITING_PER_CLIENT } from './operations-in-flight';
import { StartupRefusal } from './errors';

/** Live events one subscription may have waiting to be sent, by default (`WS_MAX_QUEUED_EVENTS`). */
export const DEFAULT_MAX_QUEUED_EVENTS = 10_000;
/** Live events all of an instance's subscriptions may have waiting together, by default (`WS_MAX_QUEUED_EVENTS_TOTAL`). */
export const DEFAULT_MAX_QUEUED_EVENTS_TOTAL = 200_000;
/** Largest GraphQL request body, by default (`MAX_BODY_BYTES`; see `maxBodyBytes`). */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface AppConfig {
  /** TCP port of the HTTP + WebSocket server. `PORT`, default 4000 (0 picks a free port). */
  port: number;
  /**
   * Interface to bind. `HOST`, default 127.0.0.1 (this machine only). Binding any other interface
   * (`0.0.0.0` in a container) needs an API key to exist first: without one the server refuses to start.
   */
  host: string;
  /** PostgreSQL URL. `DATABASE_URL`; when unset an embedded PostgreSQL is started under `dataDir`. */
  databaseUrl: string | undefined;
  /** Where the embedded PostgreSQL keeps its cluster. `DATA_DIR`, default `.data`. */
  dataDir: string;
  /** Port of the embedded PostgreSQL. `EMBEDDED_PG_PORT`, default 54329. */
  embeddedPostgresPort: number;
  /** Redis URL for the PubSub. `REDIS_URL`; when unset an in-process PubSub is used (single instance only). */
  redisUrl: string | undefined;
  /**
   * What this deployment's Redis channels and keys start with. `REDIS_NAMESPACE`; by default the
   * database's installation id (`installation` table), the same for every instance on that database,
   * so deployments sharing a Redis stay apart. Resolved at start-up (startApp).
   */
  redisNamespace: string | undefined;
  /** pino log level. `LOG_LEVEL`, default `info` (`silent` in tests). */
  logLevel: string;
  /** Interval between full scoring runs in ms. `SCORING_INTERVAL_MS`, default 3 600 000 (hourly); 0 disables. */
  scoringIntervalMs: number;
  /** Debounce before a customer with new signals is rescored, ms. `RESCORE_DEBOUNCE_MS`, default 2000; 0 turns continuous rescoring off. */
  rescoreDebounceMs: number;
  /**
   * Longest a queued customer waits while signals keep arriving, ms. `RESCORE_MAX_WAIT_MS`, default
   * 10000. Rescoring runs once signals pause for the debounce, or after this wait during a steady stream.
   */
  rescoreMaxWaitMs: number;
  /**
   * How often an instance looks for customers queued for rescoring that nobody is scoring (queued by
   * an instance that stopped, or by `npm run import`), for customers whose churn or sign-up date has
   * come (queueDatesComeDue), and for the full runs or first-start backfill of an instance that died,
   * ms. `RESCORE_SWEEP_MS`, default 60 000; 0 disables (those dates then wait for a full run).
   */
  rescoreSweepMs: number;
  /** Database connection pool size. `DATABASE_POOL_MAX`, default 10. */
  databasePoolMax: number;
  /**
   * Statements one client (an API key; the key-less local admin is one client) runs at once over all
   * its GraphQL requests on this instance; the others wait their turn, in order. Also what all
   * clients running or asking several statements at once hold together: the rest of the pool is kept
   * for lone statements (a client's only one), so that however many keys burst at once, a one-row
   * query finds a connection; a statement a key started alone and still runs when it asks for more
   * holds one more (see StatementLimits). `STATEMENTS_PER_KEY`, from 1 to DATABASE_POOL_MAX, default
   * half of DATABASE_POOL_MAX (at least 1).
   */
  statementsPerKey: number;
  /**
   * GraphQL operations (queries and mutations, over HTTP and WebSocket) one client has in flight at
   * once on this instance, from when its request is admitted until its answer has gone; one past it
   * waits its turn, its body unread. Subscriptions are not counted. `OPERATIONS_PER_KEY`, default twice
   * STATEMENTS_PER_KEY: enough for a client's parallel requests, few enough that one key's costly
   * queries cannot hold the memory and event loop every other client needs.
   */
  operationsPerKey: number;
  /** Operations of one client that may wait for a turn (operationsPerKey); one more is refused RATE_LIMITED (HTTP 429). `OPERATIONS_WAITING_PER_KEY`, default 200. */
  operationsWaitingPerKey: number;
  /**
   * Longest one database statement of a GraphQL query (a read-only operation) may run, ms; then it is
   * cancelled and its field answers STATEMENT_TIMEOUT. Mutations, subscriptions, scoring runs,
   * imports and migrations are never timed. `QUERY_STATEMENT_TIMEOUT_MS`, default 5000; 0 disables.
   */
  queryStatementTimeoutMs: number;
  /**
   * Longest one database statement of a GraphQL query waits for its turns (its request's, then its
   * client's: a connection), ms, counted from when it is asked; then it is not run and its field
   * answers SERVICE_UNAVAILABLE with retryAfterSeconds. Mutations are never refused for waiting.
   * `QUERY_STATEMENT_WAIT_TIMEOUT_MS`, default 60 000 (the pool's own wait for a connection); 0 waits
   * as long as it takes.
   */
  queryStatementWaitTimeoutMs: number;
  /**
   * Full runs asked for through the API (`refreshAllHealthScores`) that wait on this instance behind
   * the one running (or waiting for another instance's run); past it RATE_LIMITED, nothing written.
   * `FULL_RUNS_WAITING`, default 4.
   */
  fullRunsWaiting: number;
  /**
   * `DISABLE_DATALOADER=1` resolves nested fields with one query per parent, none joined into a
   * customers page (the benchmark baseline).
   */
  disableDataLoader: boolean;
  /**
   * Browser origins allowed to call the API from their pages: CORS on HTTP and the Origin check of
   * WebSocket upgrades. `CORS_ORIGINS`, comma-separated exact origins (`https://dash.example.com`);
   * default none: a request carrying an Origin is accepted only from the server's own origin (the
   * playground), and clients that send no Origin (servers, scripts) are not affected.
   */
  corsOrigins: string[];
  /**
   * Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR ranges). `TRUST_PROXY`,
   * default none: a client's address is its socket's. See src/infra/client-address.ts.
   */
  trustedProxies: string[];
  /**
   * Largest GraphQL request body in bytes, answered 413 beyond it (before it is read when its
   * Content-Length says so), and a bound on the largest WebSocket message. A body is read, decoded
   * and parsed whole on the event loop, so every client waits for the largest one a key may send:
   * the bound is a margin above the largest body a client needs, a batch of 10,000 events with a few
   * ids and attributes of metadata each; heavier loads stream to /ingest/events, which it does not
   * bound. `MAX_BODY_BYTES`, default 8 388 608 (8 MiB).
   */
  maxBodyBytes: number;
  /** Most lexical tokens in a GraphQL document (checked while parsing). `MAX_QUERY_TOKENS`, default 5000. */
  maxQueryTokens: number;
  /** Deepest selection nesting of an operation. `MAX_QUERY_DEPTH`, default 12. */
  maxQueryDepth: number;
  /** Most aliased fields in an operation. `MAX_QUERY_ALIASES`, default 30. */
  maxQueryAliases: number;
  /**
   * Highest estimated cost of an operation: each field costs 1 plus its children, and a field taking
   * `first` (a page) costs 1 + first × its children (`first` defaults to 50; one past 500 is refused by
   * the field, and counts 1), a list of a declared length (a score's signals: src/infra/field-cost.ts)
   * 1 + that length × its children, and a text or JSON field that may hold kilobytes what its longest
   * answer weighs. An operation that selects none of these is not estimated: nothing in it
   * multiplies, and MAX_QUERY_TOKENS bounds it. `MAX_QUERY_COST`, default 50 000 (the dashboard page of the README fits 500 customers at a time).
   */
  maxQueryCost: number;
  /** Requests (HTTP operations and WebSocket subscribe messages) an API key may make per window. `RATE_LIMIT_REQUESTS`, default 3000; 0 disables. */
  rateLimitRequests: number;
  /** The rate-limit window in seconds. `RATE_LIMIT_WINDOW_SECONDS`, default 60. Counted in Redis when `REDIS_URL` is set (shared by every instance), else per process. */
  rateLimitWindowSeconds: number;
  /**
   * Wrong secrets for an existing key id (each costs the server an scrypt) a client address may send
   * per window; beyond it, such attempts get 429 without being checked. `AUTH_FAILURE_LIMIT`, default
   * 30; 0 disables. Malformed or unknown keys cost nothing to refuse and are not counted.
   */
  authFailureLimit: number;
  /** Open WebSocket connections on this instance. `WS_MAX_CONNECTIONS`, default 10 000; beyond it an upgrade is answered 503. */
  wsMaxConnections: number;
  /**
   * Largest WebSocket message in bytes (the socket is closed with 1009), and at most maxBodyBytes:
   * every socket may send one before it has authenticated. `WS_MAX_MESSAGE_BYTES`, default 1 MiB
   * (subscriptions and queries are a few KB; large batches go over HTTP).
   */
  wsMaxMessageBytes: number;
  /**
   * A bulk import (`POST /ingest/events`) whose client completes no line for this long, ms, is stopped
   * and answered 408 with where to resume (every line it read is stored): an upload trickling a byte
   * now and then would otherwise hold an import slot for good. Counted while the import waits for its
   * client only. `IMPORT_IDLE_TIMEOUT_MS`, default 30 000.
   */
  importIdleTimeoutMs: number;
  /**
   * Longest a GraphQL request's body may take to arrive, ms; then 408. Node's own limit on a whole
   * request (300 s) is off, so that a bulk import may stream for as long as it keeps sending lines
   * (importIdleTimeoutMs bounds its pauses). `BODY_TIMEOUT_MS`, default 60 000.
   */
  bodyTimeoutMs: number;
  /**
   * TCP connections this instance holds open at once, WebSockets included (each holds a file
   * descriptor and buffers, and idle or trickling ones cost the client almost nothing). A connection
   * past it is answered 503 and closed. `MAX_CONNECTIONS`, default 12 000 (above WS_MAX_CONNECTIONS).
   */
  maxConnections: number;
  /**
   * TCP connections one client address (an IPv6 /64 counted as one) holds open at once on this instance, WebSockets included; the
   * reverse proxies of `TRUST_PROXY`, which carry every client's connections, are not counted. Past
   * it the connection is answered 503 and closed. `MAX_CONNECTIONS_PER_ADDRESS`, default 1000.
   */
  maxConnectionsPerAddress: number;
  /**
   * An answer of which the client takes nothing for this long (it stopped reading: the server's
   * writes wait in memory) is abandoned and its connection closed, ms; a client that reads slowly is
   * not. `SEND_TIMEOUT_MS`, default 60 000.
   */
  sendTimeoutMs: number;
  /** Sockets one address may hold open before they authenticate. `WS_MAX_PENDING_PER_ADDRESS`, default 256 (a reconnect storm through one proxy address stays within it); beyond it an upgrade is answered 429. */
  wsMaxPendingPerAddress: number;
  /**
   * Live events one subscription may have waiting to be sent (a client that stops reading fills its
   * socket's buffers, and later events wait in memory). Beyond it they are dropped and the
   * subscription receives one RESYNC in their place. `WS_MAX_QUEUED_EVENTS`, default 10 000.
   */
  wsMaxQueuedEvents: number;
  /**
   * Live events all subscriptions of this instance may have waiting together. Once it is reached,
   * the subscriptions whose clients have gone longest without taking an event have theirs replaced
   * by one RESYNC each, until a quarter of it is free: clients that stopped reading give way, and
   * one that reads keeps its events. `WS_MAX_QUEUED_EVENTS_TOTAL`, default 200 000.
   */
  wsMaxQueuedEventsTotal: number;
  /** Open WebSocket connections of one API key on this instance. `WS_MAX_CONNECTIONS_PER_KEY`, default 1000; beyond it the socket is closed with 1013. */
  wsMaxConnectionsPerKey: number;
  /** Operations open at once on one WebSocket connection. `WS_MAX_SUBSCRIPTIONS_PER_CONNECTION`, default 100; beyond it SUBSCRIPTION_LIMIT_EXCEEDED. */
  wsMaxSubscriptionsPerConnection: number;
  /**
   * Subscriptions one API key (the key-less local admin counting as one) has open at once on this
   * instance, over all its connections: each holds its parsed document and its execution state for
   * its life, and the caps per connection times the connections a key may open allowed a hundred
   * thousand. `WS_MAX_SUBSCRIPTIONS_PER_KEY`, default 1000 (a dashboard tab opens two); beyond it
   * SUBSCRIPTION_LIMIT_EXCEEDED.
   */
  wsMaxSubscriptionsPerKey: number;
  /**
   * Syntax nodes the documents of one API key's open subscriptions hold together on this instance
   * (each counted as the 500-node cap of one counts them). `WS_MAX_SUBSCRIPTION_NODES_PER_KEY`,
   * default 50 000 (a dashboard tab's two subscriptions hold 46); beyond it SUBSCRIPTION_LIMIT_EXCEEDED.
   */
  wsMaxSubscriptionNodesPerKey: number;
  /** A WebSocket connection with no operation open for this long is closed (1000, "idle"), ms. `WS_IDLE_TIMEOUT_MS`, default 60 000; 0 disables. */
  wsIdleTimeoutMs: number;
  /** How often each instance re-reads the API key table, ms: a key revoked anywhere (the CLI included) stops working, and its sockets close, within this. `API_KEY_REFRESH_MS`, default 2000. */
  apiKeyRefreshMs: number;
  /** SMTP server for EMAIL destinations, e.g. `smtp://user:pass@mail.example.com:587`. `SMTP_URL`; unset: email deliveries fail (and retry) until it is set. */
  smtpUrl: string | undefined;
  /**
   * Delivery jobs this instance runs at the same time (a scoring batch's deliveries to one
   * destination, a digest, or one retry). `DELIVERY_CONCURRENCY`, default 10; 0 runs no delivery
   * worker here (other instances deliver).
   */
  deliveryConcurrency: number;
  /**
   * Deliveries one job sends at the same time, so an instance sends at most DELIVERY_CONCURRENCY ×
   * this at once. `DELIVERY_BATCH_CONCURRENCY`, default 16.
   */
  deliveryBatchConcurrency: number;
  /**
   * A scoring batch's deliveries wait for the scoring batches still running on this instance (the
   * rest of the run) before they are sent, at most this long, ms: sending shares the process and
   * the cores with scoring. `DELIVERY_WAIT_FOR_SCORING_MS`, default 10 000; 0 sends at once.
   */
  deliveryWaitForScoringMs: number;
  /**
   * Longest one attempt may take, ms, on every channel: a webhook or Slack POST (connect, send,
   * answer), an email (connect to the server's acceptance; nodemailer's limits on connecting and on
   * the greeting are the same). `DELIVERY_TIMEOUT_MS`, default 10 000.
   */
  deliveryTimeoutMs: number;
  /** Delay before the first retry, ms; each later retry waits twice as long, with full jitter. `DELIVERY_RETRY_BASE_MS`, default 30 000. */
  deliveryRetryBaseMs: number;
  /** Longest wait between two attempts, ms. `DELIVERY_RETRY_MAX_DELAY_MS`, default 3 600 000 (an hour). */
  deliveryRetryMaxDelayMs: number;
  /** How long a failing delivery is retried before it is DEAD, ms. `DELIVERY_RETRY_WINDOW_MS`, default 86 400 000 (24 hours). */
  deliveryRetryWindowMs: number;
  /**
   * A delivery job locked longer than this is taken to belong to a crashed instance and is released
   * for another to run, ms. `DELIVERY_LOCK_TIMEOUT_MS`, default 300 000; must exceed DELIVERY_TIMEOUT_MS.
   * A batch job starts no send after half the difference of the two, so it ends before this.
   */
  deliveryLockTimeoutMs: number;
  /** How often the queue looks for retries that came due (new jobs arrive by LISTEN/NOTIFY at once), ms. `DELIVERY_POLL_INTERVAL_MS`, default 2000. */
  deliveryPollIntervalMs: number;
  /**
   * Whether webhook and Slack deliveries may reach loopback, private or reserved addresses (a local
   * receiver, an internal service). Off by default: an admin's URL could otherwise reach the
   * database, Redis or a cloud metadata service. `DELIVERY_ALLOW_PRIVATE_NETWORKS`, `true` or `false` (default).
   */
  deliveryAllowPrivateNetworks: boolean;
  /**
   * Customer-facing messages (actions) one customer may get per 7 days, one action counting once
   * however many destinations send it; the rest are SKIPPED_WEEKLY_CAP on every destination, but for
   * the first message of a tier worse than the week's (enqueueDeliveries).
   * `CUSTOMER_MESSAGES_PER_WEEK`, default 2.
   */
  customerMessagesPerWeek: number;
  /**
   * One-click unsubscribe links in customer-facing emails (RFC 8058): the service's public HTTPS
   * address (`UNSUBSCRIBE_BASE_URL`, e.g. `https://healthgraph.example.com`) and the key that signs
   * each link (`UNSUBSCRIBE_SECRET`, at least 32 characters). Both or neither; unset, emails offer a
   * mail to the sender only.
   */
  unsubscribeLinks: { baseUrl: string; secret: string } | null;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  // Decimal digits only: Number() would also read "0x10" or "1e3".
  const value = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new StartupRefusal(`Configuration error: ${name} must be an integer ${range}, got "${raw}"`);
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new StartupRefusal(`Configuration error: ${name} must be true or false, got "${env[name]}"`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A comma-separated list of origins, each `scheme://host[:port]` exactly as browsers send it. */
function origins(env: NodeJS.ProcessEnv, name: string): string[] {
  const list = (env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  for (const origin of list) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new StartupRefusal(
        `Configuration error: ${name} must list origins like https://dash.example.com (no path, no trailing slash), got "${origin}"`,
      );
    }
  }
  return list;
}

/** `TRUST_PROXY`: comma-separated addresses or CIDR ranges of the reverse proxies in front of the service. */
function trustedProxies(env: NodeJS.ProcessEnv): string[] {
  const entries = (env.TRUST_PROXY ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const { invalid } = trustedProxyList(entries);
  if (invalid !== undefined) {
    throw new StartupRefusal(`Configuration error: TRUST_PROXY must list addresses or CIDR ranges like 10.0.0.0/8,::1, got "${invalid}"`);
  }
  return entries;
}

/**
 * Node's timers fire at once past this (a 32-bit signed count of ms). Bounds every duration that sets
 * a timer, RATE_LIMIT_WINDOW_SECONDS too (the in-process budget expires a key's count with one).
 */
const LONGEST_TIMER_MS = 2_147_483_647;

/**
 * A duration that sets a timer: Node fires a timer longer than LONGEST_TIMER_MS after 1 ms, so
 * `SCORING_INTERVAL_MS=3000000000` would run full scorings back to back instead of monthly.
 */
function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  return integer(env, name, fallback, min, LONGEST_TIMER_MS);
}

/** pino's levels, `silent` included. */
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function logLevel(env: NodeJS.ProcessEnv): string {
  // pino's names are lower-case; `INFO` means the same.
  const level = (nonEmpty(env.LOG_LEVEL) ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(level)) {
    throw new StartupRefusal(`Configuration error: LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  return level;
}

/**
 * A connection URL of one of `protocols`, checked here so that a typo is one line rather than a
 * driver's stack trace later. The value is not echoed: it may hold a password.
 */
function connectionUrl(
  env: NodeJS.ProcessEnv,
  name: string,
  protocols: string[],
  example: string,
  needsPath = false,
  needsHost = false,
): string | undefined {
  const value = nonEmpty(env[name]);
  if (value === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    parsed = undefined;
  }
  if (
    !parsed ||
    !protocols.includes(parsed.protocol) ||
    (needsPath && parsed.pathname.replace(/^\//, '') === '') ||
    (needsHost && parsed.hostname === '') ||
    !decodes(parsed.username) ||
    !decodes(parsed.password)
  ) {
    throw new StartupRefusal(`Configuration error: ${name} must be a URL like ${example}`);
  }
  return value;
}

/** `url` with its password, if any, replaced by `***`: fit for a log line or a terminal. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Whether a URL's user or password is well percent-encoded (`p%ZZ` is not: the driver would fail on it at its first use). */
function decodes(part: string): boolean {
  try {
    decodeURIComponent(part);
    return true;
  } catch {
    return false;
  }
}

const MAX_UNSUBSCRIBE_BASE_URL_LENGTH = 200;

/** `UNSUBSCRIBE_BASE_URL` and `UNSUBSCRIBE_SECRET`: both (an https URL and a key long enough to be guessed by no one) or neither. */
function unsubscribeLinks(env: NodeJS.ProcessEnv): AppConfig['unsubscribeLinks'] {
  const baseUrl = connectionUrl(env, 'UNSUBSCRIBE_BASE_URL', ['https:'], 'https://healthgraph.example.com');
  const secret = nonEmpty(env.UNSUBSCRIBE_SECRET);
  if (baseUrl === undefined && secret === undefined) return null;
  if (baseUrl === undefined || secret === undefined || secret.length < 32) {
    throw new StartupRefusal(
      'Configuration error: UNSUBSCRIBE_BASE_URL and UNSUBSCRIBE_SECRET (at least 32 characters: openssl rand -base64 32) go together',
    );
  }
  // Each link is this address and /unsubscribe/<token>: a query or a fragment would hide that path
  // from the service, and a user or password would go out in every customer-facing email.
  const parsed = new URL(baseUrl);
  if (/[?#]/.test(baseUrl) || parsed.username || parsed.password) {
    throw new StartupRefusal(
      'Configuration error: UNSUBSCRIBE_BASE_URL must be the public address alone, without user, query or fragment, like https://healthgraph.example.com',
    );
  }
  // The link goes in a List-Unsubscribe header line, which holds at most 998 characters and cannot
  // be folded inside a URL: a bounded address and a bounded token keep every link well within it.
  if (baseUrl.length > MAX_UNSUBSCRIBE_BASE_URL_LENGTH) {
    throw new StartupRefusal(`Configuration error: UNSUBSCRIBE_BASE_URL must be at most ${MAX_UNSUBSCRIBE_BASE_URL_LENGTH} characters`);
  }
  return { baseUrl, secret };
}

/** `STATEMENTS_PER_KEY`: by default half the pool, and never more than all of it. */
function statementsPerKey(env: NodeJS.ProcessEnv, databasePoolMax: number): number {
  return integer(env, 'STATEMENTS_PER_KEY', Math.max(1, Math.floor(databasePoolMax / 2)), 1, databasePoolMax);
}

/**
 * A delivery job still sending must never be taken for a crashed instance's (and run again), so
 * the lock timeout has to exceed the send timeout.
 */
function checkDeliveryTimeouts(config: AppConfig): void {
  if (config.deliveryLockTimeoutMs <= config.deliveryTimeoutMs) {
    throw new StartupRefusal(
      `Configuration error: DELIVERY_LOCK_TIMEOUT_MS (${config.deliveryLockTimeoutMs}) must exceed DELIVERY_TIMEOUT_MS ` +
        `(${config.deliveryTimeoutMs}): a delivery job still sending would be taken for a crashed one and run again`,
    );
  }
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const databasePoolMax = integer(env, 'DATABASE_POOL_MAX', 10, 1);
  const statementsOfAKey = statementsPerKey(env, databasePoolMax);
  const config: AppConfig = {
    port: integer(env, 'PORT', 4000, 0, 65_535),
    host: nonEmpty(env.HOST) ?? '127.0.0.1',
    databaseUrl: connectionUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], 'postgres://USER:PASSWORD@HOST:5432/DATABASE', true),
    dataDir: nonEmpty(env.DATA_DIR) ?? '.data',
    embeddedPostgresPort: integer(env, 'EMBEDDED_PG_PORT', 54329, 1, 65_535),
    redisUrl: connectionUrl(env, 'REDIS_URL', ['redis:', 'rediss:'], 'redis://HOST:6379'),
    redisNamespace: nonEmpty(env.REDIS_NAMESPACE),
    logLevel: logLevel(env),
    scoringIntervalMs: milliseconds(env, 'SCORING_INTERVAL_MS', 3_600_000),
    rescoreDebounceMs: milliseconds(env, 'RESCORE_DEBOUNCE_MS', 2000),
    rescoreMaxWaitMs: milliseconds(env, 'RESCORE_MAX_WAIT_MS', 10_000),
    rescoreSweepMs: milliseconds(env, 'RESCORE_SWEEP_MS', 60_000),
    databasePoolMax,
    statementsPerKey: statementsOfAKey,
    operationsPerKey: integer(env, 'OPERATIONS_PER_KEY', 2 * statementsOfAKey, 1),
    operationsWaitingPerKey: integer(env, 'OPERATIONS_WAITING_PER_KEY', WAITING_PER_CLIENT, 0),
    queryStatementTimeoutMs: milliseconds(env, 'QUERY_STATEMENT_TIMEOUT_MS', 5000),
    queryStatementWaitTimeoutMs: milliseconds(env, 'QUERY_STATEMENT_WAIT_TIMEOUT_MS', 60_000),
    fullRunsWaiting: integer(env, 'FULL_RUNS_WAITING', 4, 0, 1000),
    disableDataLoader: flag(env, 'DISABLE_DATALOADER', false),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    trustedProxies: trustedProxies(env),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, 1024),
    maxQueryTokens: integer(env, 'MAX_QUERY_TOKENS', 5000, 1),
    maxQueryDepth: integer(env, 'MAX_QUERY_DEPTH', 12, 1),
    maxQueryAliases: integer(env, 'MAX_QUERY_ALIASES', 30),
    maxQueryCost: integer(env, 'MAX_QUERY_COST', 50_000, 1),
    rateLimitRequests: integer(env, 'RATE_LIMIT_REQUESTS', 3000),
    rateLimitWindowSeconds: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, Math.floor(LONGEST_TIMER_MS / 1000)),
    authFailureLimit: integer(env, 'AUTH_FAILURE_LIMIT', 30),
    wsMaxConnections: integer(env, 'WS_MAX_CONNECTIONS', 10_000, 1),
    wsMaxConnectionsPerKey: integer(env, 'WS_MAX_CONNECTIONS_PER_KEY', 1000, 1),
    wsMaxMessageBytes: integer(env, 'WS_MAX_MESSAGE_BYTES', 1024 * 1024, 1024),
    wsMaxPendingPerAddress: integer(env, 'WS_MAX_PENDING_PER_ADDRESS', 256, 1),
    wsMaxQueuedEvents: integer(env, 'WS_MAX_QUEUED_EVENTS', DEFAULT_MAX_QUEUED_EVENTS, 1),
    wsMaxQueuedEventsTotal: integer(env, 'WS_MAX_QUEUED_EVENTS_TOTAL', DEFAULT_MAX_QUEUED_EVENTS_TOTAL, 1),
    importIdleTimeoutMs: milliseconds(env, 'IMPORT_IDLE_TIMEOUT_MS', 30_000, 100),
    bodyTimeoutMs: milliseconds(env, 'BODY_TIMEOUT_MS', 60_000, 100),
    maxConnections: integer(env, 'MAX_CONNECTIONS', 12_000, 1),
    maxConnectionsPerAddress: integer(env, 'MAX_CONNECTIONS_PER_ADDRESS', 1000, 1),
    sendTimeoutMs: milliseconds(env, 'SEND_TIMEOUT_MS', 60_000, 100),
    wsMaxSubscriptionsPerConnection: integer(env, 'WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 100, 1),
    wsMaxSubscriptionsPerKey: integer(env, 'WS_MAX_SUBSCRIPTIONS_PER_KEY', 1000, 1),
    wsMaxSubscriptionNodesPerKey: integer(env, 'WS_MAX_SUBSCRIPTION_NODES_PER_KEY', 50_000, 1),
    wsIdleTimeoutMs: milliseconds(env, 'WS_IDLE_TIMEOUT_MS', 60_000),
    apiKeyRefreshMs: milliseconds(env, 'API_KEY_REFRESH_MS', 2000, 100),
    smtpUrl: connectionUrl(env, 'SMTP_URL', ['smtp:', 'smtps:'], 'smtp://USER:PASSWORD@HOST:587 or smtps://…', false, true),
    deliveryConcurrency: integer(env, 'DELIVERY_CONCURRENCY', 10),
    deliveryBatchConcurrency: integer(env, 'DELIVERY_BATCH_CONCURRENCY', 16, 1),
    deliveryWaitForScoringMs: milliseconds(env, 'DELIVERY_WAIT_FOR_SCORING_MS', 10_000),
    deliveryTimeoutMs: milliseconds(env, 'DELIVERY_TIMEOUT_MS', 10_000, 1),
    deliveryRetryBaseMs: milliseconds(env, 'DELIVERY_RETRY_BASE_MS', 30_000, 1),
    deliveryRetryMaxDelayMs: integer(env, 'DELIVERY_RETRY_MAX_DELAY_MS', 3_600_000, 1),
    deliveryRetryWindowMs: integer(env, 'DELIVERY_RETRY_WINDOW_MS', 86_400_000, 1),
    deliveryLockTimeoutMs: milliseconds(env, 'DELIVERY_LOCK_TIMEOUT_MS', 300_000, 1),
    deliveryPollIntervalMs: milliseconds(env, 'DELIVERY_POLL_INTERVAL_MS', 2000, 10),
    deliveryAllowPrivateNetworks: flag(env, 'DELIVERY_ALLOW_PRIVATE_NETWORKS', false),
    customerMessagesPerWeek: integer(env, 'CUSTOMER_MESSAGES_PER_WEEK', 2),
    unsubscribeLinks: unsubscribeLinks(env),
  };
  checkDeliveryTimeouts(config);
  return config;
}
