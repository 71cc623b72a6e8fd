// Webhook and Slack URLs are set by admins through the API, so without a guard the delivery worker
// would POST wherever they point: the database, Redis, a cloud metadata service, other hosts on the
// private network (server-side request forgery). Unless DELIVERY_ALLOW_PRIVATE_NETWORKS is set, a
// send is refused when the address it would connect to is loopback, private, link-local, or in one
// of the special-purpose ranges listed below (IANA's IPv4 and IPv6 special-purpose address
// registries, the ranges not globally reachable; some of them tunnel to IPv4 addresses). The check runs on the address actually connected to (the request's
// DNS lookup is replaced by one that checks what it resolved), so a name that resolves inward is
// caught at every send, however it resolved before (DNS rebinding); saving a URL checks only what it
// says without a lookup (checkUrlHost).
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
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relays (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
// IPv4-mapped addresses (::ffff:a.b.c.d) need no entry: BlockList matches them against the IPv4 rules.
const IPV6_RANGES: Array<[string, number]> = [
  ['::', 96], // unspecified, loopback, and the deprecated IPv4-compatible form (::a.b.c.d)
  ['::ffff:0:0:0', 96], // IPv4-translated
  ['64:ff9b::', 96], // NAT64: reaches IPv4 addresses, private ones included
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['100:0:0:1::', 64], // dummy prefix
  ['2001::', 32], // Teredo: tunnels to an IPv4 address
  ['2001:2::', 48], // benchmarking (the IPv6 twin of 198.18.0.0/15)
  ['2001:10::', 28], // ORCHID (deprecated)
  ['2001:20::', 28], // ORCHIDv2: identifiers, not routed to a host
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['3fff::', 20], // documentation
  ['5f00::', 16], // segment routing identifiers
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const blocked = new net.BlockList();
for (const [address, prefix] of IPV4_RANGES) blocked.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of IPV6_RANGES) blocked.addSubnet(address, prefix, 'ipv6');

/** An address or host as written in a URL: without IPv6 brackets, and without the root's trailing dot. */
function bare(host: string): string {
  return host.replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/** Whether `address` (an IPv4 or IPv6 literal) is one deliveries may not reach. */
export function isNonPublicAddress(address: string): boolean {
  const literal = bare(address);
  const family = net.isIP(literal);
  if (family === 0) return false;
  return blocked.check(literal, family === 4 ? 'ipv4' : 'ipv6');
}

/** `subject` names the address: "10.0.0.5", or "hooks.internal resolves to 10.0.0.5, which". */
function refusal(subject: string): BlockedAddressError {
  return new BlockedAddressError(
    `${subject} is a loopback, private or reserved address: deliveries there are refused ` +
      '(DELIVERY_ALLOW_PRIVATE_NETWORKS=true allows them)',
  );
}

/**
 * Throws when `url`'s host is itself an address deliveries may not reach (an IP literal, or
 * `localhost`): what can be told without a DNS lookup, so an admin hears of it when saving the URL.
 */
export function checkUrlHost(url: URL): void {
  const host = bare(url.hostname).toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) throw refusal(`${host} (this machine)`);
  if (isNonPublicAddress(host)) throw refusal(host);
}

/**
 * Throws when `url`, text the URL parser refused, names an IPv6 address with a zone
 * (`http://[fe80::1%25eth0]/`, RFC 6874) that deliveries may not reach. WHATWG URLs take no zone,
 * so such a URL can never be sent; but a zone belongs to an address on this machine's own link, and
 * saying so tells an admin more than that the URL is malformed.
 */
export function checkZonedUrlHost(url: string): void {
  const address = zonedUrlAddress(url);
  if (address !== null && isNonPublicAddress(address)) throw refusal(address);
}

/**
 * The IPv6 address of `url`, text the URL parser refused, when it names one with a zone
 * (`http://[fe80::1%25eth0]/`) and the zone is all that is wrong with it (without it, an http or
 * https URL); else null.
 */
export function zonedUrlAddress(url: string): string | null {
  const zoned = /^(https?:\/\/(?:[^@/?#[]*@)?\[)([0-9a-f:.]+)%[^\]/?#]*(\].*)$/is.exec(url.trim());
  if (!zoned || net.isIP(zoned[2]) !== 6 || !URL.canParse(`${zoned[1]}${zoned[2]}${zoned[3]}`)) return null;
  return zoned[2].toLowerCase();
}

/**
 * A DNS lookup for `http.request` that fails with BlockedAddressError when any address the name
 * resolves to may not be reached (one bad address is enough: the connection may pick any of them).
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '');
    const bad = addresses.find((a) => isNonPublicAddress(a.address));
    if (bad) return callback(refusal(`${hostname} resolves to ${bad.address}, which`), '');
    // Node asks for every address when it races IPv4 and IPv6 (autoSelectFamily), else for one.
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};
