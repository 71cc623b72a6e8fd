import { storableText } from '../infra/text-rules';

/** A failure retrying cannot fix (no address to send to, an address deliveries may not reach): the delivery is DEAD at once. */
export class PermanentDeliveryError extends Error {}

/**
 * The receiver answered 410 Gone: its endpoint no longer exists (Standard Webhooks: stop sending to
 * it; Slack: the channel was archived). The delivery is DEAD at once and its destination is paused,
 * unless its URL was changed meanwhile (pauseGoneDestination).
 */
export class EndpointGoneError extends PermanentDeliveryError {}

/**
 * What a delivery answered 410 Gone reads after the receiver's answer, in `lastError`. Nothing about
 * its destination: whether it is paused is decided after the outcome is recorded, and
 * pauseGoneDestination adds what it did.
 */
export const ENDPOINT_GONE_NOTE = 'the receiver says this endpoint is gone: not retried';

/**
 * A refusal for now that says when to try again (HTTP 429 or 503 with Retry-After): the next attempt
 * waits at least `retryAfterMs`, within the longest retry delay configured.
 */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/**
 * `lastError` as a key without the admin scope reads it. A failure's message can name what only an
 * admin may see: the destination's host or the address it resolves to, an email address, or the
 * receiver's own answer (the first 200 characters of an HTTP error's body, an SMTP server's reply).
 * Those parts are replaced by placeholders, an answer by nothing; the kind of failure (`HTTP 503`,
 * `SMTP 550`, `ECONNREFUSED`, a timeout) stays.
 */
export function redactDeliveryError(message: string): string {
  const status = /^(HTTP|SMTP) (\d{3})\b/.exec(message);
  if (status) return `${status[1]} ${status[2]}`;
  return message
    .replace(/^(getaddrinfo [A-Z_]+) \S+/, '$1 <host>')
    .replace(/^\S+( \(this machine\))? resolves to /, '<host> resolves to ')
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>')
    .replace(/[^\s<>@"'(),;:]+@[^\s<>@"'(),;:]+/g, '<address>')
    .replace(/(?<![\w.:])\[?(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\]?(?::\d+)?/gi, '<address>')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<address>')
    .replace(/\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]\.?(?::\d+)?/gi, '<host>');
}

/** The longest `lastError` stored. */
export const MAX_STORED_ERROR_LENGTH = 2000;

/**
 * A failure's message as `lastError` stores it: cut to its first 2,000 characters, and storable
 * whatever the other side answered (a receiver's body may hold a NUL, and the cut of its first 200
 * characters may halve an emoji), so that recording the attempt cannot fail and have it sent again.
 * `note`, what the service adds to the failure (the retry window spent), is kept whole after it.
 */
export function storableDeliveryError(message: string, note = ''): string {
  return storableText(message.slice(0, MAX_STORED_ERROR_LENGTH - note.length) + note);
}
