// The limits every argument is held to, in one place: text (no NUL, bounded length), JSON values
// (bounded depth and size) and instants (from 1970; not in the future when the field says something
// happened). Services pass each input through these before anything is written, so a refusal is a
// BAD_USER_INPUT that wrote nothing, never a database error.
import { InvalidInputError } from './errors';
import { breaksALabel, hasLoneSurrogate, hasNul, showsNothing } from './text-rules';

/** Ids: customer ids, external ids. */
export const MAX_ID_LENGTH = 200;
/** Short labels: names, event types, features, user ids, idempotency keys (indexed columns among them). */
export const MAX_LABEL_LENGTH = 500;
/** The longest free text any argument takes (an NPS comment). Also the bound of every string no field names. */
export const MAX_TEXT_LENGTH = 10_000;

/** JSON attributes (event metadata): nesting levels and UTF-8 size of their JSON text. */
export const MAX_JSON_DEPTH = 10;
export const MAX_JSON_BYTES = 8 * 1024;
/**
 * How deep any JSON argument may nest (a scoring model nests about six levels): far below what
 * would exhaust the stack of the code that walks a value (argument conversion, validation), which
 * would otherwise end in an internal error.
 */
export const MAX_JSON_ARGUMENT_DEPTH = 64;
/** The refusal of a JSON argument past MAX_JSON_ARGUMENT_DEPTH, wherever it is met. */
export const JSON_ARGUMENT_TOO_DEEP = `JSON value nested deeper than ${MAX_JSON_ARGUMENT_DEPTH} levels`;

export const EARLIEST_INSTANT = new Date('1970-01-01T00:00:00.000Z');
const DAY_MS = 86_400_000;
/** A fact reported as past may carry a clock or time zone ahead of ours by up to this much. */
export const PAST_INSTANT_SLACK_MS = DAY_MS;

/** Unicode code points in `value` (as PostgreSQL's `char_length` counts them), without an array of them. */
export function characterCount(value: string): number {
  let pairs = 0;
  for (let i = 0; i + 1 < value.length; i++) {
    const unit = value.charCodeAt(i);
    const next = value.charCodeAt(i + 1);
    // A high surrogate followed by a low one is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      pairs++;
      i++;
    }
  }
  return value.length - pairs;
}

/**
 * Whether `value` holds more than `max` characters (Unicode code points): an emoji outside the Basic
 * Multilingual Plane is one character, not the two UTF-16 units of JavaScript's `length`. Counted
 * only when the units alone do not decide.
 */
export function longerThan(value: string, max: number): boolean {
  if (value.length <= max) return false;
  return value.length > 2 * max || characterCount(value) > max;
}

/** Throws BAD_USER_INPUT unless `value` is valid Unicode without NUL and at most `max` characters long. */
export function checkTextValue(value: string, argument: string, max: number): void {
  if (longerThan(value, max)) throw new InvalidInputError(`${argument} is longer than ${max} characters`, { argument, max });
  if (hasNul(value)) throw new InvalidInputError(`${argument} must not contain NUL characters`, { argument });
  if (hasLoneSurrogate(value)) throw new InvalidInputError(`${argument} is not valid Unicode (a lone surrogate)`, { argument });
}

/** Optional text as stored: checked, trimmed, and null when absent or blank. */
export function optionalText(value: string | null | undefined, argument: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  checkTextValue(trimmed, argument, max);
  return trimmed.length > 0 ? trimmed : null;
}

/** Text that must be given and not blank: checked and trimmed. */
export function requiredText(value: string | null | undefined, argument: string, max: number): string {
  const text = optionalText(value, argument, max);
  if (text === null) throw new InvalidInputError(`${argument} must not be empty`, { argument });
  return text;
}

/** Throws BAD_USER_INPUT unless `value` is text (checkTextValue) of one line without bidirectional overrides. */
function checkLabelValue(value: string, argument: string, max: number): void {
  checkTextValue(value, argument, max);
  if (breaksALabel(value))
    throw new InvalidInputError(
      `${argument} must be one line of text: no control characters (tab, newline, escape…) or bidirectional overrides`,
      { argument },
    );
}

/**
 * A label as it is stored, trimmed, and null when absent or blank (showing nothing: a zero-width
 * space, as labels are judged when stored). As such it is every list's filter on a stored label
 * (csmOwner, plan, eventType, a tier, a playbook, the audit log's action): `" kate "` finds kate's
 * accounts, and a blank one is no filter, as a blank label is stored as none and an emptied form
 * field means "everyone" (an empty parameter of the CSV exports too). A filter is not checked as a
 * label: one no label could be matches nothing, and the limits of every string argument hold it.
 */
