// The API key of this browser tab's session (sessionStorage: gone when the tab closes) and what it
// may do, asked of the server once (`viewer`). Without any key the server answers only a client on
// its own machine while no key exists; otherwise it answers 401 and the dashboard asks for a key.
import { fetchNotingServerDate } from './server-clock';

export const API_KEY_STORAGE = 'healthgraph:dashboard:apiKey';
export const GRAPHQL_PATH = '/graphql';

export type Scope = 'READ' | 'INGEST' | 'ADMIN';

export interface Viewer {
  keyName: string | null;
  scopes: Scope[];
}

export type SessionCheck =
  | { kind: 'ok'; viewer: Viewer }
  | {
      kind: 'needs-key';
      reason: string;
      /** The server said the key is wrong or revoked (401): it is forgotten. Any other refusal keeps it. */
      keyRefused: boolean;
      /** When the refusal passes by itself (429's Retry-After): the same key is checked again then. */
      retryAfterSeconds?: number;
    };

type GraphQLAnswer = {
  data?: { viewer: Viewer | null } | null;
  errors?: Array<{ message: string; extensions?: { code?: string; retryAfterSeconds?: number } }>;
};

/** Why the dashboard asks for a key when the server refuses to go on without one (401, 4401). */
export function refusedKeyReason(key: string | null, refused: 'at-check' | 'while-open'): string {
  // Without a key, the server has just started requiring one (its first key was created): no key was refused.
  if (!key) return 'This server requires an API key.';
  return refused === 'at-check'
    ? 'This key is not valid (wrong, revoked or mistyped).'
    : 'The server no longer accepts this key (revoked?).';
}

export function storedKey(): string | null {
  return sessionStorage.getItem(API_KEY_STORAGE);
}

export function storeKey(key: string | null): void {
  if (key) sessionStorage.setItem(API_KEY_STORAGE, key);
  else sessionStorage.removeItem(API_KEY_STORAGE);
}

export function authorizationHeaders(key: string | null): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

export function isAdmin(viewer: Viewer): boolean {
  return viewer.scopes.includes('ADMIN');
}

/** Asks the server who `key` is: a key that cannot read gets a reason to show instead. */
export async function checkKey(key: string | null): Promise<SessionCheck> {
  // Its answer gives the server's time before the WebSocket opens (see server-clock.ts).
  const response = await fetchNotingServerDate(GRAPHQL_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...authorizationHeaders(key) },
    body: JSON.stringify({ query: '{ viewer { keyName scopes } }' }),
  });
  if (response.status === 401) return { kind: 'needs-key', reason: refusedKeyReason(key, 'at-check'), keyRefused: true };
  // A proxy's own refusal (an HTML 429 or 502) has no GraphQL body: its status and Retry-After still say enough.
  const body =
    response.status === 429 ? ((await response.json().catch(() => ({}))) as GraphQLAnswer) : ((await response.json()) as GraphQLAnswer);
  if (response.status === 429) {
    // The key's request budget spent, or too many wrong secrets for it from this address: either way
    // the key itself was not refused, and the refusal ends with its window.
    const refusal = body.errors?.[0];
    const retryAfterSeconds = Number(refusal?.extensions?.retryAfterSeconds ?? response.headers.get('retry-after'));
    const reason = refusal?.message ?? `The server answered ${response.status}.`;
    return Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0
      ? { kind: 'needs-key', reason: `${reason} The dashboard tries again then.`, keyRefused: false, retryAfterSeconds }
      : { kind: 'needs-key', reason, keyRefused: false };
  }
  if (body.errors?.some((error) => error.extensions?.code === 'FORBIDDEN'))
    return { kind: 'needs-key', reason: 'This key has no read scope: the dashboard needs a read (or admin) key.', keyRefused: false };
  // `viewer` is null, beside its error, when it failed (root fields are nullable).
  if (!body.data?.viewer)
    return { kind: 'needs-key', reason: body.errors?.[0]?.message ?? `The server answered ${response.status}.`, keyRefused: false };
  return { kind: 'ok', viewer: body.data.viewer };
}
