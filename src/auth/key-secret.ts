// The API key itself: `hg_<id>_<secret>`. The id is public (listed, logged, named in the audit log)
// and lets the server find the key without hashing anything; the secret is 256 random bits, shown
// once and stored only as an scrypt hash with its own salt and parameters.
import { randomBytes, scrypt as scryptCallback, ScryptOptions, timingSafeEqual } from 'node:crypto';

/** 32 letters and digits without look-alikes (0/o, 1/l): a byte masked to 5 bits picks one without bias. */
const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const ID_LENGTH = 10;
const SECRET_BYTES = 32;
const TOKEN = /^hg_([a-z2-9]{10})_([A-Za-z0-9_-]{43})$/;

/** scrypt cost parameters of new hashes; a stored hash keeps the ones it was made with. */
const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32 };

function scrypt(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // The asynchronous form runs on libuv's thread pool, not on the event loop.
    scryptCallback(secret, salt, keyLength, { ...options, maxmem: 128 * options.N! * options.r! * 2 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export function newKeyId(): string {
  return Array.from(randomBytes(ID_LENGTH), (byte) => ID_ALPHABET[byte & 31]).join('');
}

export function newSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

export function formatToken(keyId: string, secret: string): string {
  return `hg_${keyId}_${secret}`;
}

/** Whether `text` is shaped as a key id (what may be repeated in an answer: anything else may be a pasted secret). */
export function isKeyId(text: string): boolean {
  return /^[a-z0-9]{10}$/.test(text);
}

/** The id and secret of a well-formed key; null for anything else. */
export function parseToken(token: string): { keyId: string; secret: string } | null {
  const match = TOKEN.exec(token);
  return match ? { keyId: match[1], secret: match[2] } : null;
}

/** `scrypt$N$r$p$<salt>$<hash>` (base64url). */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, SCRYPT.keyLength, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Whether `secret` matches a stored hash; the comparison takes the same time wherever they differ. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [algorithm, N, r, p, salt, hash] = stored.split('$');
  if (algorithm !== 'scrypt' || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(secret, Buffer.from(salt, 'base64url'), expected.length, { N: Number(N), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}
