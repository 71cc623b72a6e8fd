// One PubSub interface, two transports: Redis (graphql-redis-subscriptions, so an event published
// by any instance reaches every instance's subscribers) and in-process (a single instance only).
// type-graphql subscribes through it; the scoring engine publishes after its transaction commits.
// When Redis may have lost events, the subscriptions concerned are sent a resync event (LiveEventsLost).
import { EventEmitter } from 'node:events';
import { ExecutionResult, GraphQLError } from 'graphql';
import { Redis } from 'ioredis';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { PubSub } from 'type-graphql';
import { DEFAULT_MAX_QUEUED_EVENTS, DEFAULT_MAX_QUEUED_EVENTS_TOTAL } from './config';
import { InvalidInputError } from './errors';
import { checkTextValue } from './input';
import type { Logger } from './logger';
import { OutageLog } from './outage-log';
import { failFastRedis, isCommandTimeout, messagesReadUpTo, queueingRedis } from './redis-connection';

export interface AppPubSub extends PubSub {
  readonly transport: 'redis' | 'in-process';
  /**
   * Publishes `payload` on `topic`. Never throws: a lost live event is recoverable through
   * `tierChanges(since)`, and its subscribers are told so (LiveEventsLost).
   */
  publish(topic: string, payload: unknown): void;
  subscribe(topic: string): AsyncIterable<unknown>;
  /**
   * One stream of the events of several topics, keeping those `accept` accepts (all without it).
   * The check runs as an event arrives, before it is queued: a subscription whose arguments need a
   * filter costs one function call per event, and the others nothing (type-graphql's `filter`
   * option would wrap every subscription of the field in a promise-based stream).
   */
  subscribeAll(topics: readonly string[], accept?: (payload: unknown) => boolean): AsyncIterable<unknown>;
  /**
   * Of `topics`, those somebody is subscribed to, on any instance. Lets a publisher of thousands of
   * events (a full scoring run) skip serialising the ones nobody would receive. Never throws: when
   * it cannot tell, it answers every topic.
   */
  listened(topics: readonly string[]): Promise<Set<string>>;
  /**
   * Tells every subscriber, on every instance, that events since `since` may have been lost (a
   * resync): for events another process committed but may have died before publishing. In-process
   * there is nothing to tell: that process's subscribers died with it.
   */
  announceLost(since: Date): void;
  /** True when events can currently be delivered (always for in-process). */
  isHealthy(): boolean;
  close(): Promise<void>;
}

/**
 * What a subscriber receives, in place of an event, when live events may have been lost: on any of
 * its channels, when an instance could not publish to Redis (told once that instance publishes
 * again), or on all of them, when its own instance's Redis connection dropped (told once it is back
 * and resubscribed). A `next` message whose payload is
 * `{ data: null, errors: [{ message: 'resync: …', extensions: { code: 'RESYNC', since } }] }`. The
 * subscription stays open; the client catches up with a query: `tierChanges(since:)` from the
 * `changedAt` of the last event it received (or `since` if it received none), `healthScore` or
 * `outreachLog` for the other feeds. It may come more than once for one outage; catching up twice is
 * harmless.
 */
export class LiveEventsLost {
  readonly result: ExecutionResult;

  constructor(readonly since: Date) {
    const at = since.toISOString();
    const message = `resync: live events may have been lost since ${at}; catch up with a query (tierChanges(since:) for tier changes)`;
    this.result = { data: null, errors: [new GraphQLError(message, { extensions: { code: 'RESYNC', since: at } })] };
  }
}

/** Channels one subscription may listen on (one per tier it names, at most). */
export const MAX_TOPICS_PER_SUBSCRIPTION = 100;
/** A channel name holds an id or a tier key: far below this. */
const MAX_TOPIC_LENGTH = 1000;

/**
 * A subscription's channels come from its arguments: BAD_USER_INPUT when there are more than a
 * subscription may hold, or one is no fit name (a NUL, an overlong id), before anything is subscribed.
 */
function checkTopics(topics: readonly string[]): void {
  if (topics.length > MAX_TOPICS_PER_SUBSCRIPTION) {
    throw new InvalidInputError(`a subscription listens on at most ${MAX_TOPICS_PER_SUBSCRIPTION} channels (tiers)`, {
      max: MAX_TOPICS_PER_SUBSCRIPTION,
    });
  }
  for (const topic of topics) checkTextValue(topic, 'subscription argument', MAX_TOPIC_LENGTH);
}

