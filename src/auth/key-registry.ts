// The keys this instance accepts. The table of active keys (a few rows) is re-read every
// `apiKeyRefreshMs`, so a key revoked on any instance, or with `npm run keys` while the service
// runs, stops working everywhere within that interval; listeners close the revoked key's sockets.
// A verified key is remembered by a digest of the whole key, so a dashboard pays scrypt once per
// key and process, not per request; a revoked key is forgotten at the next refresh.
import { createHash } from 'node:crypto';
import type { Logger } from '../infra/logger';
import type { Db } from '../infra/sql';
import { ActiveKeyRow, loadActiveKeys, touchApiKeys } from './api-key.service';
import { parseToken, verifySecret } from './key-secret';
import type { Principal } from './principal';

/** Remembered verifications; beyond this the oldest is forgotten (and verified again when seen). */
const MAX_REMEMBERED = 10_000;
/** `lastUsedAt` is written at most this often per key and instance. */
const TOUCH_INTERVAL_MS = 60_000;

export type KeysChangedListener = (registry: KeyRegistry) => void;

/** What is logged when every key is revoked (as it happens, and at a start that finds it so). */
export const EVERY_KEY_REVOKED = 'every API key is revoked: no request is admitted until a key is created (npm run keys -- create)';

export class KeyRegistry {
  private active = new Map<string, ActiveKeyRow>();
  private anyCreated = false;
  private loaded = false;
  /** sha256 of a verified key → its id. */
  private readonly verified = new Map<string, string>();
  private readonly verifying = new Map<string, Promise<boolean>>();
  private readonly touchedAt = new Map<string, number>();
  private readonly listeners: KeysChangedListener[] = [];
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly db: () => Db,
    private readonly refreshMs: number,
    private readonly logger: Logger,
  ) {}

  /** Loads the keys (failing if the database cannot be read) and starts the periodic refresh. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      if (this.refreshing) return;
      this.refresh().then(
        () => {
          if (this.failing) this.logger.info('API keys refreshed again');
          this.failing = false;
        },
        (error: Error) => {
          // Once per outage, not every interval.
          if (!this.failing)
            this.logger.warn({ err: error.message }, 'API keys cannot be refreshed: keeping the last known set until the database answers');
          this.failing = true;
        },
      );
    }, this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * True once a key has been created, even if every key has since been revoked: from then on every
   * request needs one. Revoking the last key must not hand this machine's clients admin again (an
   * operator revoking every key in an incident, with the server listening on every interface).
   */
  get hasKeys(): boolean {
    return this.anyCreated;
  }

  /** True while some key is active; false before the first key, or once every key is revoked. */
  get hasActiveKeys(): boolean {
    return this.active.size > 0;
  }

  isActive(keyId: string): boolean {
    return this.active.has(keyId);
  }

  /**
   * Whether a principal admitted earlier may still act: its key is still active, or, for a loopback
   * client, still no key exists. What outlives one request (a WebSocket, a streaming import) is
   * checked again after every refresh.
   */
  admits(principal: Principal): boolean {
    return principal.kind === 'key' ? this.isActive(principal.keyId) : !this.hasKeys;
  }

  /** Calls `listener` after each refresh that changed the keys; the function returned stops it. */
  onChange(listener: KeysChangedListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /**
   * Re-reads the active keys now (key management calls it, so its own instance needs no wait), after
   * any read already under way: that one may have read the table before the caller's change.
   */
  refresh(): Promise<void> {
    const loading = (this.refreshing?.catch(() => undefined) ?? Promise.resolve()).then(() => this.load());
    this.refreshing = loading;
    loading.then(
      () => this.refreshing === loading && (this.refreshing = undefined),
      () => this.refreshing === loading && (this.refreshing = undefined),
    );
    return loading;
  }

  private async load(): Promise<void> {
    const { active: rows, anyCreated } = await loadActiveKeys(this.db());
    const next = new Map(rows.map((row) => [row.id, row]));
    const changed =
      !this.loaded || anyCreated !== this.anyCreated || next.size !== this.active.size || rows.some((row) => !this.active.has(row.id));
    const hadKeys = this.hasKeys;
    // The keys found by the first load are the start's to say (AccessControl.start), once.
    const firstLoad = !this.loaded;
    const hadActive = this.active.size > 0;
    this.active = next;
    this.anyCreated = anyCreated;
    this.loaded = true;
    if (!changed) return;
    for (const [digest, keyId] of this.verified) if (!next.has(keyId)) this.verified.delete(digest);
    if (!firstLoad && !hadKeys && this.hasKeys) this.logger.info({ keys: next.size }, 'an API key exists: every request now needs one');
    if (hadActive && next.size === 0) this.logger.warn(EVERY_KEY_REVOKED);
    for (const listener of this.listeners) listener(this);
  }

  /**
   * The principal of a key, or null when it is malformed, unknown, revoked or wrong; `hashed` tells
   * whether finding out took an scrypt. `beforeHashing` runs just before one (and may throw to
   * refuse it): only a known key id with a secret not verified before costs that much. What it
   * resolves to is called when the secret matched (the attempt it spent was no failure).
   */
  async verify(
    token: string,
    beforeHashing?: (keyId: string) => Promise<(() => Promise<void>) | void>,
  ): Promise<{ principal: Principal } | { principal: null; hashed: false } | { principal: null; hashed: true; keyId: string }> {
    const parsed = parseToken(token);
    const key = parsed && this.active.get(parsed.keyId);
    if (!parsed || !key) return { principal: null, hashed: false };
    const digest = createHash('sha256').update(token).digest('base64url');
    if (this.verified.get(digest) !== key.id) {
      // Only the request that starts an scrypt spends an attempt: one sending a secret already being
      // spent for or hashed waits for that instead (and shares its refusal, when none was left).
      const pending =
        this.verifying.get(digest) ?? this.startVerifying(digest, parsed.secret, key.secretHash, () => beforeHashing?.(key.id));
      if (!(await pending)) return { principal: null, hashed: true, keyId: key.id };
      // Revoked while scrypt ran: the refresh has already dropped it from `active`.
      if (!this.active.has(key.id)) return { principal: null, hashed: true, keyId: key.id };
      if (this.verified.size >= MAX_REMEMBERED) this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(digest, key.id);
    }
    this.touch(key.id);
    return { principal: { kind: 'key', keyId: key.id, name: key.name, scopes: key.scopes } };
  }

  /**
   * Spends the attempt, then hashes `secret`, once for every request that sends it meanwhile; gives
   * the attempt back when it matched. Registered before the attempt is spent (a round trip to Redis):
   * requests arriving during that round trip would otherwise each spend one, and a burst of them with
   * a valid key, on an instance that had not verified it yet, ran out of attempts.
   */
  private startVerifying(
    digest: string,
    secret: string,
    secretHash: string,
    beforeHashing: () => Promise<(() => Promise<void>) | void> | undefined,
  ): Promise<boolean> {
    const pending = (async () => {
      const giveBack = await beforeHashing();
      const matched = await verifySecret(secret, secretHash);
      if (matched) await giveBack?.();
      return matched;
    })().finally(() => this.verifying.delete(digest));
    this.verifying.set(digest, pending);
    return pending;
  }

  /** Records the use in the background; the request does not wait for it. */
  private touch(keyId: string): void {
    const now = Date.now();
    if (now - (this.touchedAt.get(keyId) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.touchedAt.set(keyId, now);
    touchApiKeys(this.db(), [keyId]).catch((error: Error) => this.logger.warn({ err: error.message, keyId }, 'lastUsedAt not recorded'));
  }
}
