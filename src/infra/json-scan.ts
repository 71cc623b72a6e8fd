// What a JSON text will cost to parse, read from its bytes before JSON.parse sees them: how many
// values it holds and how deep it nests. JSON.parse is synchronous, so a request body or WebSocket
// message of a million nested `[` held the event loop for seconds; and what walks the parsed value
// recursively afterwards (variable coercion, the graphql-ws guard's checks) ran out of stack on a
// few thousand. Fed chunk by chunk, so a body is refused at the chunk that crosses a bound.
import { MAX_JSON_ARGUMENT_DEPTH } from './input';

/**
 * Deepest a GraphQL request (an HTTP body, a WebSocket message) may nest: a JSON argument's own limit,
 * and as much again for what wraps it (the request, its variables, an input object or a list of
 * them, the message). Below it the JSON scalar and GraphQL's coercion draw the line, once parsed.
 */
export const MAX_REQUEST_JSON_DEPTH = 2 * MAX_JSON_ARGUMENT_DEPTH;

/** The refusal of a request nested deeper than MAX_REQUEST_JSON_DEPTH. */
export const REQUEST_JSON_TOO_DEEP = `request JSON nested deeper than ${MAX_REQUEST_JSON_DEPTH} levels`;

/**
 * Members one object of a request may have. V8 keeps an object of many keys as a dictionary, and
 * reading its keys back (JSON.parse building it, Object.values or JSON.stringify over it) grows
 * faster than their number: one variable of a million keys, within the byte and value limits, held
 * the event loop for seconds. Nothing the graph takes comes near (a 8 KB metadata object holds about
 * a thousand); lists are not objects and have their own bounds.
 */
export const MAX_OBJECT_MEMBERS = 10_000;

/** The refusal of a request holding an object wider than MAX_OBJECT_MEMBERS. */
export const REQUEST_JSON_TOO_WIDE = `request JSON holds an object of more than ${MAX_OBJECT_MEMBERS} members`;

const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The values and nesting of a JSON text fed in chunks (UTF-8 bytes: every byte of a multi-byte
 * character is 0x80 or above, so none is read as a bracket or a quote).
 */
export class JsonScan {
  /**
   * Values counted as the bytes that open an array or object or separate two values (`[`, `{`, `,`;
   * inside strings too, so a bound from above).
   */
  values = 0;
  /** Deepest nesting met so far; brackets inside strings are none. */
  deepest = 0;
  /** Most members met in one object so far (its commas + 1: a bound from above for an empty one). */
  widestObject = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /**
   * The members counted so far of each open container up to MAX_REQUEST_JSON_DEPTH deep, −1 for an
   * array (deeper, `tooDeep` refuses the text anyway).
   */
  private readonly members: number[] = [];

  feed(chunk: Buffer | string): this {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      const opens = byte === OPEN_ARRAY || byte === OPEN_OBJECT;
      if (opens || byte === COMMA) this.values++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
      } else if (opens) {
        if (++this.depth > this.deepest) this.deepest = this.depth;
        if (this.depth <= MAX_REQUEST_JSON_DEPTH) this.members[this.depth] = byte === OPEN_OBJECT ? 1 : -1;
      } else if (byte === COMMA) {
        if (this.depth <= MAX_REQUEST_JSON_DEPTH && this.members[this.depth] > 0) {
          const members = ++this.members[this.depth];
          if (members > this.widestObject) this.widestObject = members;
        }
      } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) this.depth--;
      else if (byte === QUOTE) this.inString = true;
    }
    return this;
  }

  /** Whether an object of what was fed so far has more than MAX_OBJECT_MEMBERS members. */
  get tooWide(): boolean {
    return this.widestObject > MAX_OBJECT_MEMBERS;
  }

  /** Whether what was fed so far nests deeper than MAX_REQUEST_JSON_DEPTH. */
  get tooDeep(): boolean {
    return this.deepest > MAX_REQUEST_JSON_DEPTH;
  }
}
