// What makes open screens live: every tier change and score update arriving on the WebSocket bumps
// a version that the screens' queries follow (they refetch the page they show); a screen about one
// customer follows that customer's version only, so a scoring run's burst of other customers' events
// leaves it alone. The latest tier changes are kept for the live feed. After a reconnect, the tier
// changes missed while away are fetched with tierChanges(since:) — tier changes are durable rows —
// and counted in the feed, leaving out those that were there before the page opened. A RESYNC
// result on a subscription (the server's word that live events may have been lost, after a Redis
// outage: src/infra/pubsub.ts) is caught up the same way, from its `since`.
import type { Client, CombinedError, OperationResult } from '@urql/core';
import { useEffect, useState } from 'preact/hooks';
import type { ConnectionStatus } from './client';
import { graphql } from './gql';
import type { LiveTierChangeFragment, MissedTierChangesQuery } from './gql/graphql';
import { serverNow } from './server-clock';

export const LiveTierChangeFields = graphql(`
  fragment LiveTierChange on TierChange {
    id
    customerId
    fromTier
    toTier
    fromScore
    toScore
    direction
    changedAt
    customer {
      name
    }
  }
`);

const TierChangedSubscription = graphql(`
  subscription LiveTierChanged {
    healthTierChanged {
      ...LiveTierChange
    }
  }
`);

const ScoreUpdatedSubscription = graphql(`
  subscription LiveScoreUpdated {
    healthScoreUpdated {
      customerId
      score
    }
  }
`);

