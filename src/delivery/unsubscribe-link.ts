// The one-click unsubscribe link of a customer-facing email (RFC 8058): a URL that names the account
// and carries an HMAC under UNSUBSCRIBE_SECRET, so that only a link the service wrote can opt an
// account out. It does not expire: opting out is the same request however late it comes.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { customerKey, isLongId } from '../customers/customer-key';

/** The path every unsubscribe link starts with. */
export const UNSUBSCRIBE_PATH = '/unsubscribe/';

/** Where links point (the service as the internet reaches it) and the key that signs them. */
export interface UnsubscribeLinks {
  baseUrl: string;
  secret: string;
}

/** What a signed link names: the account's id, or (for a long id) its key, which the caller looks up. */
export type UnsubscribeTarget = { customerId: string } | { customerKey: string };

// Two labels, so that neither form's signature is valid for the other.
function signature(secret: string, customerId: string): Buffer {
  return createHmac('sha256', secret).update(`healthgraph-unsubscribe\0${customerId}`).digest();
}

function keySignature(secret: string, key: string): Buffer {
  return createHmac('sha256', secret).update(`healthgraph-unsubscribe-key\0${key}`).digest();
}

/**
 * The account's link: `<baseUrl>/unsubscribe/<base64url id>.<base64url HMAC>`, or for an id too long
 * for a header line (see customer-key) `<baseUrl>/unsubscribe/k.<its key>.<base64url HMAC of the key>`.
 */
export function unsubscribeUrl(links: UnsubscribeLinks, customerId: string): string {
  return `${links.baseUrl.replace(/\/+$/, '')}${UNSUBSCRIBE_PATH}${linkToken(links.secret, customerId)}`;
}

function linkToken(secret: string, customerId: string): string {
  if (!isLongId(customerId))
    return `${Buffer.from(customerId).toString('base64url')}.${signature(secret, customerId).toString('base64url')}`;
  const key = customerKey(customerId);
  return `k.${key}.${keySignature(secret, key).toString('base64url')}`;
}

function signedBy(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** What a link's token names, or null unless the service signed it. Either form verifies, whatever the id's length. */
export function verifiedTarget(secret: string, token: string): UnsubscribeTarget | null {
  const keyed = /^k\.([0-9a-f]{32})\.([A-Za-z0-9_-]+)$/.exec(token);
  if (keyed) return signedBy(Buffer.from(keyed[2], 'base64url'), keySignature(secret, keyed[1])) ? { customerKey: keyed[1] } : null;
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(token);
  if (!match) return null;
  const customerId = Buffer.from(match[1], 'base64url').toString('utf8');
  return signedBy(Buffer.from(match[2], 'base64url'), signature(secret, customerId)) ? { customerId } : null;
}
