// The active scoring model: versioned JSON in `scoring_model`. Version 1 is the default model,
// inserted on first use; `updateScoringModel` validates and activates a new version, given as a config
// or as a tier preset laid over one (modelUpdateFrom). Rows the product wrote as its default are
// marked `shipped_default`, so a newer default can replace them.
import type { CoreServices } from '../context';
import { ensure, InvalidInputError } from '../infra/errors';
import { MAX_TEXT_LENGTH, optionalText } from '../infra/input';
import type { LoaderRegistry } from '../infra/loaders';
import { Db, inTransaction, json, query, queryOne } from '../infra/sql';
import {
  canonicalJson,
  DEFAULT_SCORING_MODEL,
  PLACEMENT_SETTINGS,
  PLAYBOOK_SETTINGS,
  sameTiers,
  ScoringModelConfig,
  scoresAlike,
  TIER_PRESETS,
  TierBand,
  TierPresetName,
  validateModel,
  withTierPreset,
} from './model';

export interface ActiveModel {
  version: number;
  config: ScoringModelConfig;
  createdAt: Date;
}

export async function getActiveModel(db: Db): Promise<ActiveModel> {
  const row = await queryOne<ActiveModel>(db, 'select version, config, created_at as "createdAt" from scoring_model where active');
  if (row) return row;
  await query(
    db,
    `insert into scoring_model (version, config, active, shipped_default) values (1, ?::jsonb, true, true)
     on conflict do nothing`,
    [json(DEFAULT_SCORING_MODEL)],
  );
  return (await queryOne<ActiveModel>(
    db,
    'select version, config, created_at as "createdAt" from scoring_model where active',
  )) as ActiveModel;
}

/** A stored model version, active or not (the one to roll back to: `updateScoringModel` with its config); null when never stored. */
export async function getModelVersion(db: Db, version: number): Promise<(ActiveModel & { active: boolean }) | null> {
  await getActiveModel(db);
  const row = await queryOne<ActiveModel & { active: boolean }>(
    db,
    'select version, config, created_at as "createdAt", active from scoring_model where version = ?',
    [version],
  );
  return row ?? null;
}

/** The config of a stored model version (never changed once written, but for a shipped default's message wording: adoptCurrentDefaultModel), batched per request; null when unknown. */
export function loadModelVersion(db: Db, loaders: LoaderRegistry, version: number): Promise<ScoringModelConfig | null> {
  return loaders
    .get<number, ScoringModelConfig | null>('scoringModelVersion', async (versions) => {
      const rows = await query<{ version: number; config: ScoringModelConfig }>(
        db,
        'select version, config from scoring_model where version in (select jsonb_array_elements_text(?::jsonb)::int)',
        [json(versions)],
      );
      const byVersion = new Map(rows.map((row) => [row.version, row.config]));
      return versions.map((version) => byVersion.get(version) ?? null);
    })
    .load(version);
}

/**
 * The first version of the run `version` belongs to (MODEL_SCORING_SQL): two points whose versions
 * give the same one were scored alike. Batched per request; a version never stored is its own.
 */
export function loadScoringVersion(db: Db, loaders: LoaderRegistry, version: number): Promise<number> {
  return loaders
    .get<number, number>('scoringVersion', async (versions) => {
      const rows = await query<{ version: number; scoring: number }>(
        db,
        `${WITH_MODEL_SCORING} select version, scoring from model_scoring where version in (select jsonb_array_elements_text(?::jsonb)::int)`,
        [json(versions)],
      );
      const byVersion = new Map(rows.map((row) => [row.version, row.scoring]));
      return versions.map((version) => byVersion.get(version) ?? version);
    })
    .load(version);
}

