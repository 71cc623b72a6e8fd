// Who is calling: an API key, or (only while no key exists) a client on the loopback interface.
// Built once per HTTP request or WebSocket connection by authenticate.ts and carried in the context.
import { ALL_SCOPES, grants, Scope } from './scopes';

export type Principal =
  | { readonly kind: 'key'; readonly keyId: string; readonly name: string; readonly scopes: readonly Scope[] }
  | { readonly kind: 'loopback'; readonly scopes: readonly Scope[] };

/** A loopback client while no API key exists: the local operator of `npm start`, with every scope. */
export const LOOPBACK_PRINCIPAL: Principal = { kind: 'loopback', scopes: ALL_SCOPES };

/** The audit log's name for a principal: the key id, or `loopback`. */
export function actorOf(principal: Principal): string {
  return principal.kind === 'key' ? principal.keyId : 'loopback';
}

export function hasScope(principal: Principal | undefined, required: Scope): boolean {
  return principal !== undefined && grants(principal.scopes, required);
}