export function labelFilter(value: string | null | undefined): string | null {
  const trimmed = value?.trim() ?? '';
  return showsNothing(trimmed) ? null : trimmed;
}

/** An optional one-line label to store: checked, then as labelFilter reads it (trimmed, null when absent or showing nothing). */
export function optionalLabel(value: string | null | undefined, argument: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  checkLabelValue(value.trim(), argument, max);
  return labelFilter(value);
}

/** A one-line label that must be given and show something: checked and trimmed. */
export function requiredLabel(value: string | null | undefined, argument: string, max: number): string {
  const label = optionalLabel(value, argument, max);
  if (label === null) throw new InvalidInputError(`${argument} must not be empty`, { argument });
  return label;
}

/**
 * The catch-all behind the per-field checks: every string anywhere in an argument object (nested
 * inputs and lists included) is free of NUL and at most MAX_TEXT_LENGTH long. Keys in `opaque` hold
 * JSON values, checked by `checkJsonObject` instead. A field added later is covered without a line
 * of its own. A refusal names the field by its path under `argument`: services pass '' for an input
 * object, so that a NUL in `name` is refused as `name`, as the field's own checks name it. Called
 * after the fields' own checks, so that a field with a limit of its own is refused naming that limit
 * (a name of 10,001 characters as longer than 500, not 10,000).
 */
export function checkStrings(value: unknown, argument: string, opaque: readonly string[] = []): void {
  visitStrings(value, argument, 0, opaque);
}

/** Ingestion calls this for every event of a batch: a field's path is built only when it is refused. */
function visitStrings(node: unknown, path: string, depth: number, opaque: readonly string[]): void {
  if (typeof node === 'string') {
    checkTextValue(node, path, MAX_TEXT_LENGTH);
    return;
  }
  // Input objects are shallow; deeper nesting can only be a JSON value, checked on its own.
  if (node === null || typeof node !== 'object' || node instanceof Date || depth > MAX_JSON_DEPTH) return;
  if (Array.isArray(node)) {
    for (let index = 0; index < node.length; index++) visitStrings(node[index], `${path}[${index}]`, depth + 1, opaque);
    return;
  }
  for (const key of Object.keys(node)) {
    if (opaque.includes(key)) continue;
    const child = (node as Record<string, unknown>)[key];
    if (typeof child === 'string') {
      if (child.length <= MAX_TEXT_LENGTH && !hasNul(child) && !hasLoneSurrogate(child)) continue;
    } else if (child === null || typeof child !== 'object') {
      continue;
    }
    visitStrings(child, path ? `${path}.${key}` : key, depth + 1, opaque);
  }
}

/**
 * A JSON object of free-form attributes: at most MAX_JSON_DEPTH levels, MAX_JSON_BYTES of JSON,
 * no NUL in keys or strings (jsonb cannot store one). Depth is checked first, without recursion
 * past the limit, so a value nested thousands deep costs no more than one at the limit.
 */