/** The configs of stored model versions, by version (an unknown one is left out): one statement. */
export async function loadModelConfigs(db: Db, versions: readonly number[]): Promise<Map<number, ScoringModelConfig>> {
  if (versions.length === 0) return new Map();
  const rows = await query<{ version: number; config: ScoringModelConfig }>(
    db,
    'select version, config from scoring_model where version in (select jsonb_array_elements_text(?::jsonb)::int)',
    [json([...new Set(versions)])],
  );
  return new Map(rows.map((row) => [row.version, row.config]));
}

/**
 * What `updateScoringModel` leaves active; `activated` false when it was active already and nothing
 * was stored; `scoringChanged` false then too, and when the new version scores every account as the
 * one before did (scoresAlike: only its playbook settings differ): there is nothing to rescore.
 */
export interface UpdatedModel extends ActiveModel {
  activated: boolean;
  scoringChanged: boolean;
}

/** A model to activate: a config, or one made from the active model once the update takes its turn (a tier preset laid over it). */
export type ModelUpdate = ScoringModelConfig | ((active: ScoringModelConfig) => ScoringModelConfig);

/**
 * Validates and activates `config` as a new version; `shippedDefault` marks the product's own default
 * (see adoptCurrentDefaultModel). Given a function, the new model is made from the active one, read
 * once concurrent updates are serialised: a change laid over the current model (a tier preset) keeps
 * a change another admin activated a moment before. A config equal to the active one's stores no
 * version: there would be nothing to rescore and one more version to read. Sent through the API for a
 * shipped default, it still marks that version chosen, so the next release's default leaves it alone,
 * as a copy would be. Equal to the active one, a model is not checked again: it is the model scoring
 * now, though rules added since it was stored would refuse it; another is checked against the active
 * one (checkModel), whose settings it keeps unchanged are not refused by rules added since either.
 */
export async function updateScoringModel(db: Db, config: ModelUpdate, { shippedDefault = false } = {}): Promise<UpdatedModel> {
  return inTransaction(db, async (tx) => {
    await getActiveModel(tx);
    // Serialise concurrent updates: the version number is max + 1, and the active model read below is the latest.
    await query(tx, 'lock table scoring_model in share row exclusive mode');
    const active = await getActiveModel(tx);
    if (typeof config === 'function') config = config(active.config);
    if (canonicalJson(config) === canonicalJson(active.config)) {
      if (!shippedDefault) await query(tx, 'update scoring_model set shipped_default = false where active');
      return { ...active, activated: false, scoringChanged: false };
    }
    checkModel(config, active.config);
    await query(tx, 'update scoring_model set active = false where active');
    // Stamped with the clock once the lock is held, as the version is numbered: now() is when the
    // transaction began, before it waited for the lock, and an update that began first but took its
    // turn second would have the later version with the earlier createdAt.
    const row = await queryOne<ActiveModel>(
      tx,
      `insert into scoring_model (version, config, active, shipped_default, created_at)
       select coalesce(max(version), 0) + 1, ?::jsonb, true, ?, clock_timestamp() from scoring_model
       returning version, config, created_at as "createdAt"`,
      [json(config), shippedDefault],
    );
    return { ...(row as ActiveModel), activated: true, scoringChanged: !scoresAlike(config, active.config) };
  });
}

/**
 * `updateScoringModel`, and a new version announced to `onModelActivated` once committed: the
 * scheduler then rescores everyone (scoring.scheduler.ts), so tiers, summaries and the worklist agree
 * with the model now active. A version that changes only playbook settings scores every account as
 * the one before did (`scoringChanged` false): it is not announced, as there is nothing to rescore;
 * each customer's next scoring runs its playbooks. Every activation goes through here, so none that
 * needs its run is left without it.
 */
export async function activateScoringModel(
  services: Pick<CoreServices, 'onModelActivated'>,
  db: Db,
  config: ModelUpdate,
  options: { shippedDefault?: boolean } = {},
): Promise<UpdatedModel> {
  const updated = await updateScoringModel(db, config, options);
  if (updated.scoringChanged) for (const listener of services.onModelActivated) listener(updated.version);
  return updated;
}

