// Creating, listing and revoking API keys. Creation and revocation write their audit entry in the
// same transaction, whoever calls them (the GraphQL mutations or `npm run keys`).
import { ensure, InvalidInputError, NotFoundError } from '../infra/errors';
import { MAX_LABEL_LENGTH, requiredText, requiredLabel } from '../infra/input';
import { ConnectionResult, keysetPage, SortKey } from '../infra/pagination';
import { Db, inTransaction, query, queryOne } from '../infra/sql';
import type { ApiKey, CreatedApiKey } from './api-key.types';
import { recordAudit } from './audit-log.service';
import { formatToken, hashSecret, isKeyId, newKeyId, newSecret } from './key-secret';
import { parseScopes, Scope } from './scopes';

const API_KEY_FIELDS = `k.id, 'hg_' || k.id as prefix, k.name, k.scopes, k.created_at as "createdAt", k.created_by as "createdBy",
  k.last_used_at as "lastUsedAt", k.revoked_at as "revokedAt"`;

const UNIQUE_VIOLATION = '23505';

/** Who performs a key operation, for the audit log. */
export interface KeyActor {
  actor: string;
  clientAddress: string | null;
}

/** Stores a new key and returns it with its secret, which is never readable again. */
export async function createApiKey(db: Db, input: { name: string; scopes: readonly string[] }, by: KeyActor): Promise<CreatedApiKey> {
  // A label: names are printed by `npm run keys -- list` in a terminal, so no escape sequence or forged line.
  const name = requiredLabel(input.name, 'name', MAX_LABEL_LENGTH);
  let scopes: Scope[];
  try {
    scopes = parseScopes(input.scopes);
  } catch (error) {
    throw new InvalidInputError((error as Error).message, { argument: 'scopes' });
  }
  const secret = newSecret();
  const secretHash = await hashSecret(secret);
  // The id is random: a collision is astronomically unlikely, but it costs one retry to be sure.
  for (let attempt = 0; ; attempt++) {
    const keyId = newKeyId();
    try {
      const apiKey = await inTransaction(db, async (tx) => {
        const row = await queryOne<ApiKey>(
          tx,
          `insert into api_key as k (id, name, scopes, secret_hash, created_by) values (?, ?, ?::text[], ?, ?) returning ${API_KEY_FIELDS}`,
          [keyId, name, `{${scopes.join(',')}}`, secretHash, by.actor],
        );
        await recordAudit(tx, { ...by, action: 'apiKey.create', target: keyId, details: { name, scopes } });
        return row as ApiKey;
      });
      return { apiKey, key: formatToken(keyId, secret) };
    } catch (error) {
      if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION || attempt > 0) throw error;
    }
  }
}

/**
 * Revokes a key by its id, its `hg_<id>` prefix or the whole key (what an operator holding a leaked
 * one has); revoking a revoked key changes nothing. Only the id is kept: an id has no underscore, so
 * whatever follows one is the secret (or part of it), which no answer or error may repeat.
 */
export async function revokeApiKey(db: Db, idOrKey: string, by: KeyActor): Promise<ApiKey> {
  const id = requiredText(idOrKey, 'id', MAX_LABEL_LENGTH).replace(/^hg_/, '').split('_')[0];
  ensure(id.length > 0, 'id must name a key: its id, or the hg_<id> its secret starts with', { argument: 'id' });
  return inTransaction(db, async (tx) => {
    const revoked = await queryOne<ApiKey>(
      tx,
      `update api_key k set revoked_at = now() where k.id = ? and k.revoked_at is null returning ${API_KEY_FIELDS}`,
      [id],
    );
    if (revoked) {
      await recordAudit(tx, { ...by, action: 'apiKey.revoke', target: id, details: { name: revoked.name, scopes: revoked.scopes } });
      return revoked;
    }
    const existing = await queryOne<ApiKey>(tx, `select ${API_KEY_FIELDS} from api_key k where k.id = ?`, [id]);
    // Named only when shaped as an id: a secret pasted alone, without its hg_<id>_, is no id, and no answer repeats it.
    if (!existing)
      throw new NotFoundError(
        isKeyId(id) ? `API key ${id} does not exist` : 'no API key has the id given (an id is the 10 letters and digits after hg_)',
        {
          argument: 'id',
        },
      );
    return existing;
  });
}

const KEY_ORDER: SortKey[] = [
  { expression: 'k.created_at', type: 'timestamptz' },
  { expression: 'k.id', type: 'text' },
];

/** Every key, revoked ones included, newest first. */
export function listApiKeys(db: Db, args: { first?: number | null; after?: string | null }): Promise<ConnectionResult<ApiKey>> {
  return keysetPage<ApiKey>(db, {
    select: API_KEY_FIELDS,
    from: 'api_key k',
    where: [],
    params: [],
    sortKeys: KEY_ORDER,
    direction: 'desc',
    first: args.first,
    after: args.after,
  });
}

/** What verifying a key needs, for every key not revoked. */
export interface ActiveKeyRow {
  id: string;
  name: string;
  scopes: Scope[];
  secretHash: string;
}

/** The active keys, and whether any key was ever created (a revoked one is kept, never deleted). */
export async function loadActiveKeys(db: Db): Promise<{ active: ActiveKeyRow[]; anyCreated: boolean }> {
  const active = await query<ActiveKeyRow>(
    db,
    `select id, name, scopes, secret_hash as "secretHash" from api_key where revoked_at is null`,
  );
  if (active.length > 0) return { active, anyCreated: true };
  const [row] = await query<{ anyCreated: boolean }>(db, 'select exists (select 1 from api_key) as "anyCreated"');
  return { active, anyCreated: row.anyCreated };
}

/** Marks keys as used now; a key already marked within the last minute is left alone. */
export async function touchApiKeys(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await query(
    db,
    `update api_key set last_used_at = now()
     where id in (select jsonb_array_elements_text(?::jsonb)) and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
    [JSON.stringify(ids)],
  );
}
