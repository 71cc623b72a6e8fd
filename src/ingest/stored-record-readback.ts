// An `ingest` key writes signals without reading them back (README, "Security" → "Scopes"). Yet a
// mutation whose idempotency key (`externalId`, `idempotencyKey`) matches a stored record answers
// with that record, which this request did not write: to a caller without `read`, the answer shows of
// a stored record only what the request itself decides — its identity, and the fields this write
// sets from the input. Selecting more is refused FORBIDDEN before the record is written: by the
// operation check before anything runs (src/auth/stored-readback.ts), and again by the service under
// the record's lock, for a record stored by someone else in between.
import { ForbiddenError } from '../auth/auth.errors';
import { hasScope, Principal } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { InvalidInputError } from '../infra/errors';
import { Db, queryOne } from '../infra/sql';

/** What any answer may show of a stored record: the type's name, the record's id and its customer's (sent by the request). */
const IDENTITY_FIELDS = ['__typename', 'id', 'customerId'];

/** How one ingest mutation's answer may show a record its idempotency key found already stored. */
export interface StoredRecordReadback<Input> {
  /** The record, as a refusal names it ('an NPS answer'). */
  record: string;
  /** The input field holding the idempotency key; the answer's field of the same name holds the same value. */
  keyField: string;
  /**
   * Whether a record is stored under the input's customer and key. False for an input without a key
   * (it always writes a new record) and for an input the write refuses (it writes nothing).
   */
  isStored(db: Db, input: Input): Promise<boolean>;
  /**
   * The answer's fields that a stored record holds, once written, as this request sent them (an
   * upsert overwrites them); the others keep what was stored. None for a record written once, whose
   * repeat stores nothing.
   */
  fieldsFromInput(input: Input): readonly string[];
}

/** Who reads a mutation's answer, and which of its fields (by name): what decides what it may show. */
export interface AnswerAudience {
  mayReadStored: boolean;
  selected: ReadonlySet<string>;
}

/** The audience of an answer: `principal`, selecting `selected` (field names, aliases resolved). */
export function answerAudience(principal: Principal | undefined, selected: Iterable<string>): AnswerAudience {
  return { mayReadStored: hasScope(principal, Scope.READ), selected: new Set(selected) };
}

/** The selected fields a stored record would show that the request did not decide, in selection order; [] when none. */
export function fieldsBeyondRequest<Input>(readback: StoredRecordReadback<Input>, input: Input, selected: Iterable<string>): string[] {
  // An input the write refuses decides nothing: only the identity is shown.
  let fromInput: readonly string[];
  try {
    fromInput = readback.fieldsFromInput(input);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    fromInput = [];
  }
  const decided = new Set([...IDENTITY_FIELDS, readback.keyField, ...fromInput]);
  return [...new Set(selected)].filter((field) => !decided.has(field));
}

/** The refusal of an answer selecting `fields` of a stored record it may not read. */
export function storedRecordRefusal<Input>(readback: StoredRecordReadback<Input>, fields: readonly string[]): ForbiddenError {
  return new ForbiddenError(
    `${readback.record} with this ${readback.keyField} is already stored: without the read scope, its answer may select only ` +
      `id, customerId, ${readback.keyField} and the fields this request sets, not ${fields.join(', ')}`,
    { requiredScopes: [Scope.READ], fields },
  );
}

/**
 * The fields `audience` selects that a record found stored under the input's key would show without
 * the request deciding them; [] when the audience may read stored records. Services that upsert look
 * the record up, under its lock, only when this is not empty.
 */
export function undecidedFields<Input>(
  readback: StoredRecordReadback<Input>,
  input: Input,
  audience: AnswerAudience | undefined,
): string[] {
  if (!audience || audience.mayReadStored) return [];
  return fieldsBeyondRequest(readback, input, audience.selected);
}

/**
 * For services that upsert, under the record's lock and before the write: throws the refusal when
 * `audience` may not see what the record would show, should `isStored` find it stored (looked up
 * only then).
 */
export async function refuseUndecidedFieldsOfStored<Input>(
  readback: StoredRecordReadback<Input>,
  input: Input,
  audience: AnswerAudience | undefined,
  isStored: () => Promise<boolean>,
): Promise<void> {
  const undecided = undecidedFields(readback, input, audience);
  if (undecided.length > 0 && (await isStored())) throw storedRecordRefusal(readback, undecided);
}

/**
 * Throws the refusal when `audience` may not see what the stored record answering it would show:
 * for services whose repeat of a stored record writes nothing, once they found it stored.
 */
export function checkAnswerOfStoredRecord<Input>(
  readback: StoredRecordReadback<Input>,
  input: Input,
  audience: AnswerAudience | undefined,
): void {
  const undecided = undecidedFields(readback, input, audience);
  if (undecided.length > 0) throw storedRecordRefusal(readback, undecided);
}

/** Where a kind of record is kept under its customer and idempotency key (the code's own names, never input). */
export interface RecordKeyColumns {
  table: string;
  keyColumn: string;
}

/** A record's customer and idempotency key, as a write stores them. */
export interface RecordKey {
  customerId: string;
  key: string;
}

/** Whether a record is stored under `key`: one lookup of the unique index on its customer and key. */
export async function recordStored(db: Db, where: RecordKeyColumns, { customerId, key }: RecordKey): Promise<boolean> {
  const row = await queryOne(db, `select 1 from ${where.table} where customer_id = ? and ${where.keyColumn} = ?`, [customerId, key]);
  return row !== undefined;
}

/**
 * `isStored` from a key reader (null: the input has no key): a key the write would refuse matches
 * nothing, since nothing is written.
 */
export async function storedUnderKey(db: Db, where: RecordKeyColumns, readKey: () => RecordKey | null): Promise<boolean> {
  let key: RecordKey | null;
  try {
    key = readKey();
  } catch (error) {
    if (error instanceof InvalidInputError) return false;
    throw error;
  }
  return key === null ? false : recordStored(db, where, key);
}