/** SQL: `settings` as a text array, the keys `config - …` leaves out. */
const keysSql = (settings: readonly string[]) => `array[${settings.map((key) => `'${key}'`).join(', ')}]`;

/** SQL: a stored config without its playbook settings (scoringPartOf). */
const SCORING_PART_SQL = `config - ${keysSql(PLAYBOOK_SETTINGS)}`;

/** SQL: a stored config without its playbook and placement settings (scoreComputationOf). */
const SCORE_COMPUTATION_SQL = `config - ${keysSql([...PLAYBOOK_SETTINGS, ...PLACEMENT_SETTINGS])}`;

/**
 * SQL: every stored version with `scoring`, the first version of its run: versions activated one
 * after another (in version order, as every activation stores the next version), each differing from
 * the one before at most in the playbook settings (PLAYBOOK_SETTINGS), compared as jsonb (key order
 * aside) as scoresAlike compares them. Versions of one run score every account alike, and their points
 * are compared as one version's. A rollback (A, then B, then A's config again) is three runs: the
 * account's points under B lie between A's and the third's, and a fall B saw measured again against
 * A's points would be alerted twice. And `computing`, the first version of its run by the looser rule
 * of scoresComputedAlike (playbook and placement settings aside): versions that compute the same
 * scores, whose points the trend and the score drop compare as one version's, though a tier preset
 * between them placed those scores in other tiers. A statement names it `model_scoring` in its with
 * clause (scoresComputedAlikeSql reads it there); the versions are few.
 */
export const MODEL_SCORING_SQL = `select version, max(version) filter (where starts_run) over (order by version) as scoring,
         max(version) filter (where starts_computing) over (order by version) as computing
  from (select version, ${SCORING_PART_SQL} is distinct from lag(${SCORING_PART_SQL}) over (order by version) as starts_run,
               ${SCORE_COMPUTATION_SQL} is distinct from lag(${SCORE_COMPUTATION_SQL}) over (order by version) as starts_computing
        from scoring_model) versions`;

/**
 * SQL: with-clause entries `model_scoring` (MODEL_SCORING_SQL); `alike`, the versions that score as
 * the version the one parameter names (itself included), whose points give the previous tier; and
 * `computed_alike`, those that compute its scores (`alike` among them), whose points the trend and
 * the score drop compare with.
 */
export const ALIKE_VERSIONS_SQL = `model_scoring as (${MODEL_SCORING_SQL}),
     this_version as (select scoring, computing from model_scoring where version = ?),
     alike as (select m.version from model_scoring m join this_version t on m.scoring = t.scoring),
     computed_alike as (select m.version from model_scoring m join this_version t on m.computing = t.computing)`;

/** SQL: the with clause that names MODEL_SCORING_SQL `model_scoring`, for a statement that reads no other common table. */
export const WITH_MODEL_SCORING = `with model_scoring as (${MODEL_SCORING_SQL})`;

/**
 * SQL: whether the stored versions `a` and `b` (SQL expressions) compute scores alike (scoresComputedAlike
 * along a run), read in `model_scoring` (MODEL_SCORING_SQL): a fall from a point of one to a point of
 * the other is the account's, not the model's.
 */
export function scoresComputedAlikeSql(a: string, b: string): string {
  return `(${a} = ${b} or exists (select 1 from model_scoring x join model_scoring y on y.computing = x.computing
                                   where x.version = ${a} and y.version = ${b}))`;
}

/**
 * BAD_USER_INPUT listing every broken rule of `config` (validateModel) in `extensions.problems`.
 * Given the model active, a day count `config` keeps from it unchanged is taken as it was stored: a
 * model stored before whole days were required is not refused for a fraction no admin touched.
 */
export function checkModel(config: ScoringModelConfig, active?: ScoringModelConfig): void {
  const errors = validateModel(config, { active });
  if (errors.length > 0)
    throw new InvalidInputError(`invalid scoring model: ${errors.join('; ')}`, { argument: 'input', problems: errors });
}

