// The service's Redis connections (PubSub, rate limits). A Redis that goes away is noticed by the
// connection closing; one that stops answering with its connections open (a frozen process, a paused
// container, a network partition that drops packets) is not, and a command sent then waits for as
// long as it stays so. Every mutation publishes, and every request of an API key spends its budget
// in Redis: each waited, and the whole API with them. So the connections here time out an unanswered
// command, and a watchdog pings each: one that does not answer in time is reconnected, which takes it
// out of the `ready` state until Redis answers again (its commands then fail at once, /readyz says
// degraded, and its `ready` event, when Redis is back, is what tells subscribers to resync).
import { Redis } from 'ioredis';
import { StartupRefusal } from './errors';

/** How long a command (or the watchdog's ping) may wait for Redis's answer. */
export const REDIS_ANSWER_TIMEOUT_MS = 1000;
/** How often the watchdog pings an idle or busy connection. */
const WATCHDOG_INTERVAL_MS = 1000;

const retryStrategy = (attempt: number): number => Math.min(attempt * 200, 2000);

/**
 * When each watched connection last had everything Redis sent it read: the instant its latest
 * answered ping was sent. Redis answers in order, so a PONG comes after every message it queued
 * before the PING; a subscriber that loses its connection may have lost messages published after
 * that instant, not before.
 */
const readUpTo = new WeakMap<Redis, number>();

/** The instant up to which `client` is known to have read every message Redis sent it, if it was ever pinged. */
export function messagesReadUpTo(client: Redis): number | undefined {
  return readUpTo.get(client);
}

/**
 * Reconnects `client` whenever a ping goes unanswered for REDIS_ANSWER_TIMEOUT_MS, until it ends
 * (`quit`, `disconnect`). A subscriber's ping waits behind the messages Redis sent before it: while
 * messages keep arriving, Redis is answering, and the ping is given another REDIS_ANSWER_TIMEOUT_MS
 * (a burst of events is no outage, and reconnecting would drop the messages still on their way).
 */
function watch(client: Redis): Redis {
  let pinging = false;
  let heard = false;
  const hear = (): void => {
    heard = true;
  };
  client.on('message', hear);
  client.on('pmessage', hear);
  const timer = setInterval(() => {
    if (pinging || client.status !== 'ready') return;
    pinging = true;
    heard = false;
    const sentAt = Date.now();
    let unanswered: NodeJS.Timeout;
    const judge = (): void => {
      // Judged once the event loop has read its sockets (setImmediate runs after the poll phase): when
      // this process was busy past the timeout (a long computation, a starved CPU), the answer may be
      // there unread, and it is not Redis that failed to answer.
      unanswered = setTimeout(
        () =>
          setImmediate(() => {
            if (!pinging || client.status !== 'ready') return;
            if (heard) {
              heard = false;
              return judge();
            }
            client.disconnect(true);
          }),
        REDIS_ANSWER_TIMEOUT_MS,
      );
    };
    judge();
    client
      .ping()
      .then(() => readUpTo.set(client, sentAt))
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(unanswered);
        pinging = false;
      });
  }, WATCHDOG_INTERVAL_MS);
  timer.unref();
  client.on('end', () => clearInterval(timer));
  return client;
}

/** Whether `error` is ioredis's refusal of a command unanswered within its `commandTimeout`. */
export function isCommandTimeout(error: Error): boolean {
  return error.message === 'Command timed out';
}

/**
 * A connection whose commands never wait: refused at once while it is not connected (no offline
 * queue), and failed after REDIS_ANSWER_TIMEOUT_MS when Redis does not answer. For publishing and
 * counting, where a lost command is better than a waiting caller.
 */
export function failFastRedis(url: string): Redis {
  return watch(
    new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: REDIS_ANSWER_TIMEOUT_MS, retryStrategy }),
  );
}

/**
 * A connection that keeps its commands while Redis is away and sends them once it is back, however
 * long that takes: for subscribing, where nobody waits for the answer. Its commands carry no
 * timeout (one queued during an outage must not expire), but its watchdog still notices a Redis that
 * stopped answering, and the reconnection resubscribes its channels.
 */
export function queueingRedis(url: string): Redis {
  return watch(new Redis(url, { maxRetriesPerRequest: null, retryStrategy }));
}

/** Redis's refusal of the credentials a connection sent, or of a command sent without them (Redis 6 and later, and before). */
const REFUSED_AUTHENTICATION = /^(WRONGPASS|NOAUTH)\b|^ERR invalid (username-)?password/;

/**
 * Refuses (StartupRefusal) a REDIS_URL this Redis answers but will not serve, as a refused
 * DATABASE_URL is: credentials it refuses (WRONGPASS), none where it needs them (NOAUTH), or a
 * database it does not have (`/99` on a server of 16). ioredis reports each as an error event and
 * carries on, reconnecting for ever (the service started without live events, as though Redis were
 * away) or, for a refused SELECT, in database 0, where this service would read and write another
 * deployment's keys. Checked once at start, on a connection of its own; a Redis that does not answer
 * then is not judged (the service starts without live events, as it does whenever Redis is away).
 * Database 0 is not selected: Redis Cluster refuses SELECT, and every server has a database 0.
 */
export async function refuseMisconfiguredRedis(url: string): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: REDIS_ANSWER_TIMEOUT_MS,
    commandTimeout: REDIS_ANSWER_TIMEOUT_MS,
    disconnectTimeout: 0,
  });
  // The AUTH and SELECT ioredis sends on connecting fail as error events: a refused AUTH is kept to
  // be told (the connection then closes), and the SELECT sent below says its own refusal.
  let refusedAuthentication: string | undefined;
  probe.on('error', (error: Error) => {
    if (refusedAuthentication === undefined && REFUSED_AUTHENTICATION.test(error.message)) refusedAuthentication = error.message;
  });
  const database = probe.options.db ?? 0;
  // A Redis that accepts the connection and stays silent is given the time of one answer, then closed
  // at once, so that the start goes on: ioredis's own timeouts (its SELECT's and ready check's in
  // turn, then a wait for the closed connection to be acknowledged) held such a start several times as long.
  const unanswered = setTimeout(() => probe.disconnect(), REDIS_ANSWER_TIMEOUT_MS);
  try {
    await probe.connect();
    if (database === 0) return;
    await probe.select(database).catch((error: Error) => {
      if (/^ERR /.test(error.message)) {
        throw new StartupRefusal(
          `Configuration error: REDIS_URL names database ${database}, which this Redis refuses (${error.message}): name one it has, like redis://HOST:6379/0`,
        );
      }
    });
  } catch (error) {
    if (error instanceof StartupRefusal) throw error;
  } finally {
    clearTimeout(unanswered);
    probe.disconnect();
  }
  // Redis's own words name the user at most, never the password sent.
  if (refusedAuthentication !== undefined)
    throw new StartupRefusal(
      `Configuration error: REDIS_URL's credentials are refused by this Redis (${refusedAuthentication.trim()}): ` +
        'set the user and password it expects, as redis://USER:PASSWORD@HOST:6379/0',
    );
}
