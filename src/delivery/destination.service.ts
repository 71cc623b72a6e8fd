// Destinations and the CSM directory: validated writes, masked reads. Pausing or deleting a
// destination cancels its open deliveries in the same transaction.
import { Webhook } from 'standardwebhooks';
import { InvalidInputError, NotFoundError, ensure } from '../infra/errors';
import {
  checkStrings,
  MAX_TEXT_LENGTH,
  optionalEmailAddress,
  optionalEmailSender,
  optionalText,
  requiredText,
  requiredLabel,
  optionalLabel,
} from '../infra/input';
import { LoaderRegistry } from '../infra/loaders';
import { ConnectionResult, keysetPage, SortKey } from '../infra/pagination';
import { Db, inTransaction, json, query, queryOne, takeTurns } from '../infra/sql';
import { AuditActor, recordAudit } from '../auth/audit-log.service';
import { checkModelKeys } from '../scoring/scoring-model.service';
import { checkUrlHost, checkZonedUrlHost, zonedUrlAddress } from './address-guard';
import { unknownPlaceholders } from './delivery-messages';
import { cancelOpenDeliveries } from './delivery.service';
import { CsmContact, CsmContactInput, Destination, DestinationInput, DestinationKind, MAX_SUBJECT_TEMPLATE_LENGTH } from './delivery.types';

/** Active (not deleted) destinations at most: every scoring batch matches its actions against all of them. */
export const MAX_DESTINATIONS = 100;
const MAX_NAME_LENGTH = 200;
const MAX_URL_LENGTH = 2000;
const MAX_FILTER_VALUES = 50;
const MIN_DIGEST_SECONDS = 1;
const MAX_DIGEST_SECONDS = 7 * 86_400;

/** The last four characters of a secret, after a recognisable prefix: enough to tell two apart. */
export function maskSecret(secret: string | null): string | null {
  if (secret === null) return null;
  return secret.startsWith('whsec_') ? `whsec_…${secret.slice(-4)}` : `…${secret.slice(-4)}`;
}