/**
 * The preset a `tierPreset` names; BAD_USER_INPUT for any other name, including the properties every
 * object inherits (`constructor`, `__proto__`, `toString`…), which an `in` test would accept.
 */
export function checkTierPreset(name: string): TierPresetName {
  ensure(Object.hasOwn(TIER_PRESETS, name), `unknown tierPreset: one of ${Object.keys(TIER_PRESETS).join(', ')}`, {
    argument: 'tierPreset',
  });
  return name as TierPresetName;
}

/** A tier preset as `scoringModelPresets` lists it. */
export interface TierPreset {
  name: TierPresetName;
  isDefault: boolean;
  /** Whether the active model's tiers are the preset's: activating it changes nothing. */
  active: boolean;
  tiers: TierBand[];
}

/** The tier presets, the one whose tiers the active model has marked. */
export async function listTierPresets(db: Db): Promise<TierPreset[]> {
  const { config } = await getActiveModel(db);
  return (Object.keys(TIER_PRESETS) as TierPresetName[]).map((name) => ({
    name,
    isDefault: name === 'four_tier',
    active: sameTiers(config.tiers, TIER_PRESETS[name]),
    tiers: [...TIER_PRESETS[name]],
  }));
}

/**
 * The model a `tierPreset` makes (withTierPreset), as updateScoringModel takes it: laid over the
 * `config` sent with it, else over the model active when the update takes its turn, so that it keeps
 * a change another admin activated a moment before. Tiers that are the preset's already leave the
 * active model as it is: nothing is stored. A `config` sent (anything but null or undefined: `false`
 * is a config, and no model) is checked whole first, as a model of its own (against the active one,
 * as checkModel does): withTierPreset reads its tiers and playbooks, and would otherwise fail on them
 * with a JavaScript error instead of the problems, or lay the preset over something that is no model.
 */
export function tierPresetUpdate(name: TierPresetName, given?: unknown): (active: ScoringModelConfig) => ScoringModelConfig {
  if (given != null) {
    return (active) => {
      checkModel(given as ScoringModelConfig, active);
      return withTierPreset(given as ScoringModelConfig, name);
    };
  }
  return (active) => {
    const laid = withTierPreset(active, name);
    return laid === active ? active : withoutIgnoredCaps(laid);
  };
}

/**
 * A stored model as the rules of today take it: a version stored before `maxPoints` was refused on a
 * penalty without `perUnit` (where it was ignored) drops it, so that a tier preset laid over the
 * active model is not refused for a setting it never had an effect of.
 */
function withoutIgnoredCaps(config: ScoringModelConfig): ScoringModelConfig {
  return {
    ...config,
    penalties: config.penalties.map((penalty) => {
      if (penalty.perUnit === true || penalty.maxPoints === undefined) return penalty;
      const { maxPoints: _ignored, ...uncapped } = penalty;
      return uncapped;
    }),
  };
}

/**
 * The model an `updateScoringModel` input asks for (updateScoringModel takes it): its `tierPreset`
 * (trimmed, as every text argument) laid over its `config`, or over the active model without one
 * (tierPresetUpdate); else its `config`. BAD_USER_INPUT for a `config` that is not a JSON object,
 * checked before a preset is laid over it (spreading "x" or [1] would make a model of its
 * characters), and for an input that gives neither. The config itself is checked as it is activated.
 */
export function modelUpdateFrom(input: { config?: unknown; tierPreset?: string | null }): ModelUpdate {
  const { config } = input;
  ensure(config == null || (typeof config === 'object' && !Array.isArray(config)), 'config must be a scoring model (a JSON object)', {
    argument: 'config',
  });
  // Held to the bound of every string argument first: a name past it is refused as too long, not as no preset.
  const tierPreset = optionalText(input.tierPreset, 'tierPreset', MAX_TEXT_LENGTH);
  if (tierPreset) return tierPresetUpdate(checkTierPreset(tierPreset), config);
  if (config != null) return config as ScoringModelConfig;
  throw new InvalidInputError('give a model as `config` (a JSON object) or a `tierPreset`', { argument: 'input' });
}

