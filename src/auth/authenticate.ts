// Who a request or WebSocket connection comes from. A key is sent as `Authorization: Bearer <key>`
// (HTTP, or the WebSocket upgrade) or as `authorization` in graphql-ws's connection_init payload.
// Without a key, a client is admin only while no key exists at all, and only when it is on this
// machine: its socket is a loopback address, no proxy forwarded it (a local reverse proxy would
// otherwise make the whole internet "loopback"), and its Host header names this machine (so a web
// page that rebinds its own domain to 127.0.0.1 does not count).
import type http from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import type { KeyRegistry } from './key-registry';
import { LOOPBACK_PRINCIPAL, Principal } from './principal';

/**
 * How to create the first key, in both spellings: a source checkout has the npm script, the Docker
 * image the compiled command. An admin key: once any key exists, only an admin key creates or lists
 * keys, so a first key of another scope locks its creator out of key management.
 */
export const HOW_TO_CREATE_A_KEY =
  'npm run keys -- create --name admin --scope admin; in the Docker image: keys create --name admin --scope admin';

/**
 * The refusal of a key that does not verify: wrong, revoked, or not known yet (one just created, by
 * `npm run keys` or on another instance, reaches this one at its next refresh, API_KEY_REFRESH_MS):
 * which of them is not said, but a client holding a new key learns to try again shortly.
 */
export const KEY_REFUSED = 'invalid, revoked or not yet known API key (new keys are picked up within API_KEY_REFRESH_MS)';

export type Authentication =
  | { ok: true; principal: Principal }
  /**
   * `presented`: a key was sent (and is wrong or revoked); `hashedFor`: the id of the existing key
   * whose secret was checked (an scrypt) and did not match.
   */
  | { ok: false; presented: boolean; hashedFor?: string; message: string };

/**
 * Headers a proxy adds to what it forwards: `Via` (which HTTP requires of every proxy), the
 * `X-Forwarded-*` family (any of them: some proxies send only `-Proto` or `-Port`), and the client
 * address headers of load balancers and CDNs. One of them is enough to say a proxy sits between.
 */
const FORWARDING_HEADERS = [
  'forwarded',
  'via',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'x-original-forwarded-for',
  'x-envoy-external-address',
];

function forwardedByProxy(request: http.IncomingMessage): boolean {
  return Object.keys(request.headers).some((name) => name.startsWith('x-forwarded-') || FORWARDING_HEADERS.includes(name));
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const ipv4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return ipv4.startsWith('127.') || address === '::1';
}

/** A Host header: a name or IPv4 address, or a bracketed IPv6 address, then an optional port; nothing else. */
const HOST_HEADER = /^(?:\[(?<ipv6>[0-9a-f:.]+)\]|(?<name>[a-z0-9.-]+))(?::(?<port>\d{1,5}))?$/i;

/** The largest TCP port: a Host header naming a port past it names no port this server listens on. */
const MAX_PORT = 65535;

/**
 * True for the names of this machine a browser or client puts in a Host header (any port):
 * `localhost` and `*.localhost` (which browsers never resolve elsewhere), a literal IPv4 address in
 * 127.0.0.0/8 and `[::1]`. Parsed whole, so `127.evil.com` or `127.0.0.1.nip.io` (a domain an
 * attacker's page can rebind to 127.0.0.1) are not, nor is a port past 65535 (`localhost:99999`),
 * which no client of this server sends.
 */
export function isLoopbackHostName(host: string): boolean {
  const match = HOST_HEADER.exec(host);
  if (!match?.groups) return false;
  const { ipv6, name, port } = match.groups;
  if (port !== undefined && Number(port) > MAX_PORT) return false;
  if (ipv6 !== undefined) return isIPv6(ipv6) && isLoopbackAddress(new URL(`http://[${ipv6}]`).hostname.slice(1, -1));
  const lower = name.toLowerCase().replace(/\.$/, '');
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  return isIPv4(lower) && lower.startsWith('127.');
}

/** Whether the interface a server binds (HOST) is this machine only. */
export function isLoopbackInterface(host: string): boolean {
  return host === 'localhost' || ((isIPv4(host) || isIPv6(host)) && isLoopbackAddress(host));
}

/**
 * Whether the request comes from this machine, directly (see the module comment). A request line in
 * absolute form (`POST http://elsewhere/graphql`) names another host than its Host header, and a
 * request with two Host headers names two hosts: not local.
 */
export function isLocalRequest(request: http.IncomingMessage): boolean {
  if (!isLoopbackAddress(request.socket.remoteAddress)) return false;
  if (forwardedByProxy(request)) return false;
  if (!request.url?.startsWith('/')) return false;
  // Node keeps the first of several Host headers; a proxy in front may have routed by another.
  if ((request.headersDistinct.host?.length ?? 0) > 1) return false;
  return isLoopbackHostName(request.headers.host ?? '');
}

/**
 * The key in an `Authorization` value: `Bearer <key>`, or the bare key (connection_init payloads).
 * `Bearer` with nothing after it carries no key (not the key "Bearer").
 */
export function credentialsFrom(value: unknown): string | undefined {
  if (typeof value !== 'string' || /^\s*(?:Bearer\s*)?$/i.test(value)) return undefined;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1] : value.trim();
}

/** `beforeHashing`: see KeyRegistry.verify (the failed-authentication budget of the address for that key id). */
export async function authenticate(
  keys: KeyRegistry,
  credentials: string | undefined,
  request: http.IncomingMessage,
  beforeHashing?: (keyId: string) => Promise<(() => Promise<void>) | void>,
): Promise<Authentication> {
  if (credentials !== undefined) {
    const verified = await keys.verify(credentials, beforeHashing);
    if (verified.principal) return { ok: true, principal: verified.principal };
    return { ok: false, presented: true, hashedFor: verified.hashed ? verified.keyId : undefined, message: KEY_REFUSED };
  }
  if (!keys.hasKeys && isLocalRequest(request)) return { ok: true, principal: LOOPBACK_PRINCIPAL };
  return {
    ok: false,
    presented: false,
    message:
      `an API key is required: send \`Authorization: Bearer <key>\` (the first key must be an admin key, which creates and lists the others: \`${HOW_TO_CREATE_A_KEY}\`; ` +
      'then keys of `--scope read` to query and `--scope ingest` to send signals)',
  };
}