/** An instance whose events failed to publish announces it here once it publishes again; every instance relays it. */
const RESYNC_CHANNEL = 'healthgraph:live-events:resync';

/** The key of the object a Date is sent as over Redis: `{ "$date": "2026-01-01T00:00:00.000Z" }`. */
const DATE_TAG = '$date';

/**
 * Redis carries JSON, in which a Date is a string like any other. Each Date is sent tagged, so that
 * the receiver revives the payload's Dates and nothing else: reviving every string shaped like an
 * instant turned a customer whose id is `2026-01-01T00:00:00Z` into a Date on other instances, and
 * its events into internal errors there.
 */
function serializePayload(payload: unknown): string {
  return JSON.stringify(payload, function tagDates(this: Record<string, unknown>, key: string, value: unknown) {
    return this[key] instanceof Date ? { [DATE_TAG]: value } : value;
  });
}

/** The `JSON.parse` reviver of serializePayload's output: tagged Dates become Dates again. */
function reviveDates(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const tagged = (value as Record<string, unknown>)[DATE_TAG];
  return typeof tagged === 'string' && Object.keys(value).length === 1 ? new Date(tagged) : value;
}

function deserializePayload(source: string | Buffer): unknown {
  return JSON.parse(source.toString(), reviveDates);
}

/** A Date, an ISO string or PostgreSQL's UTC text ('2026-01-15 09:30:00.123+00') in ms; Infinity otherwise. */
function instantOf(value: unknown): number {
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'string'
        ? Date.parse(value.replace(' ', 'T').replace(/\+00(:00)?$/, 'Z'))
        : NaN;
  return Number.isNaN(ms) ? Infinity : ms;
}

/**
 * When an event happened, by its own time: a tier change's `changedAt`, a score's `computedAt`, an
 * outreach action's `createdAt`; Infinity when it carries none. Each can precede its publication (a
 * tier change is dated by its scoring), so a loss is dated from it, not from the failed delivery.
 */
function eventInstant(payload: unknown): number {
  if (payload === null || typeof payload !== 'object') return Infinity;
  const { changedAt, computedAt, createdAt } = payload as { changedAt?: unknown; computedAt?: unknown; createdAt?: unknown };
  return instantOf(changedAt ?? computedAt ?? createdAt);
}

/** The instant from which a queued value's event may be missed, for the resync that replaces it. */
function lostSince(value: unknown, queuedAt: number): number {
  if (value instanceof LiveEventsLost) return value.since.getTime();
  return Math.min(queuedAt, eventInstant(value));
}

/** A subscription's queue as the instance's budget sees it. */
interface BudgetedQueue {
  /** Events waiting (the resync signals among them not counted). */
  readonly events: number;
  /** Replaces everything waiting by one LiveEventsLost dated from the oldest of it. */
  cutBack(): void;
}

/**
 * Live events waiting, summed over every subscription of an instance, and the line of the
 * subscriptions that have some waiting: the one whose reader has gone longest without taking an
 * event at the front. One budget bounds the sum: the per-subscription cap alone lets thousands of
 * subscriptions that stop reading each hold thousands of events (gigabytes, and seconds of garbage
 * collection that stall every request). Once it is spent, the front of the line gives way: a
 * subscription whose client stopped reading stays there, while one whose client reads goes to the
 * back at every event it takes, so it loses nothing to the clients that stopped. Holding the most
 * is no sign of a stalled client: a burst fills a reader's queue faster than its socket drains it.
 */
export class QueueBudget {
  /** Events waiting; a resync signal is not counted (a cut-back subscription keeps one in their place). */
  queued = 0;
  /** The subscriptions with something waiting, in the order their readers last took an event or caught up. */
  private readonly line = new Set<BudgetedQueue>();

  constructor(readonly maxQueued: number) {}

  /** `queue` (whose reader had caught up) has something waiting again: it joins at the back. */
  joined(queue: BudgetedQueue): void {
    this.line.add(queue);
  }

  /** `queue`'s reader took what waited at its front: back of the line, or out of it with nothing left. */
  progressed(queue: BudgetedQueue, stillWaiting: boolean): void {
    this.line.delete(queue);
    if (stillWaiting) this.line.add(queue);
  }

