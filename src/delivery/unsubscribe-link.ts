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
  if (!isLongId(customerId)) return idToken(secret, customerId);
  const key = customerKey(customerId);
  return `k.${key}.${keySignature(secret, key).toString('base64url')}`;
}

/** The token of the form naming the id itself (every link of a short id, and long ids' links before keys). */
function idToken(secret: string, customerId: string): string {
  return `${Buffer.from(customerId).toString('base64url')}.${signature(secret, customerId).toString('base64url')}`;
}

/**
 * Whether `given` is the text the service wrote. Compared as text, not as decoded bytes: base64url
 * leaves the low bits of a last character unused, so several spellings decode to the same bytes, and
 * a link altered there would pass.
 */
function sameText(given: string, expected: string): boolean {
  const [a, b] = [Buffer.from(given), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What a link's token names, or null unless the service signed it. Either form verifies, whatever the id's length. */
export function verifiedTarget(secret: string, token: string): UnsubscribeTarget | null {
  const keyed = /^k\.([0-9a-f]{32})\.([A-Za-z0-9_-]+)$/.exec(token);
  if (keyed) return sameText(keyed[2], keySignature(secret, keyed[1]).toString('base64url')) ? { customerKey: keyed[1] } : null;
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(token);
  if (!match) return null;
  const customerId = Buffer.from(match[1], 'base64url').toString('utf8');
  return sameText(token, idToken(secret, customerId)) ? { customerId } : null;
}