/** A URL with its path and query hidden: Slack and many webhook URLs carry their token there. */
export function maskUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/…${url.slice(-4)}`;
  } catch {
    return `…${url.slice(-4)}`;
  }
}

interface StoredDestination extends Omit<Destination, 'filter' | 'url' | 'signingSecret'> {
  url: string | null;
  signingSecret: string | null;
  audience: Destination['filter']['audience'];
  playbooks: string[] | null;
  tiers: string[] | null;
  csmOwner: string | null;
}

const DESTINATION_COLUMNS = `dst.id::text as id, dst.kind, dst.name, dst.url, dst.signing_secret as "signingSecret", dst.email_from as "emailFrom",
  dst.email_to as "emailTo", dst.email_subject_template as "emailSubjectTemplate", dst.email_text_template as "emailTextTemplate",
  dst.email_html_template as "emailHtmlTemplate", dst.audience, dst.playbooks, dst.tiers, dst.csm_owner as "csmOwner",
  dst.digest_seconds as "digestSeconds", dst.paused, dst.deleted_at as "deletedAt", dst.created_at as "createdAt", dst.updated_at as "updatedAt"`;

/** What the graph answers: secrets masked, the filter as one object. */
function toDestination(row: StoredDestination): Destination {
  const { audience, playbooks, tiers, csmOwner, url, signingSecret, ...rest } = row;
  return { ...rest, url: maskUrl(url), signingSecret: maskSecret(signingSecret), filter: { audience, playbooks, tiers, csmOwner } };
}

/** What the instance allows destinations to point at (DELIVERY_ALLOW_PRIVATE_NETWORKS). */
export interface DestinationPolicy {
  allowPrivateNetworks: boolean;
}

function checkUrl(url: string, policy: DestinationPolicy): string {
  const trimmed = requiredText(url, 'url', MAX_URL_LENGTH);
  let parsed: URL | undefined;
  try {
    parsed = new URL(trimmed);
  } catch {
    parsed = undefined;
  }
  // Only what the URL itself says (a literal address, localhost): a host name is not looked up
  // here, since what it resolves to can change; every send checks the addresses it then resolves to.
  if (!parsed || !/^https?:$/.test(parsed.protocol)) {
    if (!policy.allowPrivateNetworks) refuseHost(() => checkZonedUrlHost(trimmed));
    // An http URL all the same: the zone is what no URL parser (nor any request) takes.
    const zoned = zonedUrlAddress(trimmed);
    if (zoned !== null)
      throw new InvalidInputError(`url: the IPv6 address ${zoned} is given with a zone, which no URL can hold; give it without the zone`, {
        argument: 'url',
      });
    throw new InvalidInputError('url must be an http or https URL', { argument: 'url' });
  }
  if (!policy.allowPrivateNetworks) refuseHost(() => checkUrlHost(parsed));
  return trimmed;
}

/** Runs an address guard's check, its refusal made the url argument's. */
function refuseHost(check: () => void): void {
  try {
    check();
  } catch (error) {
    throw new InvalidInputError(`url: ${(error as Error).message}`, { argument: 'url' });
  }
}

function checkSigningSecret(secret: string): string {
  const trimmed = secret.trim();
  const bytes = /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed.slice(6), 'base64').length : 0;
  if (bytes < 24 || bytes > 64) {
    throw new InvalidInputError('signingSecret must be whsec_ and the base64 of 24 to 64 random bytes', { argument: 'signingSecret' });
  }
  new Webhook(trimmed); // the library accepts it as its own
  return trimmed;
}

function checkTemplate(value: string | null | undefined, argument: string, max: number): string | null | undefined {
  if (value === undefined) return undefined;
  const text = optionalText(value, argument, max);
  const unknown = text ? unknownPlaceholders(text) : [];
  if (unknown.length > 0) throw new InvalidInputError(`${argument} uses unknown placeholders: ${unknown.join(', ')}`, { argument });
  return text;
}

function checkList(values: string[] | null | undefined, argument: string): string[] | null | undefined {
  if (values === undefined || values === null) return values;
  ensure(values.length <= MAX_FILTER_VALUES, `${argument} takes at most ${MAX_FILTER_VALUES} values`, { argument });
  // An empty list would read as "none" to one client and as "any" to another: null is "any".
  ensure(values.length > 0, `${argument} must name at least one value, or be null to match every one`, { argument });
  return [...new Set(values.map((value) => requiredText(value, argument, MAX_NAME_LENGTH)))];
}

/** The columns an input sets (undefined: left alone), checked; BAD_USER_INPUT on the first bad field. */
function destinationColumns(input: DestinationInput, policy: DestinationPolicy): Record<string, unknown> {
  const digest = input.digestSeconds;
  ensure(
    digest == null || (digest >= MIN_DIGEST_SECONDS && digest <= MAX_DIGEST_SECONDS),
    `digestSeconds must be ${MIN_DIGEST_SECONDS}–${MAX_DIGEST_SECONDS} or null`,
    {
      argument: 'digestSeconds',
    },
  );
  const filter = input.filter;
  const columns: Record<string, unknown> = {
    name: input.name === undefined ? undefined : requiredLabel(input.name, 'name', MAX_NAME_LENGTH),
    url: input.url == null ? input.url : checkUrl(input.url, policy),
    signing_secret: input.signingSecret == null ? input.signingSecret : checkSigningSecret(input.signingSecret),
    email_from: optionalEmailSender(input.emailFrom, 'emailFrom'),
    email_to: optionalEmailAddress(input.emailTo, 'emailTo'),
    email_subject_template: checkTemplate(input.emailSubjectTemplate, 'emailSubjectTemplate', MAX_SUBJECT_TEMPLATE_LENGTH),
    email_text_template: checkTemplate(input.emailTextTemplate, 'emailTextTemplate', MAX_TEXT_LENGTH),
    email_html_template: checkTemplate(input.emailHtmlTemplate, 'emailHtmlTemplate', MAX_TEXT_LENGTH),
    digest_seconds: digest,
    paused: input.paused === null ? false : input.paused,
  };
  if (filter !== undefined) {
    columns.audience = filter?.audience ?? null;
    columns.playbooks = checkList(filter?.playbooks, 'filter.playbooks') ?? null;
    columns.tiers = checkList(filter?.tiers, 'filter.tiers') ?? null;
    // An optional label: one that shows nothing is none, as everywhere, and so no filter on the CSM owner.
    columns.csm_owner = optionalLabel(filter?.csmOwner, 'filter.csmOwner', MAX_NAME_LENGTH);
  }
  // Last: a field checked above is refused naming its own limit; this holds the rest (checkStrings).
  checkStrings(input, '');
  return Object.fromEntries(Object.entries(columns).filter(([, value]) => value !== undefined));
}

/** The filter's tier and playbook keys, each defined by some version of the model. */
async function checkFilterKeys(db: Db, columns: Record<string, unknown>): Promise<void> {
  await checkModelKeys(db, 'tiers', (columns.tiers as string[] | null | undefined) ?? [], 'filter.tiers');
  await checkModelKeys(db, 'playbooks', (columns.playbooks as string[] | null | undefined) ?? [], 'filter.playbooks');
}

/** The settings only some kinds use: set on another kind, they would be stored and silently ignored. */
const KIND_SETTINGS: Array<[column: string, argument: string, kinds: string[]]> = [
  ['url', 'url', [DestinationKind.WEBHOOK, DestinationKind.SLACK]],
  ['signing_secret', 'signingSecret', [DestinationKind.WEBHOOK]],
  ['email_from', 'emailFrom', [DestinationKind.EMAIL]],
  ['email_to', 'emailTo', [DestinationKind.EMAIL]],
  ['email_subject_template', 'emailSubjectTemplate', [DestinationKind.EMAIL]],
  ['email_text_template', 'emailTextTemplate', [DestinationKind.EMAIL]],
  ['email_html_template', 'emailHtmlTemplate', [DestinationKind.EMAIL]],
];

/** The article before a kind's name as it is written (EMAIL is read "ee-mail": an EMAIL destination). */
function kindArticle(kind: string): 'a' | 'an' {
  return /^[AEIOU]/.test(kind) ? 'an' : 'a';
}

/** What each kind needs, checked on the destination as it will be stored; and nothing it would ignore among what the input sets. */
function checkComplete(kind: string, row: Record<string, unknown>, given: Record<string, unknown>): void {
  for (const [column, argument, kinds] of KIND_SETTINGS) {
    const takers = kinds.length === 1 ? `only ${kinds[0]} does` : `only ${kinds.join(' and ')} do`;
    ensure(given[column] == null || kinds.includes(kind), `${kindArticle(kind)} ${kind} destination takes no ${argument} (${takers})`, {
      argument,
    });
  }
  if (kind === DestinationKind.WEBHOOK) {
    ensure(row.url, 'a WEBHOOK destination needs a url', { argument: 'url' });
    ensure(row.signing_secret, 'a WEBHOOK destination needs a signingSecret', { argument: 'signingSecret' });
  }
  if (kind === DestinationKind.SLACK) ensure(row.url, 'a SLACK destination needs a url (its incoming webhook)', { argument: 'url' });
  if (kind === DestinationKind.EMAIL) {
    ensure(row.email_from, 'an EMAIL destination needs emailFrom', { argument: 'emailFrom' });
    ensure(row.digest_seconds == null || row.audience === 'TEAM', 'an EMAIL digest goes to a CSM: set filter.audience to TEAM', {
      argument: 'digestSeconds',
    });
  }
}

const TABLE_COLUMNS = [
  'kind',
  'name',
  'url',
  'signing_secret',
  'email_from',
  'email_to',
  'email_subject_template',
  'email_text_template',
  'email_html_template',
  'audience',
  'playbooks',
  'tiers',
  'csm_owner',
  'digest_seconds',
  'paused',
];

export async function createDestination(db: Db, input: DestinationInput, policy: DestinationPolicy): Promise<Destination> {
  ensure(input.kind != null, 'kind is required', { argument: 'kind' });
  ensure(input.name != null, 'name is required', { argument: 'name' });
  const row: Record<string, unknown> = { kind: input.kind, paused: false, ...destinationColumns(input, policy) };
  checkComplete(input.kind, row, row);
  await checkFilterKeys(db, row);
  return inTransaction(db, async (tx) => {
    // Serialises creations so the count below holds.
    await takeTurns(tx, 'healthgraph.destination.create');
    const active = await queryOne<{ count: number }>(tx, 'select count(*)::int as count from destination where deleted_at is null');
    ensure((active?.count ?? 0) < MAX_DESTINATIONS, `at most ${MAX_DESTINATIONS} destinations: delete one first`, { argument: 'input' });
    const stored = await queryOne<StoredDestination>(
      tx,
      `insert into destination as dst (${TABLE_COLUMNS.join(', ')})
       select ${TABLE_COLUMNS.join(', ')} from jsonb_populate_record(null::destination, ?::jsonb)
       returning ${DESTINATION_COLUMNS}`,
      [json(row)],
    );
    return toDestination(stored as StoredDestination);
  });
}

/** A destination id as given: trimmed, as every id argument is, and refused unless it is one. */
function destinationId(given: string): string {
  const id = given.trim();
  ensure(/^\d{1,18}$/.test(id), 'id is not a destination id', { argument: 'id' });
  return id;
}

async function lockedDestination(tx: Db, id: string): Promise<Record<string, unknown> & { kind: string; paused: boolean }> {
  const row = await queryOne<Record<string, unknown> & { kind: string; paused: boolean }>(
    tx,
    `select * from destination where id = ?::bigint and deleted_at is null for update`,
    [id],
  );
  if (!row) throw new NotFoundError(`destination ${id} does not exist`, { id });
  return row;
}

export async function updateDestination(db: Db, givenId: string, input: DestinationInput, policy: DestinationPolicy): Promise<Destination> {
  const id = destinationId(givenId);
  const changes = destinationColumns(input, policy);
  await checkFilterKeys(db, changes);
  return inTransaction(db, async (tx) => {
    const current = await lockedDestination(tx, id);
    ensure(input.kind == null || input.kind === current.kind, 'kind cannot be changed: create another destination', { argument: 'kind' });
    checkComplete(current.kind, { ...current, ...changes }, changes);
    if (changes.paused === true && !current.paused) await cancelOpenDeliveries(tx, id, 'destination paused');
    const assignments = Object.keys(changes).map((column) => `${column} = x.${column}`);
    const stored = await queryOne<StoredDestination>(
      tx,
      `update destination dst set ${[...assignments, 'updated_at = now()'].join(', ')}
       from jsonb_populate_record(null::destination, ?::jsonb) x where dst.id = ?::bigint
       returning ${DESTINATION_COLUMNS}`,
      [json(changes), id],
    );
    return toDestination(stored as StoredDestination);
  });
}

/**
 * What the audit log records of a change to a destination, by an admin or the delivery worker: the
 * fields the input set, and where the destination now sends, as answered (URL and secret masked):
 * redirecting alerts leaves a trace of where to.
 */
export function destinationAuditDetails(input: DestinationInput | undefined, destination: Destination): Record<string, unknown> {
  return {
    changed: Object.entries(input ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([field]) => field),
    name: destination.name,
    kind: destination.kind,
    url: destination.url,
    emailTo: destination.emailTo,
    paused: destination.paused,
    filter: destination.filter,
  };
}

/** The audit log's actor for what the delivery worker changes by itself. */
export const DELIVERY_WORKER_ACTOR = 'delivery-worker';

/** What became of a destination whose receiver answered 410 Gone. */
export type GoneDestinationOutcome = 'PAUSED' | 'ALREADY_PAUSED' | 'DELETED' | 'URL_CHANGED';

/**
 * What a delivery answered 410 Gone adds to its `lastError` once its destination's fate is decided:
 * the sender's message says only what the receiver answered, since the pause may not happen.
 */
const GONE_DESTINATION_NOTES: Record<GoneDestinationOutcome, string> = {
  PAUSED: 'the destination was paused',
  ALREADY_PAUSED: 'the destination was already paused',
  DELETED: 'the destination was already deleted',
  URL_CHANGED: 'the destination was not paused: its URL had been changed since',
};

/**
 * Pauses a destination whose receiver answered 410 Gone (Standard Webhooks: the endpoint no longer
 * exists, stop sending to it), as an admin's `paused: true` does: its open deliveries are cancelled,
 * and the audit log records the change, in one transaction. One already paused or deleted, or given
 * another URL since the 410 (the endpoint gone was the old one), is left alone. Either way the
 * attempts refused (`refused`, each DEAD with the 410 recorded at its `attemptedAt`) have what became
 * of their destination added to their delivery's `lastError`, in the same transaction. Resuming it
 * (`updateDestination(paused: false)`, once its URL is fixed) is an admin's decision.
 */
export async function pauseGoneDestination(
  db: Db,
  id: string,
  goneUrl: string | null,
  refused: readonly RefusedAttempt[],
): Promise<GoneDestinationOutcome> {
  return inTransaction(db, async (tx) => {
    // The destination row first, then its deliveries in id order, as updateDestination takes them.
    const current = await queryOne<{ url: string | null; paused: boolean; deleted: boolean }>(
      tx,
      `select url, paused, deleted_at is not null as deleted from destination where id = ?::bigint for update`,
      [id],
    );
    const outcome: GoneDestinationOutcome =
      !current || current.deleted ? 'DELETED' : current.paused ? 'ALREADY_PAUSED' : current.url !== goneUrl ? 'URL_CHANGED' : 'PAUSED';
    if (outcome === 'PAUSED') {
      const stored = await queryOne<StoredDestination>(
        tx,
        `update destination dst set paused = true, updated_at = now() where dst.id = ?::bigint returning ${DESTINATION_COLUMNS}`,
        [id],
      );
      await cancelOpenDeliveries(tx, id, 'destination paused: its receiver answered 410 Gone');
      await recordAudit(tx, {
        actor: DELIVERY_WORKER_ACTOR,
        action: 'destination.update',
        target: id,
        details: {
          ...destinationAuditDetails({ paused: true }, toDestination(stored as StoredDestination)),
          reason: 'the receiver answered 410 Gone',
        },
      });
    }
    await noteGoneDestination(tx, refused, GONE_DESTINATION_NOTES[outcome]);
    return outcome;
  });
}

/**
 * A delivery's attempt answered 410 Gone, known by the time recordOutcomes stored as its
 * `last_attempt_at`, with the `lastError` it stored for it (lastErrorOf).
 */
export interface RefusedAttempt {
  deliveryId: string;
  attemptedAt: Date;
  lastError: string;
}

/**
 * Sets the `lastError` of the deliveries whose last attempt is still the one refused with 410 Gone
 * to the attempt's, `note` after it: one redelivered meanwhile has a new attempt to tell (and another
 * 410 its own note). Set from the attempt's, not added to what is stored, so that noting an attempt
 * again (the pause run twice) leaves one note, not two.
 */
async function noteGoneDestination(tx: Db, refused: readonly RefusedAttempt[], note: string): Promise<void> {
  if (refused.length === 0) return;
  const attempts = refused.map(({ deliveryId, attemptedAt, lastError }) => ({
    id: deliveryId,
    attempted_at: attemptedAt.toISOString(),
    last_error: lastError,
  }));
  await query(
    tx,
    `update delivery d set last_error = x.last_error || '; ' || ?
     from jsonb_to_recordset(?::jsonb) as x(id uuid, attempted_at timestamptz, last_error text)
     where d.id = x.id and d.last_attempt_at = x.attempted_at and d.status = 'DEAD'`,
    [note, json(attempts)],
  );
}

/** Deletes a destination: it receives nothing more and its open deliveries are cancelled; the rows stay for the log. */
export async function deleteDestination(db: Db, givenId: string): Promise<Destination> {
  const id = destinationId(givenId);
  return inTransaction(db, async (tx) => {
    await lockedDestination(tx, id);
    await cancelOpenDeliveries(tx, id, 'destination deleted');
    const stored = await queryOne<StoredDestination>(
      tx,
      `update destination dst set deleted_at = now(), updated_at = now() where id = ?::bigint returning ${DESTINATION_COLUMNS}`,
      [id],
    );
    return toDestination(stored as StoredDestination);
  });
}

const BY_ID: SortKey[] = [{ expression: 'dst.id', type: 'bigint' }];

export async function listDestinations(
  db: Db,
  args: { first?: number | null; after?: string | null },
): Promise<ConnectionResult<Destination>> {
  checkStrings(args, '');
  const page = await keysetPage<StoredDestination>(db, {
    select: DESTINATION_COLUMNS,
    from: 'destination dst',
    where: ['dst.deleted_at is null'],
    params: [],
    sortKeys: BY_ID,
    direction: 'asc',
    first: args.first,
    after: args.after,
  });
  return { ...page, edges: page.edges.map((edge) => ({ ...edge, node: toDestination(edge.node) })) };
}

/** A delivery's destination (deleted ones included), batched per request. */
export function loadDestination(db: Db, loaders: LoaderRegistry, id: string): Promise<Destination> {
  return loaders
    .get<string, Destination>('Destination.byId', async (ids) => {
      const rows = await query<StoredDestination>(
        db,
        `select ${DESTINATION_COLUMNS} from destination dst where dst.id in (select jsonb_array_elements_text(?::jsonb)::bigint)`,
        [json(ids)],
      );
      const byId = new Map(rows.map((row) => [row.id, toDestination(row)]));
      return ids.map((key) => byId.get(key) ?? new NotFoundError(`destination ${key} does not exist`));
    })
    .load(id);
}

// ---- the CSM directory ----

const CSM_COLUMNS = `c.owner, c.email, c.slack_target as "slackTarget", c.updated_at as "updatedAt"`;

/**
 * Sets where a CSM gets team alerts: the fields given (null, or blank, clears one), the others kept,
 * as updateDestination keeps them; an entry left with neither an email nor a Slack target is removed.
 * Recorded in the audit log (`csmContact.set`) in the same transaction, with what the entry became,
 * or `removed: true` when an entry was removed: only this function knows whether one existed, so a
 * call that found no entry and left none changed nothing and records nothing.
 */
export async function setCsmContact(db: Db, input: CsmContactInput, by: AuditActor): Promise<CsmContact | null> {
  const owner = requiredLabel(input.owner, 'owner', MAX_NAME_LENGTH);
  const email = optionalEmailAddress(input.email, 'email') ?? null;
  const slackTarget = optionalLabel(input.slackTarget, 'slackTarget', MAX_NAME_LENGTH);
  // Last, as in destinationColumns: each field above is refused naming its own limit.
  checkStrings(input, '');
  return inTransaction(db, async (tx) => {
    // `xmax = 0` marks a row this statement inserted, not one it updated: told by the statement that
    // wrote the row, so an entry another admin created meanwhile counts as existing.
    const { inserted, ...contact } = (await queryOne<CsmContact & { inserted: boolean }>(
      tx,
      `insert into csm_contact as c (owner, email, slack_target) values (?, ?, ?)
       on conflict (owner) do update set
         email = case when ?::boolean then c.email else excluded.email end,
         slack_target = case when ?::boolean then c.slack_target else excluded.slack_target end,
         updated_at = now()
       returning ${CSM_COLUMNS}, c.xmax = 0 as inserted`,
      [owner, email, slackTarget, input.email === undefined, input.slackTarget === undefined],
    )) as CsmContact & { inserted: boolean };
    const audit = { ...by, action: 'csmContact.set' as const, target: owner };
    if (contact.email !== null || contact.slackTarget !== null) {
      await recordAudit(tx, { ...audit, details: { email: contact.email, slackTarget: contact.slackTarget } });
      return contact;
    }
    await query(tx, 'delete from csm_contact where owner = ?', [owner]);
    if (!inserted) await recordAudit(tx, { ...audit, details: { removed: true } });
    return null;
  });
}

export function listCsmContacts(db: Db, args: { first?: number | null; after?: string | null }): Promise<ConnectionResult<CsmContact>> {
  checkStrings(args, '');
  return keysetPage<CsmContact>(db, {
    select: CSM_COLUMNS,
    from: 'csm_contact c',
    where: [],
    params: [],
    sortKeys: [{ expression: 'c.owner', type: 'text' }],
    direction: 'asc',
    first: args.first,
    after: args.after,
  });
}
