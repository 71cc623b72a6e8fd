// PostgreSQL refuses a B-tree index entry larger than about a third of a page (2,704 bytes). Text
// limits count characters, and a character outside the Basic Multilingual Plane (an emoji, a rare CJK
// ideograph) takes 4 bytes of UTF-8, so an index over two texts can be handed more than one entry
// holds: a customer id of 200 and an event type of 500 such characters are 2,800 bytes. An entry
// that large is compressed first, so repeated text fits; text that does not compress is refused,
// and with it the whole statement that wrote it (every event of a batch, every line of an import batch).

/** Bytes of UTF-8 that the texts of one index entry can hold together and always fit, whatever they are. */
export const INDEX_SAFE_BYTES = 2_600;

/** The UTF-8 size of `text` (0 for none). */
export function utf8Bytes(text: string | null | undefined): number {
  return text == null ? 0 : Buffer.byteLength(text, 'utf8');
}

/** Whether PostgreSQL refused a statement for an index entry larger than a B-tree page allows. */
export function isIndexEntryTooLarge(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 8; depth++) {
    const { code, message, originalError, cause, previous } = current as {
      code?: unknown;
      message?: unknown;
      originalError?: unknown;
      cause?: unknown;
      previous?: unknown;
    };
    // program_limit_exceeded, as "index row size 2832 exceeds btree version 4 maximum 2704".
    if (code === '54000' && typeof message === 'string' && message.includes('index row')) return true;
    current = originalError ?? cause ?? previous;
  }
  return false;
}
