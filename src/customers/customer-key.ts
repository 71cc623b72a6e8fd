// A short name of fixed length for a customer id, where the id itself may not fit: an unsubscribe
// link or a mail subject in an email header, whose lines hold at most 998 characters (RFC 5322)
// while an id of 200 emoji is 800 bytes before any encoding. JavaScript and SQL compute it alike.
import { createHash } from 'node:crypto';

/** Ids longer than this in UTF-8 are named by their key (and, for people, by their beginning) in an email's headers. */
export const MAX_ID_BYTES_IN_HEADERS = 96;

/** What a key looks like: 32 lowercase hex digits. */
export const CUSTOMER_KEY_PATTERN = /^[0-9a-f]{32}$/;

/** The first 128 bits of the SHA-256 of the id's UTF-8 bytes, in hex: no two ids share one in practice. */
export function customerKey(customerId: string): string {
  return createHash('sha256').update(customerId, 'utf8').digest('hex').slice(0, 32);
}

/** SQL for the key of the text column `column`, equal to `customerKey` of its value. */
export function customerKeySql(column: string): string {
  return `left(encode(sha256(convert_to(${column}, 'UTF8')), 'hex'), 32)`;
}

/** Whether the id is too long to be written out whole in an email's headers. */
export function isLongId(customerId: string): boolean {
  return Buffer.byteLength(customerId, 'utf8') > MAX_ID_BYTES_IN_HEADERS;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The beginning of the id in at most `maxBytes` of UTF-8, cut between whole characters as a reader
 * sees them (an accent stays with its letter), so that it is a substring a search of ids finds.
 */
export function idBeginning(customerId: string, maxBytes: number): string {
  let beginning = '';
  let bytes = 0;
  for (const { segment } of graphemes.segment(customerId)) {
    bytes += Buffer.byteLength(segment, 'utf8');
    if (bytes > maxBytes) break;
    beginning += segment;
  }
  return beginning;
}