  left(queue: BudgetedQueue): void {
    this.line.delete(queue);
  }

  /**
   * Room for one more event: once the budget is spent, the subscriptions at the front of the line
   * are cut back in turn until a quarter of it is free again, so the line is walked once per quarter
   * of the budget, not at every event. A cut-back subscription keeps its place: only its reader
   * taking an event moves it.
   */
  makeRoom(): void {
    if (this.queued < this.maxQueued) return;
    const target = this.maxQueued - Math.ceil(this.maxQueued / 4);
    for (const queue of this.line) {
      if (this.queued <= target) return;
      if (queue.events > 0) queue.cutBack();
    }
  }
}

/**
 * What waits for one subscription's reader, oldest first, each value with the instant it came. Every
 * change goes through these methods, which keep the instance's budget (its sum and its line) in step.
 */
class WaitingValues<T> implements BudgetedQueue {
  private readonly values: Array<{ value: T | LiveEventsLost; at: number }> = [];
  events = 0;

  constructor(private readonly budget: QueueBudget) {}

  get length(): number {
    return this.values.length;
  }

  push(value: T | LiveEventsLost): void {
    if (this.values.length === 0) this.budget.joined(this);
    if (!(value instanceof LiveEventsLost)) {
      this.events += 1;
      this.budget.queued += 1;
    }
    this.values.push({ value, at: Date.now() });
  }

  /** The oldest value (the queue must hold one), taken by the reader. */
  shift(): T | LiveEventsLost {
    const { value } = this.values.shift()!;
    if (!(value instanceof LiveEventsLost)) {
      this.events -= 1;
      this.budget.queued -= 1;
    }
    this.budget.progressed(this, this.values.length > 0);
    return value;
  }

  cutBack(): void {
    let since = Infinity;
    for (const { value, at } of this.values) since = Math.min(since, lostSince(value, at));
    // The resync of an earlier cut, still waiting, stands for this one too when it is dated early
    // enough: a stalled subscription is cut back again and again, and a new signal costs a stack trace.
    const head = this.values[0];
    const signal =
      head.value instanceof LiveEventsLost && head.value.since.getTime() <= since
        ? head
        : { value: new LiveEventsLost(new Date(since)), at: Date.now() };
    this.budget.queued -= this.events;
    this.events = 0;
    // In place: the subscription keeps its place in the budget's line.
    this.values.length = 0;
    this.values.push(signal);
  }

  /** Everything dropped, for good: the subscription closed. */
  clear(): void {
    if (this.values.length === 0) return;
    this.budget.queued -= this.events;
    this.events = 0;
    this.values.length = 0;
    this.budget.left(this);
  }
}

/**
 * A push queue exposed as an AsyncIterator; `return()` (client unsubscribed) runs `onClose`.
 * At most `maxQueued` values wait: a subscriber that stops reading (its socket's buffers full,
 * graphql-ws awaiting each send) would otherwise hold every later event in memory. Beyond it, or
 * when the instance's `budget` is spent and this subscription is at the front of its line (see
 * QueueBudget), the waiting events are dropped and one LiveEventsLost, dated from the oldest of
 * them, takes their place: the client catches up with a query, as after a Redis outage. A value is
 * queued as it is pushed; only its hand-over to the reader goes through `deliveries` (each resumes
 * the subscription, which runs and writes to its socket in that turn), so what waits there is at
 * most one hand-over per subscription, however many events a burst brings.
 */