/**
 * The active model when it is an earlier default: written by the product as its default (on first
 * use, as the first default model was, or by an earlier move to a newer default) and not today's
 * default. A model someone activated through `updateScoringModel` is never one, even when it
 * equals an earlier default. Null otherwise.
 */
export async function activeEarlierDefault(db: Db): Promise<ActiveModel | null> {
  const active = await queryOne<ActiveModel & { shippedDefault: boolean }>(
    db,
    'select version, config, created_at as "createdAt", shipped_default as "shippedDefault" from scoring_model where active',
  );
  if (!active?.shippedDefault || canonicalJson(active.config) === canonicalJson(DEFAULT_SCORING_MODEL)) return null;
  return { version: active.version, config: active.config, createdAt: active.createdAt };
}

/** A model without the wording of its messages (its playbook actions' templates). */
function withoutWording(config: ScoringModelConfig): ScoringModelConfig {
  const copy = structuredClone(config);
  for (const playbook of copy.playbooks ?? [])
    for (const action of playbook.actions ?? []) delete (action as { template?: string }).template;
  return copy;
}

/**
 * An installation on an earlier default moves to the current default as a new version, activated as
 * any is (activateScoringModel: everyone rescored under it, unless only its playbook settings
 * differ). Returns the model now active, or null when it stays as it was. An earlier default that
 * differs only in the wording of its messages gets the new wording in place, under its version
 * (`activated` false: scoring reads the same model): words alone are no model an admin would want to
 * roll back to, and need no version of their own. Instances starting at once activate the new version
 * once: the others find it active (updateScoringModel serialises them).
 */
export async function adoptCurrentDefaultModel(services: Pick<CoreServices, 'onModelActivated'>, db: Db): Promise<UpdatedModel | null> {
  const earlier = await activeEarlierDefault(db);
  if (earlier === null) return null;
  if (canonicalJson(withoutWording(earlier.config)) !== canonicalJson(withoutWording(DEFAULT_SCORING_MODEL)))
    return activateScoringModel(services, db, structuredClone(DEFAULT_SCORING_MODEL), { shippedDefault: true });
  const config = structuredClone(DEFAULT_SCORING_MODEL);
  await query(db, 'update scoring_model set config = ?::jsonb where version = ?', [json(config), earlier.version]);
  return { ...earlier, config, activated: false, scoringChanged: false };
}

/**
 * Refuses tier or playbook keys that no version of the model defines (a typo, which would otherwise
 * match nothing, silently). Keys of earlier versions are accepted: customers keep an earlier model's
 * tier until rescored, and a filter may be set ahead of a model change back.
 */
export async function checkModelKeys(db: Db, kind: 'tiers' | 'playbooks', keys: readonly string[], argument: string): Promise<void> {
  if (keys.length === 0) return;
  const rows = await query<{ key: string; active: boolean }>(
    db,
    `select entry.value->>'key' as key, m.active
     from scoring_model m cross join lateral jsonb_array_elements(m.config->?) with ordinality entry
     order by entry.ordinality`,
    [kind],
  );
  const known = new Set([...rows.map((row) => row.key), ...DEFAULT_SCORING_MODEL[kind].map((entry) => entry.key)]);
  const unknown = keys.filter((key) => !known.has(key));
  if (unknown.length === 0) return;
  const active = rows.some((row) => row.active)
    ? rows.filter((row) => row.active).map((row) => row.key)
    : DEFAULT_SCORING_MODEL[kind].map((entry) => entry.key);
  const noun = kind === 'tiers' ? 'tier' : 'playbook';
  throw new InvalidInputError(
    `unknown ${noun}${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => JSON.stringify(key)).join(', ')}: the model's ${kind} are ${active.join(', ')}`,
    { argument },
  );
}