export function checkJsonObject(value: unknown, argument: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`${argument} must be a JSON object`, { argument });
  }
  // An upper bound of the JSON size, from the walk: six bytes per character (a `\uXXXX` escape) and
  // room for quotes, separators and numbers. Most metadata is far below the limit by this bound
  // alone; only when it is not is the JSON text produced and measured.
  let bound = 0;
  const nodes: unknown[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop();
    const depth = depths.pop()!;
    if (typeof node === 'string') {
      checkTextValue(node, argument, MAX_JSON_BYTES);
      bound += 6 * node.length + 3;
      continue;
    }
    if (typeof node === 'number' && !Number.isFinite(node)) {
      // JSON.parse reads 1e400 as Infinity, which JSON (and jsonb) cannot hold: it would be stored as null.
      throw new InvalidInputError(`${argument} holds a number too large to store (beyond ±1.8e308)`, { argument });
    }
    if (typeof node === 'number' && Number.isInteger(node) && !Number.isSafeInteger(node)) {
      // Read rounded already (12345678901234567890 is 12345678901234567000): stored, another system's
      // 64-bit id would come back as another id without a word.
      throw new InvalidInputError(
        `${argument} holds an integer beyond ±(2^53 − 1), which a JSON number cannot keep exactly: send it as a string`,
        {
          argument,
        },
      );
    }
    if (node === null || typeof node !== 'object') {
      bound += 25;
      continue;
    }
    if (depth > MAX_JSON_DEPTH)
      throw new InvalidInputError(`${argument} is nested deeper than ${MAX_JSON_DEPTH} levels`, { argument, max: MAX_JSON_DEPTH });
    bound += 2;
    for (const key of Object.keys(node)) {
      checkTextValue(key, argument, MAX_JSON_BYTES);
      bound += 6 * key.length + 4;
      nodes.push((node as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
  if (bound > MAX_JSON_BYTES && Buffer.byteLength(JSON.stringify(value)) > MAX_JSON_BYTES) {
    throw new InvalidInputError(`${argument} is larger than ${MAX_JSON_BYTES} bytes of JSON`, { argument, max: MAX_JSON_BYTES });
  }
  return value as Record<string, unknown>;
}

/** Whether `value` nests deeper than `max` levels of objects and arrays (walked without recursion). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, depth] = next;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}

function isValidDate(value: unknown): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

/** A client's clock a little ahead of ours does not make its `now` the future (`asOf`, a backtest's `to`). */
export const CLOCK_SLACK_MS = 60_000;

/** An instant from 1970-01-01 up to `latest`; BAD_USER_INPUT otherwise. */
export function instantBetween(value: Date, argument: string, latest: Date): Date {
  if (!isValidDate(value)) throw new InvalidInputError(`${argument} is not a valid date-time`, { argument });
  if (value.getTime() < EARLIEST_INSTANT.getTime() || value.getTime() > latest.getTime()) {
    throw new InvalidInputError(`${argument} must be between ${EARLIEST_INSTANT.toISOString()} and ${latest.toISOString()}`, { argument });
  }
  return value;
}

/** When something happened (an event, an answer, a payment): from 1970 up to a day after now. */
export function pastInstant(value: Date, argument: string, now = new Date()): Date {
  return instantBetween(value, argument, new Date(now.getTime() + PAST_INSTANT_SLACK_MS));
}

/**
 * SQL: what happened at `column` (an instant pastInstant took, which may be up to a day ahead: a
 * clock ahead of ours) has happened by now. A summary or a feed counts it once its date has come, as
 * scoring does, not before it happened.
 */
export function happenedByNow(column: string): string {
  return `${column} <= now()`;
}

/**
 * The latest bound a time filter passes on to SQL. A DateTime's offset lets a date of 9999 name an
 * instant of year 10000, which Date.toISOString() writes `+010000-…`, a form PostgreSQL does not read.
 * Every instant stored is bounded near now (pastInstant, an invoice's dueAt), so a later bound selects
 * the same rows as this one: everything before it, nothing from it on.
 */
export const LATEST_FILTER_BOUND = new Date('9999-12-31T23:59:59.999Z');

/**
 * A bound of a time filter: any instant from 1970 on (absent is no bound), as SQL is to be given it:
 * one past LATEST_FILTER_BOUND is that bound. Callers bind what this returns, not what they were sent.
 */
export function filterInstant(value: Date | null | undefined, argument: string): Date | null {
  if (value === undefined || value === null) return null;
  if (!isValidDate(value)) throw new InvalidInputError(`${argument} is not a valid date-time`, { argument });
  // No upper limit to name: any later instant is taken, as the latest bound.
  if (value.getTime() < EARLIEST_INSTANT.getTime())
    throw new InvalidInputError(`${argument} must be ${EARLIEST_INSTANT.toISOString()} or later`, { argument });
  return value.getTime() > LATEST_FILTER_BOUND.getTime() ? LATEST_FILTER_BOUND : value;
}

/** Longest email address SMTP carries (RFC 5321: 64 + @ + 255). */
export const MAX_EMAIL_LENGTH = 320;
/** Longest local part (before the @) of an address, in bytes of UTF-8 (RFC 5321, section 4.5.3.1.1; RFC 6531 counts octets too). */
export const MAX_EMAIL_LOCAL_PART_BYTES = 64;

/** Format characters (zero-width spaces and joiners, soft hyphens) and others Unicode draws as nothing. */
const INVISIBLE_IN_AN_ADDRESS = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

/**
 * A label of a host name (RFC 1123, letters of any script for an internationalised one): letters,
 * digits and inner hyphens, at most 63 characters. `p5_b1.example` is no host a mail server finds,
 * and the message would only fail at its first send.
 */
const HOST_LABEL = /^[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]{0,61}[\p{L}\p{M}\p{N}])?$/u;

/**
 * The last label of a host name is a top-level domain, never all digits (RFC 3696, section 2): a
 * domain such as `1.2.3.4` is an IP address written without its brackets, which no mail server
 * delivers to as a host name.
 */
const NUMERIC_LABEL = /^\p{N}+$/u;

/**
 * An address as one mailbox `local@domain.tld`: no display name, no list, no spaces or angle
 * brackets, and a domain that is a host name.
 */
export function checkEmailAddress(value: string, argument: string): string {
  const trimmed = value.trim();
  checkTextValue(trimmed, argument, MAX_EMAIL_LENGTH);
  const at = trimmed.lastIndexOf('@');
  if (
    // A control character, a direction override or an invisible one is no part of a mailbox a mail
    // server takes, and would show the address as another in the lists that print it.
    breaksALabel(trimmed) ||
    INVISIBLE_IN_AN_ADDRESS.test(trimmed) ||
    !/^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+\.[^\s@<>,;:"()[\]\\.]+$/.test(trimmed) ||
    // No empty part between dots (`kate@example..com`, `.kate@`, `kate.@`): no mail server takes one.
    trimmed.slice(0, at).split('.').includes('') ||
    !trimmed
      .slice(at + 1)
      .split('.')
      .every((label) => HOST_LABEL.test(label)) ||
    NUMERIC_LABEL.test(trimmed.slice(trimmed.lastIndexOf('.') + 1))
  ) {
    throw new InvalidInputError(`${argument} must be one email address like kate@example.com`, { argument });
  }
  // The most RFC 5321 lets a mail server take: a longer one may be refused, and would fail only at its first send.
  if (Buffer.byteLength(trimmed.slice(0, at)) > MAX_EMAIL_LOCAL_PART_BYTES) {
    throw new InvalidInputError(
      `${argument}: the part before the @ is longer than ${MAX_EMAIL_LOCAL_PART_BYTES} bytes, the most an email address may have (RFC 5321)`,
      { argument, max: MAX_EMAIL_LOCAL_PART_BYTES },
    );
  }
  return trimmed;
}

/** Longest display name of an email's sender. */
const MAX_SENDER_NAME_LENGTH = 200;

/** An email's sender: its address, and the name mail programs show for it. */
export interface EmailSender {
  name: string | null;
  address: string;
}

/**
 * An email's sender as stored: one address (`alerts@example.com`), or a display name before it in
 * angle brackets (`healthgraph alerts <alerts@example.com>`; double quotes around the name are taken
 * off). The name is one line (no CR or LF could add a header), without `<`, `>`, `"` or `\`: it is
 * stored bare and quoted or encoded as the header needs when a message is written. A name showing
 * nothing leaves the address alone.
 */
export function checkEmailSender(value: string, argument: string): string {
  const checkAddress = (address: string) => {
    try {
      return checkEmailAddress(address, argument);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      throw new InvalidInputError(
        `${argument} must be one email address like alerts@example.com (at most ${MAX_EMAIL_LENGTH} characters), ` +
          'or a name and one: healthgraph alerts <alerts@example.com>',
        { argument },
      );
    }
  };
  const named = /^([^<>]*)<([^<>]*)>$/.exec(value.trim());
  if (!named) return checkAddress(value);
  const quoted = /^"([^"]*)"$/.exec(named[1].trim());
  const name = (quoted ? quoted[1] : named[1]).trim();
  checkLabelValue(name, argument, MAX_SENDER_NAME_LENGTH);
  if (/["\\]/.test(name)) {
    throw new InvalidInputError(`${argument}: the name before <address> may not hold a double quote or a backslash`, { argument });
  }
  const address = checkAddress(named[2]);
  return showsNothing(name) ? address : `${name} <${address}>`;
}

/** A sender as checkEmailSender stores it, in its two parts. */
export function splitEmailSender(sender: string): EmailSender {
  const named = /^(.*) <([^<>]*)>$/.exec(sender);
  return named ? { name: named[1], address: named[2] } : { name: null, address: sender };
}

/** An optional sender: null when blank, undefined when absent, else as checkEmailSender stores it. */
export function optionalEmailSender<T extends string | null | undefined>(value: T, argument: string): string | Exclude<T, string> | null {
  if (value === undefined) return undefined as Exclude<T, string>;
  if (value === null || value.trim() === '') return null;
  return checkEmailSender(value, argument);
}

/**
 * An optional address: null when blank (clears it), undefined when absent (leaves it), else checked
 * and trimmed as by {@link checkEmailAddress}.
 */
export function optionalEmailAddress<T extends string | null | undefined>(value: T, argument: string): string | Exclude<T, string> | null {
  if (value === undefined) return undefined as Exclude<T, string>;
  if (value === null || value.trim() === '') return null;
  return checkEmailAddress(value, argument);
}
