// NDJSON as numbered lines, read from a byte stream in bounded memory: a line longer than the limit
// is not buffered (its bytes are skipped up to the next newline) and is reported as too long, so
// no input, however it is shaped, can make the reader hold more than one line of `maxLineBytes`
// (and the lines of one chunk of the stream).
import { isUtf8 } from 'node:buffer';

export interface NdjsonLine {
  /** 1-based line number in the input. */
  number: number;
  /** The line's text without its line break; null when it cannot be read (see `unreadable`). */
  text: string | null;
  /** Why the line has no text: longer than the limit, or not UTF-8 (decoding would replace bytes). */
  unreadable?: 'too long' | 'not UTF-8';
}

/**
 * The lines of `source` that are not blank, in order, as the lines each chunk of the stream
 * completes (a trailing `\r` is dropped: CRLF files work; so is a byte order mark opening the input). A chunk's lines come as one array: an
 * import reads them by the million, and one asynchronous step per line would cost more than
 * parsing it.
 */
export async function* ndjsonLineChunks(source: AsyncIterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<NdjsonLine[]> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overlong = false;
  let number = 0;
  const finish = (tail: Buffer, into: NdjsonLine[]): void => {
    number++;
    const tooLong = overlong || pendingBytes + tail.length > maxLineBytes;
    const bytes = tooLong ? Buffer.alloc(0) : pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    overlong = false;
    if (tooLong) {
      into.push({ number, text: null, unreadable: 'too long' });
      return;
    }
    if (!isUtf8(bytes)) {
      into.push({ number, text: null, unreadable: 'not UTF-8' });
      return;
    }
    let text = bytes.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    // A byte order mark some editors and exports put at the start of a UTF-8 file is not part of the first line.
    if (number === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
    if (text.trim() !== '') into.push({ number, text });
  };
  for await (const chunk of source) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const lines: NdjsonLine[] = [];
    let from = 0;
    for (let at = buffer.indexOf(10, from); at !== -1; at = buffer.indexOf(10, from)) {
      finish(buffer.subarray(from, at), lines);
      from = at + 1;
    }
    const rest = buffer.subarray(from);
    if (overlong || pendingBytes + rest.length > maxLineBytes) {
      overlong = true;
    } else if (rest.length > 0) {
      // Copied: the caller's chunk may be reused once we return to it.
      pending.push(Buffer.from(rest));
      pendingBytes += rest.length;
    }
    if (lines.length > 0) yield lines;
  }
  if (pendingBytes > 0 || overlong) {
    const lines: NdjsonLine[] = [];
    finish(Buffer.alloc(0), lines);
    if (lines.length > 0) yield lines;
  }
}

/** The lines of `source` that are not blank, one at a time (see ndjsonLineChunks). */
export async function* ndjsonLines(source: AsyncIterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<NdjsonLine> {
  for await (const lines of ndjsonLineChunks(source, maxLineBytes)) yield* lines;
}
