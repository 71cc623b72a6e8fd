// The one-click unsubscribe link of a customer-facing email (RFC 8058): a URL that names the account
// and carries an HMAC of its id under UNSUBSCRIBE_SECRET, so that only a link the service wrote can
// opt an account out. It does not expire: opting out is the same request however late it comes.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The path every unsubscribe link starts with. */
export const UNSUBSCRIBE_PATH = '/unsubscribe/';

/** Where links point (the service as the internet reaches it) and the key that signs them. */
export interface UnsubscribeLinks {
  baseUrl: string;
  secret: string;
}

function signature(secret: string, customerId: string): Buffer {
  return createHmac('sha256', secret).update(`healthgraph-unsubscribe\0${customerId}`).digest();
}

/** The account's link: `<baseUrl>/unsubscribe/<base64url id>.<base64url HMAC>`. */
export function unsubscribeUrl(links: UnsubscribeLinks, customerId: string): string {
  const token = `${Buffer.from(customerId).toString('base64url')}.${signature(links.secret, customerId).toString('base64url')}`;
  return `${links.baseUrl.replace(/\/+$/, '')}${UNSUBSCRIBE_PATH}${token}`;
}

/** The account a link's token names, or null unless the service signed it. */
export function verifiedCustomerId(secret: string, token: string): string | null {
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(token);
  if (!match) return null;
  const customerId = Buffer.from(match[1], 'base64url').toString('utf8');
  const given = Buffer.from(match[2], 'base64url');
  const expected = signature(secret, customerId);
  return given.length === expected.length && timingSafeEqual(given, expected) ? customerId : null;
}