const MissedTierChangesQuery = graphql(`
  query MissedTierChanges($since: DateTime!, $after: String) {
    tierChanges(since: $since, first: 500, after: $after) {
      edges {
        node {
          ...LiveTierChange
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export interface LiveState {
  status: ConnectionStatus;
  /** Grows with every live event: screens refetch when it changes. */
  version: number;
  /** Latest tier changes first (live and caught up), at most {@link FEED_SIZE}. */
  feed: LiveTierChangeFragment[];
  /** Tier changes fetched after the last reconnect or RESYNC; null before any. */
  caughtUp: number | null;
  /** When the connection was lost (the browser's clock), while it is: what is shown is as of then. */
  lostAt: number | null;
}

const FEED_SIZE = 50;
/** Live events arrive in bursts (a scoring run): screens refetch at most this often. */
const REFETCH_THROTTLE_MS = 300;
/**
 * Changes are asked for from a little before the last one seen, or before the page connected by the
 * server's clock as the page reckons it (server-clock.ts): a change dated by another instance, or
 * committed a moment after its date, is not missed.
 */
const CLOCK_MARGIN_MS = 60_000;
/** How many pages of missed changes a reconnect fetches; beyond that the screens' refetch shows the state anyway. */
const MAX_CATCH_UP_PAGES = 10;
const MAX_REMEMBERED_IDS = 10_000;
/** Everyone: a reconnect's catch-up may have missed any customer's events. */
const ALL_CUSTOMERS = null;
/** Both subscriptions get a RESYNC for one loss: those arriving this close together are caught up once. */
const RESYNC_COALESCE_MS = 100;

/**
 * The instant from which a RESYNC result says live events may have been lost (ms), when `error`
 * holds one; NaN when it holds one without a usable `since`; undefined when it is no RESYNC.
 */
function resyncSince(error: CombinedError | undefined): number | undefined {
  const resync = error?.graphQLErrors.find((graphQLError) => graphQLError.extensions?.code === 'RESYNC');
  if (!resync) return undefined;
  return Date.parse(String(resync.extensions.since));
}

export class LiveUpdates {
  private state: LiveState = { status: 'connecting', version: 0, feed: [], caughtUp: null, lostAt: null };
  private readonly listeners = new Set<(state: LiveState) => void>();
  private readonly tierChangeListeners = new Set<(changes: readonly LiveTierChangeFragment[]) => void>();
  private readonly seen = new Set<string>();
  /** The version at which each customer's last event was taken into account. */
  private readonly customerVersions = new Map<string, number>();
  /** The version every customer's screens must have caught up with (a reconnect, a forgotten map). */
  private allCustomersVersion = 0;
  /** Customers with events since the last version bump; ALL_CUSTOMERS among them means everyone. */
  private readonly pendingCustomers = new Set<string | null>();
  /** The latest `changedAt` seen (the server's clock). */
  private lastChangeAt: number | null = null;
  /** When the page first connected, by the server's clock. */
  private firstConnectedAt: number | null = null;
  /**
   * The tier changes that were already there when the page first connected (within the clock margin
   * before it): a catch-up reaching back that far finds them, but they were never missed. Known by
   * id: the page's reckoning of the server's clock is good to a second or two, not to the instant.
   */
  private readonly knownAtOpen = new Set<string>();
  private knownAtOpenLoaded: Promise<void> = Promise.resolve();
  private refetchTimer: ReturnType<typeof setTimeout> | undefined;
  private client: Client | undefined;
  private stops: Array<() => void> = [];
  /** The earliest loss announced by the RESYNC results waiting to be caught up. */
  private resyncFrom: number | undefined;
  private resyncTimer: ReturnType<typeof setTimeout> | undefined;

  get current(): LiveState {
    return this.state;
  }

  /** The version a screen about `customerId` follows: it grows only with that customer's events (or a catch-up). */
  versionOf(customerId: string): number {
    return Math.max(this.customerVersions.get(customerId) ?? 0, this.allCustomersVersion);
  }

  subscribe(listener: (state: LiveState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells `listener` of the tier changes recorded from now on, live or caught up, as they come; returns its unsubscribe. */
  onTierChanges(listener: (changes: readonly LiveTierChangeFragment[]) => void): () => void {
    this.tierChangeListeners.add(listener);
    return () => this.tierChangeListeners.delete(listener);
  }

  /** Starts the subscriptions on `client` (whose WebSocket reports to this object). */
  start(client: Client): void {
    this.client = client;
    const tierChanges = client.subscription(TierChangedSubscription, {}).subscribe((result) => {
      if (result.data) this.record([result.data.healthTierChanged]);
      this.resyncOn(result.error);
    });
    const scores = client.subscription(ScoreUpdatedSubscription, {}).subscribe((result) => {
      if (result.data) this.scheduleRefetch([result.data.healthScoreUpdated.customerId]);
      this.resyncOn(result.error);
    });
    this.stops = [tierChanges.unsubscribe, scores.unsubscribe];
    // The socket may have been acknowledged before this client was given.
    if (this.firstConnectedAt !== null) this.loadKnownAtOpen();
  }

  stop(): void {
    this.stops.forEach((stop) => stop());
    clearTimeout(this.refetchTimer);
    clearTimeout(this.resyncTimer);
  }

  setStatus(status: ConnectionStatus): void {
    const lostAt = status === 'live' ? null : (this.state.lostAt ?? (this.state.status === 'live' ? Date.now() : null));
    this.update({ status, lostAt });
  }

  async connected(reconnected: boolean): Promise<void> {
    if (!reconnected) {
      this.firstConnectedAt = serverNow();
      if (this.client) this.loadKnownAtOpen();
      return;
    }
    const since = new Date(this.catchUpFrom()).toISOString();
    const missed = await this.fetchSince(since);
    this.update({ caughtUp: missed });
    this.scheduleRefetch([ALL_CUSTOMERS]);
  }

  /**
   * A RESYNC result: the connection stayed up but events may not have reached it, so without a catch-up
   * the open screen would show the state before the loss until some later event. The missed tier
   * changes are fetched from the loss's `since` (server time, as `changedAt` is) and every screen
   * refetches; a catch-up that finds nothing new leaves the count of the last one shown.
   */
  private resyncOn(error: CombinedError | undefined): void {
    const since = resyncSince(error);
    if (since === undefined) return;
    const from = Number.isFinite(since) ? since : this.catchUpFrom();
    this.resyncFrom = Math.min(this.resyncFrom ?? from, from);
    if (this.resyncTimer !== undefined) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      const lostFrom = new Date(this.resyncFrom ?? from).toISOString();
      this.resyncFrom = undefined;
      void this.fetchSince(lostFrom).then((missed) => {
        if (missed > 0 || this.state.caughtUp === null) this.update({ caughtUp: missed });
        this.scheduleRefetch([ALL_CUSTOMERS]);
      });
    }, RESYNC_COALESCE_MS);
  }

  /** Where a catch-up without a `since` of its own starts (server time): before the last change seen, or the first connection. */
  private catchUpFrom(): number {
    return (this.lastChangeAt ?? this.firstConnectedAt ?? serverNow()) - CLOCK_MARGIN_MS;
  }

  private loadKnownAtOpen(): void {
    const since = new Date((this.firstConnectedAt ?? serverNow()) - CLOCK_MARGIN_MS).toISOString();
    this.knownAtOpenLoaded = this.eachPageSince(since, (changes) => changes.forEach((change) => this.knownAtOpen.add(change.id)));
  }

  /** Records the tier changes since `since` that were not there when the page opened; returns how many were new. */
  private async fetchSince(since: string): Promise<number> {
    await this.knownAtOpenLoaded;
    let missed = 0;
    await this.eachPageSince(since, (changes) => {
      missed += this.record(changes.filter((change) => !this.knownAtOpen.has(change.id)));
    });
    return missed;
  }

  /** Hands each page of the tier changes since `since` to `take`, up to MAX_CATCH_UP_PAGES. */
  private async eachPageSince(since: string, take: (changes: LiveTierChangeFragment[]) => void): Promise<void> {
    if (!this.client) return;
    let after: string | null = null;
    for (let page = 0; page < MAX_CATCH_UP_PAGES; page++) {
      const result: OperationResult<MissedTierChangesQuery> = await this.client
        .query(MissedTierChangesQuery, { since, after }, { requestPolicy: 'network-only' })
        .toPromise();
      const connection = result.data?.tierChanges;
      if (!connection) return;
      take(connection.edges.map((edge) => edge.node));
      if (!connection.pageInfo.hasNextPage) return;
      after = connection.pageInfo.endCursor ?? null;
    }
  }

  /** Adds unseen changes to the feed; returns how many were new. */
  private record(changes: LiveTierChangeFragment[]): number {
    const fresh = changes.filter((change) => !this.seen.has(change.id));
    if (fresh.length === 0) return 0;
    // Ids are remembered to drop the duplicates of a catch-up; a long-open page forgets the oldest.
    if (this.seen.size > MAX_REMEMBERED_IDS) this.seen.clear();
    for (const change of fresh) {
      this.seen.add(change.id);
      this.lastChangeAt = Math.max(this.lastChangeAt ?? 0, Date.parse(change.changedAt));
    }
    const feed = [...[...fresh].reverse(), ...this.state.feed]
      .sort((a, b) => Date.parse(b.changedAt) - Date.parse(a.changedAt))
      .slice(0, FEED_SIZE);
    this.update({ feed });
    this.tierChangeListeners.forEach((listener) => listener(fresh));
    this.scheduleRefetch(fresh.map((change) => change.customerId));
    return fresh.length;
  }

  private scheduleRefetch(customerIds: ReadonlyArray<string | null>): void {
    for (const id of customerIds) this.pendingCustomers.add(id);
    if (this.refetchTimer !== undefined) return;
    this.refetchTimer = setTimeout(() => {
      this.refetchTimer = undefined;
      const version = this.state.version + 1;
      // A long-open page forgets the customers' versions and has every customer screen refetch once.
      if (this.pendingCustomers.has(ALL_CUSTOMERS) || this.customerVersions.size > MAX_REMEMBERED_IDS) {
        this.customerVersions.clear();
        this.allCustomersVersion = version;
      }
      for (const id of this.pendingCustomers) if (id !== ALL_CUSTOMERS) this.customerVersions.set(id, version);
      this.pendingCustomers.clear();
      this.update({ version });
    }, REFETCH_THROTTLE_MS);
  }

  private update(patch: Partial<LiveState>): void {
    this.state = { ...this.state, ...patch };
    this.listeners.forEach((listener) => listener(this.state));
  }
}

export function useLive(live: LiveUpdates): LiveState {
  const [state, setState] = useState(live.current);
  useEffect(() => {
    const unsubscribe = live.subscribe(setState);
    // The effect runs after the first paint: on a fast connection the socket is acknowledged in
    // between, and that update reached no listener. Take whatever happened since the render.
    setState(live.current);
    return unsubscribe;
  }, [live]);
  return state;
}