export function pushIterator<T>(
  onClose: () => void,
  {
    maxQueued = DEFAULT_MAX_QUEUED_EVENTS,
    budget = new QueueBudget(Infinity),
    deliveries,
  }: { maxQueued?: number; budget?: QueueBudget; deliveries?: DeliveryQueue } = {},
): { push(value: T | LiveEventsLost): void; iterator: AsyncIterableIterator<T | LiveEventsLost> } {
  const queue = new WaitingValues<T>(budget);
  const waiting: Array<(result: IteratorResult<T | LiveEventsLost>) => void> = [];
  let done = false;
  /**
   * Resolves a reader's `next()` with `result`, through `deliveries` when given. A subscription
   * closed in between (the client completed it, or left) gets `done` instead: nothing is sent for it.
   */
  const handOver = (resolve: (result: IteratorResult<T | LiveEventsLost>) => void, result: IteratorResult<T | LiveEventsLost>): void => {
    if (!deliveries) return resolve(result);
    deliveries.enqueue(() => resolve(done ? { value: undefined, done: true } : result));
  };
  const finish = (): Promise<IteratorResult<T | LiveEventsLost>> => {
    if (!done) {
      done = true;
      queue.clear();
      onClose();
      for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  };
  const iterator: AsyncIterableIterator<T | LiveEventsLost> = {
    next: () => {
      if (queue.length > 0) {
        const value = queue.shift();
        return new Promise((resolve) => handOver(resolve, { value, done: false }));
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return: finish,
    throw: (error) => finish().then(() => Promise.reject(error)),
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return {
    push(value: T | LiveEventsLost) {
      if (done) return;
      const resolve = waiting.shift();
      if (resolve) {
        // Resuming the reader runs its subscription (execution, the socket write): sliced by `deliveries`.
        handOver(resolve, { value, done: false });
        return;
      }
      if (queue.length >= maxQueued) queue.cutBack();
      if (!(value instanceof LiveEventsLost)) budget.makeRoom();
      queue.push(value);
    },
    iterator,
  };
}

/**
 * Hands events to subscribers a slice at a time, yielding to the event loop between slices. Each
 * hand-over resumes a subscription whose event is then executed and written to its socket in the
 * same turn; a burst (a scoring run changing thousands of tiers, fanned out to thousands of
 * clients) would otherwise run as one uninterrupted turn and stall every other request for seconds.
 */
export class DeliveryQueue {
  private queue: Array<() => void> = [];
  private next = 0;
  private scheduled = false;

  /** `perTurn`: hand-overs per event-loop turn (default 50, a few milliseconds of work). */
  constructor(private readonly perTurn = 50) {}

  enqueue(deliver: () => void): void {
    this.queue.push(deliver);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    const end = Math.min(this.queue.length, this.next + this.perTurn);
    for (; this.next < end; this.next++) this.queue[this.next]();
    if (this.next < this.queue.length) {
      setImmediate(this.drain);
      return;
    }
    this.queue = [];
    this.next = 0;
    this.scheduled = false;
  };
}

export class InProcessPubSub implements AppPubSub {
  readonly transport = 'in-process' as const;
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly deliveries = new DeliveryQueue();
  private readonly budget: QueueBudget;

  /** `maxQueued`: events one subscription may have waiting; `maxQueuedTotal`: all of them together (see pushIterator). */
  constructor(
    private readonly maxQueued = DEFAULT_MAX_QUEUED_EVENTS,
    maxQueuedTotal = DEFAULT_MAX_QUEUED_EVENTS_TOTAL,
  ) {
    this.budget = new QueueBudget(maxQueuedTotal);
  }

  publish(topic: string, payload: unknown): void {
    this.emitter.emit(topic, payload);
  }

  subscribe(topic: string): AsyncIterable<unknown> {
    return this.subscribeAll([topic]);
  }

  subscribeAll(topics: readonly string[], accept?: (payload: unknown) => boolean): AsyncIterable<unknown> {
    checkTopics(topics);
    const listener = (payload: unknown): void => {
      if (!accept || accept(payload)) queue.push(payload);
    };
    const queue = pushIterator<unknown>(
      () => {
        for (const topic of topics) this.emitter.off(topic, listener);
      },
      { maxQueued: this.maxQueued, budget: this.budget, deliveries: this.deliveries },
    );
    for (const topic of topics) this.emitter.on(topic, listener);
    return queue.iterator;
  }

  async listened(topics: readonly string[]): Promise<Set<string>> {
    return new Set(topics.filter((topic) => this.emitter.listenerCount(topic) > 0));
  }

  announceLost(): void {}

  isHealthy(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

/** Since when events may have been lost, and on which topics (null: any, or too many to list). */
interface LostTopics {
  since: number;
  topics: Set<string> | null;
}

/** Beyond this many topics an announcement says "every topic" instead of listing them. */
const MAX_LISTED_LOST_TOPICS = 1000;

/** `known` (updated in place, or created) with a loss since `since` on `topics` added. */
function mergeLostTopics(known: LostTopics | undefined, since: number, topics: ReadonlySet<string> | null): LostTopics {
  const merged = known ?? { since, topics: new Set<string>() };
  merged.since = Math.min(merged.since, since);
  if (merged.topics === null || topics === null) {
    merged.topics = null;
    return merged;
  }
  for (const topic of topics) merged.topics.add(topic);
  if (merged.topics.size > MAX_LISTED_LOST_TOPICS) merged.topics = null;
  return merged;
}

/**
 * An announcement of lost events (`{ since, topics }`) as published on RESYNC_CHANNEL. One that does
 * not read as such (not JSON, not an object: another version, or anything else publishing there) still
 * says that events were lost, so it stands for every topic, since now. Parsing it ran in the Redis
 * client's event handler, where a throw ended the process: one bad message stopped every instance.
 */
function readAnnouncement(message: string, logger: Logger): LostTopics {
  let announced: { since?: unknown; topics?: unknown } | null = null;
  try {
    announced = JSON.parse(message) as { since?: unknown; topics?: unknown } | null;
  } catch {
    // Logged below with the other unreadable announcements.
  }
  if (announced === null || typeof announced !== 'object') {
    logger.warn({ message: message.slice(0, 200) }, 'unreadable announcement of lost live events: every subscriber told to resync');
    return { since: Date.now(), topics: null };
  }
  const since = instantOf(announced.since);
  const topics = Array.isArray(announced.topics) ? new Set(announced.topics.map(String)) : null;
  return { since: Number.isFinite(since) ? since : Date.now(), topics };
}

export class RedisBackedPubSub implements AppPubSub {
  readonly transport = 'redis' as const;
  private readonly engine: RedisPubSub;
  readonly publisher: Redis;
  readonly subscriber: Redis;
  private readonly deliveries = new DeliveryQueue();
  private readonly budget: QueueBudget;
  /** Every local subscription: its topics, and its way to receive a LiveEventsLost. */
  private readonly liveSubscriptions = new Map<(signal: LiveEventsLost) => void, readonly string[]>();
  /** Events of this instance that failed to publish, until announced on RESYNC_CHANNEL. */
  private publishFailures: LostTopics | undefined;
  /**
   * Events not published since Redis was last reachable. Only the first is logged, and the count
   * once they are announced: an outage during a full run fails one publication per channel of every
   * change and score, and logging each wrote hundreds of thousands of lines.
   */
  private unpublished = 0;
  /** Since when the subscriber connection has been down (set until it is first up, too). */
  private subscriberDownSince: number | undefined = Date.now();

  /** Every channel of this deployment starts with it (AppConfig.redisNamespace): `namespace:topic`. */
  private readonly prefix: string;
  private readonly resyncChannel: string;

  constructor(
    redisUrl: string,
    private readonly logger: Logger,
    namespace: string,
    /** Events one subscription may have waiting (see pushIterator). */
    private readonly maxQueued = DEFAULT_MAX_QUEUED_EVENTS,
    /** Events all of this instance's subscriptions may have waiting together. */
    maxQueuedTotal = DEFAULT_MAX_QUEUED_EVENTS_TOTAL,
  ) {
    this.budget = new QueueBudget(maxQueuedTotal);
    this.prefix = `${namespace}:`;
    this.resyncChannel = this.prefix + RESYNC_CHANNEL;
    // Publishing must never block a mutation: with Redis away or not answering, fail fast instead of queueing.
    this.publisher = failFastRedis(redisUrl);
    // The subscriber keeps its queue, without a retry limit, so subscriptions made or held during an
    // outage are established when Redis is back, however long it stays away.
    this.subscriber = queueingRedis(redisUrl);
    // graphql-redis-subscriptions leaves the promises of its UNSUBSCRIBE commands unhandled: a client
    // leaving while the connection is down (or closing) would be an unhandled rejection, which ends
    // the process. Losing such a command is harmless: a connection that comes back resubscribes only
    // the channels still in use.
    for (const method of ['unsubscribe', 'punsubscribe'] as const) {
      const send = this.subscriber[method].bind(this.subscriber) as (...channels: string[]) => Promise<unknown>;
      this.subscriber[method] = ((...channels: string[]) => {
        const sent = send(...channels);
        sent.catch(() => undefined);
        return sent;
      }) as Redis[typeof method];
    }
    for (const [name, client] of [
      ['publisher', this.publisher],
      ['subscriber', this.subscriber],
    ] as const) {
      this.logConnectionState(client, name);
    }
    this.engine = new RedisPubSub({
      publisher: this.publisher,
      subscriber: this.subscriber,
      serializer: serializePayload,
      deserializer: deserializePayload,
    });
    this.watchForLostEvents();
  }

  /** A connection's failures, said once per outage (OutageLog). */
  private logConnectionState(client: Redis, name: 'publisher' | 'subscriber'): void {
    const outages = new OutageLog(this.logger, {
      lost: 'redis connection error (retrying; further attempts logged at debug)',
      repeated: 'redis connection error',
      restored: 'redis connection restored',
      fields: { client: name },
    });
    client.on('error', (error) => outages.failed({ err: error.message }));
    // A connection Redis closes itself (CLIENT KILL, a clean restart), or the watchdog drops, ends
    // without an error; ioredis's 'reconnecting' (never after `quit`) says it was lost all the same.
    client.on('reconnecting', () => {
      if (!outages.isDown) outages.failed({ err: 'the connection was closed' });
    });
    client.on('ready', () => outages.restored());
  }

  /**
   * Events are lost when this instance cannot publish (each failure is remembered, and announced to
   * every instance on RESYNC_CHANNEL once publishing works again) or cannot receive (its subscriber
   * connection was down: its own subscribers are told once it is back and resubscribed).
   */
  private watchForLostEvents(): void {
    this.publisher.on('ready', () => this.announceResync());
    // Messages published after the last instant the subscriber had read everything may be lost with
    // the connection (Redis drops what it had queued for it), not only those published once it closed.
    this.subscriber.on('close', () => (this.subscriberDownSince ??= messagesReadUpTo(this.subscriber) ?? Date.now()));
    this.subscriber.on('ready', () => {
      const since = this.subscriberDownSince;
      this.subscriberDownSince = undefined;
      if (since === undefined) return;
      // ioredis resubscribes right after emitting 'ready'; a PING answered after those commands
      // means the channels are live again before subscribers are told to catch up.
      setImmediate(() => {
        this.subscriber.ping().then(
          () => this.notifySubscribers({ since, topics: null }),
          () => (this.subscriberDownSince = Math.min(this.subscriberDownSince ?? since, since)),
        );
      });
    });
    // Straight on the connection, not through the engine, whose failed subscriptions (at shutdown
    // with Redis away) leave a promise rejected unhandled. ioredis resubscribes it after a reconnect.
    this.subscriber.subscribe(this.resyncChannel).catch(() => undefined);
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.resyncChannel) this.notifySubscribers(readAnnouncement(message, this.logger));
    });
  }

  /** Tells the local subscriptions listening on any of `lost.topics` (all when null) to resync. */
  private notifySubscribers(lost: LostTopics): void {
    const signal = new LiveEventsLost(new Date(lost.since));
    let told = 0;
    for (const [deliver, topics] of this.liveSubscriptions) {
      if (lost.topics !== null && !topics.some((topic) => lost.topics!.has(topic))) continue;
      deliver(signal);
      told++;
    }
    if (told > 0)
      this.logger.info({ since: signal.since, subscriptions: told }, 'live events may have been lost: subscribers told to resync');
  }

  private announceResync(): void {
    const failures = this.publishFailures;
    if (failures === undefined) return;
    this.publishFailures = undefined;
    const message = JSON.stringify({ since: new Date(failures.since), topics: failures.topics && [...failures.topics] });
    const unpublished = this.unpublished;
    this.publisher.publish(this.resyncChannel, message).then(
      () => {
        this.unpublished -= unpublished;
        if (unpublished > 0)
          this.logger.warn(
            { unpublished, since: new Date(failures.since) },
            'redis is back: live events not published meanwhile, subscribers told to resync',
          );
      },
      () => {
        this.publishFailures = mergeLostTopics(this.publishFailures, failures.since, failures.topics);
      },
    );
  }

  announceLost(since: Date): void {
    // As a failed publish is: announced now if Redis answers, or once it is back.
    this.publishFailures = mergeLostTopics(this.publishFailures, since.getTime(), null);
    this.announceResync();
  }

  publish(topic: string, payload: unknown): void {
    this.engine.publish(this.prefix + topic, payload).then(
      () => this.announceResync(),
      (error: Error) => {
        if (!isCommandTimeout(error)) return this.publishLost(topic, payload, error);
        // Unanswered in time, which is also what a process too busy to read its socket sees: the
        // timer fires before the loop's poll phase reads the answer waiting there. Redis runs a
        // connection's commands in order, so a ping sent after it and answered means it was published.
        this.publisher.ping().then(
          () => this.announceResync(),
          () => this.publishLost(topic, payload, error),
        );
      },
    );
  }

  private publishLost(topic: string, payload: unknown, error: Error): void {
    // An event is dated by its own time (a tier change by its scoring), which can precede its publication: the loss starts there.
    const since = Math.min(Date.now(), eventInstant(payload));
    this.publishFailures = mergeLostTopics(this.publishFailures, since, new Set([topic]));
    if (this.unpublished++ === 0)
      this.logger.warn(
        { err: error.message, topic },
        'event not published: redis unavailable (the next ones are counted until it is back)',
      );
  }

  subscribe(topic: string): AsyncIterable<unknown> {
    return this.subscribeAll([topic]);
  }

  subscribeAll(topics: readonly string[], accept?: (payload: unknown) => boolean): AsyncIterable<unknown> {
    checkTopics(topics);
    // One Redis channel subscription is shared by every local subscriber of the topic (the engine
    // reference-counts it); each message is parsed once, then queued for each of them.
    const subscriptions: Array<Promise<number>> = [];
    const onLost = (signal: LiveEventsLost): void => queue.push(signal);
    const queue = pushIterator<unknown>(
      () => {
        this.liveSubscriptions.delete(onLost);
        for (const subscription of subscriptions) void subscription.then((id) => this.engine.unsubscribe(id)).catch(() => undefined);
      },
      { maxQueued: this.maxQueued, budget: this.budget, deliveries: this.deliveries },
    );
    this.liveSubscriptions.set(onLost, topics);
    const onMessage = (payload: unknown): void => {
      if (!accept || accept(payload)) queue.push(payload);
    };
    for (const topic of topics) {
      const subscription = this.engine.subscribe(this.prefix + topic, onMessage);
      subscription.catch((error: Error) => this.logger.warn({ err: error.message, topic }, 'subscription to redis failed'));
      subscriptions.push(subscription);
    }
    return queue.iterator;
  }

  async listened(topics: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(topics)];
    const listened = new Set<string>();
    try {
      // PUBSUB NUMSUB counts the subscribers of each channel across every Redis client, so every instance's.
      for (let start = 0; start < unique.length; start += 5000) {
        const channels = unique.slice(start, start + 5000).map((topic) => this.prefix + topic);
        const reply = (await this.publisher.pubsub('NUMSUB', ...channels)) as Array<string | number>;
        for (let i = 0; i < reply.length; i += 2) if (Number(reply[i + 1]) > 0) listened.add(String(reply[i]).slice(this.prefix.length));
      }
      return listened;
    } catch {
      return new Set(unique);
    }
  }

  isHealthy(): boolean {
    return this.publisher.status === 'ready' && this.subscriber.status === 'ready';
  }

  /**
   * Resolves true once both connections are up, false after `timeoutMs`. Start-up waits for it so
   * an instance does not drop its first events while Redis is still connecting (the publisher
   * fails fast rather than queueing); a Redis that stays away only delays start-up, never blocks it.
   */
  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isHealthy()) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return true;
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.publisher.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.liveSubscriptions.clear();
    // QUIT lets pending replies arrive; a client that is not connected is just disconnected
    // (otherwise it would keep retrying and hold the process open).
    await Promise.allSettled(
      [this.publisher, this.subscriber].map((client) => (client.status === 'ready' ? client.quit() : Promise.resolve(client.disconnect()))),
    );
  }
}

export function createPubSub(
  redisUrl: string | undefined,
  logger: Logger,
  namespace: string,
  maxQueued = DEFAULT_MAX_QUEUED_EVENTS,
  maxQueuedTotal = DEFAULT_MAX_QUEUED_EVENTS_TOTAL,
): AppPubSub {
  if (redisUrl) {
    logger.info({ transport: 'redis', namespace }, 'pubsub: redis (events reach every instance of this deployment)');
    return new RedisBackedPubSub(redisUrl, logger, namespace, maxQueued, maxQueuedTotal);
  }
  logger.warn({ transport: 'in-process' }, 'pubsub: in-process, single-instance mode (set REDIS_URL to run several instances)');
  return new InProcessPubSub(maxQueued, maxQueuedTotal);
}
