// How many TCP connections the HTTP server holds open: over the instance, and per client address.
// Every connection holds a file descriptor and buffers, whether it carries requests, a WebSocket,
// or nothing at all, and costs its client almost nothing to open: thousands held idle, or sending
// their headers a byte at a time (slowloris), would run the process out of descriptors before any
// timeout (BODY_TIMEOUT_MS) closed them, and shut every other client out. A connection past either
// cap is answered 503 with a GraphQL error at once, without reading its request, and closed.
import { isIP, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { rawHttpRefusal, RETRY_AFTER_SECONDS } from './errors';
import { addressBlock, trustedProxyList } from './client-address';

/** How long a refused connection is kept for its client to read the answer before it is closed. */
const REFUSED_LINGER_MS = 1000;

export interface ConnectionLimits {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Reverse proxies (TRUST_PROXY): their connections carry many clients', and are counted only over the instance. */
  trustedProxies: readonly string[];
}

/** `::ffff:10.0.0.1` (an IPv4 client of a dual-stack socket) is `10.0.0.1`. */
function addressOf(socket: Socket): string {
  const address = socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * Counts `server`'s connections and refuses those past the limits. Returns whether a socket was
 * refused: its request, if one arrives before it closes, must not be served (its answer went).
 */
export function limitConnections(server: Server, limits: ConnectionLimits): (socket: Duplex) => boolean {
  const { list: proxies } = trustedProxyList(limits.trustedProxies);
  const isProxy = (address: string): boolean => {
    const family = isIP(address);
    return family !== 0 && proxies.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
  const perAddress = new Map<string, number>();
  const refused = new WeakSet<Duplex>();
  let open = 0;
  server.on('connection', (socket: Socket) => {
    // A trusted proxy's connections are counted only over the instance; a client's by its address block (an IPv6 /64 whole).
    const counted = !isProxy(addressOf(socket));
    const address = addressBlock(addressOf(socket));
    const fromAddress = counted ? (perAddress.get(address) ?? 0) : 0;
    const over =
      open >= limits.maxConnections
        ? `this server holds as many connections as it may (${limits.maxConnections}): retry later`
        : fromAddress >= limits.maxConnectionsPerAddress
          ? `this address holds as many connections to the server as one address may (${limits.maxConnectionsPerAddress}): close some, or retry later`
          : null;
    if (over) {
      refused.add(socket);
      socket.on('error', () => socket.destroy());
      socket.end(rawHttpRefusal(503, 'SERVICE_UNAVAILABLE', over, { 'retry-after': String(RETRY_AFTER_SECONDS) }));
      setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
      return;
    }
    open += 1;
    if (counted) perAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      open -= 1;
      if (!counted) return;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  });
  return (socket) => refused.has(socket);
}
