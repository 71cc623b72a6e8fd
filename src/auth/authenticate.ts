// Who a request or WebSocket connection comes from. A key is sent as `Authorization: Bearer <key>`
// (HTTP, or the WebSocket upgrade) or as `authorization` in graphql-ws's connection_init payload.
// Without a key, a client is admin only while no key exists at all, and only when it is on this
// machine: its socket is a loopback address, no proxy forwarded it (a local reverse proxy would
// otherwise make the whole internet "loopback"), and its Host header names this machine (so a web
// page that rebinds its own domain to 127.0.0.1 does not count).
import type http from 'node:http';
import type { KeyRegistry } from './key-registry';
import { LOOPBACK_PRINCIPAL, Principal } from './principal';

export type Authentication =
  | { ok: true; principal: Principal }
  /** `presented`: a key was sent (and is wrong or revoked); `hashed`: checking it took an scrypt. */
  | { ok: false; presented: boolean; hashed: boolean; message: string };

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'];

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const ipv4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return ipv4.startsWith('127.') || address === '::1';
}

/** True for the names of this machine a browser or client puts in a Host header (any port). */
export function isLoopbackHostName(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name.endsWith('.localhost') || isLoopbackAddress(name);
}

/** Whether the request comes from this machine, directly (see the module comment). */
export function isLocalRequest(request: http.IncomingMessage): boolean {
  if (!isLoopbackAddress(request.socket.remoteAddress)) return false;
  if (FORWARDING_HEADERS.some((name) => request.headers[name] !== undefined)) return false;
  return isLoopbackHostName(request.headers.host ?? '');
}

/** The key in an `Authorization` value: `Bearer <key>`, or the bare key (connection_init payloads). */
export function credentialsFrom(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1] : value.trim();
}

/** `beforeHashing`: see KeyRegistry.verify (the failed-authentication budget of the address). */
export async function authenticate(
  keys: KeyRegistry,
  credentials: string | undefined,
  request: http.IncomingMessage,
  beforeHashing?: () => Promise<void>,
): Promise<Authentication> {
  if (credentials !== undefined) {
    const verified = await keys.verify(credentials, beforeHashing);
    if (verified.principal) return { ok: true, principal: verified.principal };
    return { ok: false, presented: true, hashed: verified.hashed, message: 'invalid or revoked API key' };
  }
  if (!keys.hasKeys && isLocalRequest(request)) return { ok: true, principal: LOOPBACK_PRINCIPAL };
  return {
    ok: false,
    presented: false,
    hashed: false,
    message: 'an API key is required: send `Authorization: Bearer <key>` (create one with `npm run keys -- create`)',
  };
}
