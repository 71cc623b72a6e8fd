// The address a request comes from, as the failure counts, the per-address socket cap and the audit
// log use it. Directly connected, it is the socket's. Behind a reverse proxy every client would be
// the proxy: with `TRUST_PROXY` listing the proxies, the address is read from X-Forwarded-For, from
// the right (each proxy appends the address it received from), skipping trusted proxies; entries
// left of the first address that is not a trusted proxy were written by the client and are ignored.
// An entry may carry the client's port (`ip:port`, `[ipv6]:port`), which is not part of the address.
// Who counts as local (key-less admin) does not depend on this: a forwarded request never is
// (authenticate.ts).
import type http from 'node:http';
import { BlockList, isIP, isIPv6 } from 'node:net';

/** `::ffff:10.0.0.1` (an IPv4 client of a dual-stack socket) is `10.0.0.1`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * Parses `TRUST_PROXY`'s entries (addresses or CIDR ranges, IPv4 or IPv6) into a BlockList; the
 * first entry that is neither is returned as `invalid`.
 */
export function trustedProxyList(entries: readonly string[]): { list: BlockList; invalid?: string } {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? undefined : Number(prefix);
    const maxBits = family === 4 ? 32 : 128;
    if (family === 0 || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(prefix) && bits <= maxBits))) {
      return { list, invalid: entry };
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, bits, type);
  }
  return { list, invalid: undefined };
}

/**
 * The address an X-Forwarded-For entry names, else null: an address, or one with the client's port,
 * as some proxies append it (Azure's: `203.0.113.5:51234`, `[2001:db8::9]:51234`), or a bracketed
 * IPv6 address without one.
 */
function forwardedAddress(entry: string): string | null {
  if (isIP(entry) !== 0) return unmapped(entry);
  const withPort = /^(?:\[(?<ipv6>[^\]]+)\]|(?<ipv4>[\d.]+))(?::\d{1,5})?$/.exec(entry);
  const { ipv6, ipv4 } = withPort?.groups ?? {};
  if (ipv6 !== undefined && isIPv6(ipv6)) return unmapped(ipv6);
  if (ipv4 !== undefined && isIP(ipv4) === 4) return ipv4;
  return null;
}

export type ClientAddressOf = (request: http.IncomingMessage) => string | null;

/** How to read a request's client address, given the trusted proxies (none: the socket's address). */
export function clientAddressReader(trustedProxies: readonly string[]): ClientAddressOf {
  if (trustedProxies.length === 0) return (request) => (request.socket.remoteAddress ? unmapped(request.socket.remoteAddress) : null);
  const { list } = trustedProxyList(trustedProxies);
  const trusted = (address: string): boolean => list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
  return (request) => {
    const socketAddress = request.socket.remoteAddress;
    if (!socketAddress) return null;
    let address = unmapped(socketAddress);
    const header = request.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((hop) => hop.trim());
    while (trusted(address) && hops.length > 0) {
      const hop = forwardedAddress(hops.pop() as string);
      // A trusted proxy that forwarded something that is no address: the proxy is all we know.
      if (hop === null) break;
      address = hop;
    }
    return address;
  };
}

/**
 * The block of addresses one client holds, as the per-address limits count it: an IPv4 address (an
 * IPv4-mapped IPv6 one too) as it is, an IPv6 address by its /64, which one host or site is given
 * whole, so that cycling through its addresses does not earn a fresh budget with each.
 */
export function addressBlock(address: string): string {
  const bare = address.replace(/%.*$/, '').toLowerCase();
  if (!isIPv6(bare)) return bare;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return mapped[1];
  const [head, tail] = bare.includes('::') ? bare.split('::') : [bare, null];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  // A trailing dotted IPv4 part holds two groups.
  const width = tailGroups.concat(headGroups).some((group) => group.includes('.')) ? 7 : 8;
  const groups =
    tail === null ? headGroups : [...headGroups, ...Array<string>(width - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
