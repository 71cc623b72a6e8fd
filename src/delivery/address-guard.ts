// Webhook and Slack URLs are set by admins through the API, so without a guard the delivery worker
// would POST wherever they point: the database, Redis, a cloud metadata service, other hosts on the
// private network (server-side request forgery). Unless DELIVERY_ALLOW_PRIVATE_NETWORKS is set, a
// send is refused when the address it would connect to is loopback, private, link-local or otherwise
// not a public unicast address. The check runs on the address actually connected to (the request's
// DNS lookup is replaced by one that checks what it resolved), so a name that resolves differently
// at send time than when the URL was saved (DNS rebinding) is caught too.
import dns from 'node:dns';
import net from 'node:net';
import type { LookupFunction } from 'node:net';
import { PermanentDeliveryError } from './delivery-errors';

/** A URL whose address deliveries may not reach: retrying cannot fix it. */
export class BlockedAddressError extends PermanentDeliveryError {}

const IPV4_RANGES: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const IPV6_RANGES: Array<[string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b::', 96], // NAT64 (reaches IPv4 addresses, private ones included)
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
];

const blocked = new net.BlockList();
for (const [address, prefix] of IPV4_RANGES) blocked.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of IPV6_RANGES) blocked.addSubnet(address, prefix, 'ipv6');

/** Whether `address` (an IPv4 or IPv6 literal) is one deliveries may not reach. */
export function isNonPublicAddress(address: string): boolean {
  const literal = address.replace(/^\[|\]$/g, '');
  // An IPv4-mapped IPv6 address reaches the IPv4 address it embeds.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(literal);
  if (mapped) return blocked.check(mapped[1], 'ipv4');
  const family = net.isIP(literal);
  if (family === 0) return false;
  return blocked.check(literal, family === 4 ? 'ipv4' : 'ipv6');
}

function refusal(host: string, address: string): BlockedAddressError {
  return new BlockedAddressError(
    `${host} resolves to ${address}, a loopback, private or reserved address: deliveries there are refused ` +
      '(DELIVERY_ALLOW_PRIVATE_NETWORKS=true allows them)',
  );
}

/**
 * Throws when `url`'s host is itself an address deliveries may not reach (an IP literal, or
 * `localhost`): what can be told without a DNS lookup, so an admin hears of it when saving the URL.
 */
export function checkUrlHost(url: URL): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host.toLowerCase() === 'localhost' || host.toLowerCase().endsWith('.localhost')) throw refusal(host, 'loopback');
  if (isNonPublicAddress(host)) throw refusal(host, host);
}

/**
 * A DNS lookup for `http.request` that fails with BlockedAddressError when any address the name
 * resolves to may not be reached (one bad address is enough: the connection may pick any of them).
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '');
    const bad = addresses.find((a) => isNonPublicAddress(a.address));
    if (bad) return callback(refusal(hostname, bad.address), '');
    // Node asks for every address when it races IPv4 and IPv6 (autoSelectFamily), else for one.
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};
