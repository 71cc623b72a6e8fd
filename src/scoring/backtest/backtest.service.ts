// Does the score predict churn? The backtest scores every account as of each instant of a past
// grid and measures the result against the churn labels (`churnedAt`) known today; the suggestion
// fits the signal weights to that history; the preview shows what a model would change now. All
// three leave the scoring state as it was: no history, tier change, outreach or event is written or
// published (the default model is stored on first use, as by any reader: getActiveModel), so one whose
// `signal` aborts (its client went away: src/infra/abandoned-request.ts) just stops, between batches.
import { ensure, InvalidInputError, NotFoundError } from '../../infra/errors';
import { CLOCK_SLACK_MS } from '../../infra/input';
import { decodeCursor, encodeCursor, PageInfo, pageInfoOf, pageSize } from '../../infra/pagination';
import { Db, json, query } from '../../infra/sql';
import { getActiveModel, getModelVersion, loadModelConfigs } from '../scoring-model.service';
import {
  Assessment,
  assessCustomer,
  carriedFlags,
  excusedFromFlags,
  flagsDefinedAlike,
  LifecycleStage,
  readsPreviousFlags,
  ScoringModelConfig,
  silencePromiseWarnings,
  TierBand,
  validateModel,
} from '../model';
import { BacktestReport, evaluateBacktest } from './evaluate';
import { EvaluationSlots } from './evaluation-slots';
import { fitSignalWeightsOffThread } from './fit-off-thread';
import { FittedWeights, NothingToWeightError } from './fit-weights';
import {
  AccountFacts,
  assessedSnapshots,
  collectSnapshots,
  gatheringFor,
  gridInstants,
  isCustomerAt,
  loadAccounts,
  inTurns,
  scoreSnapshotsInTurns,
  SnapshotGrid,
  SnapshotSet,
} from './snapshots';
import { gatherMetrics } from '../gather-metrics.sql';
import { appliedPenaltyNames } from '../signal-storage';

const DAY_MS = 86_400_000;
/**
 * The most instants one backtest scores: a year of daily snapshots (or seven of weekly ones). Each
 * instant is one gathering statement per batch of accounts, so this bounds the statements of a small
 * population; MAX_SNAPSHOTS bounds a large one's memory.
 */
export const MAX_SNAPSHOT_INSTANTS = 366;
export const DEFAULT_HORIZON_DAYS = 30;
export const DEFAULT_STEP_DAYS = 7;
/** Two evaluations run at once per instance, eight more wait (evaluation-slots.ts says why). */
const evaluationSlots = new EvaluationSlots(2, 8);
/** Below this many churned accounts, fitted weights are noted as resting on too few to mean much. */
export const FEW_CHURNERS = 10;

export interface BacktestRequest {
  /** A stored model version, or a full config; the active model when neither is given. */
  model?: { version?: number | null; config?: unknown } | null;
  from: Date;
  to: Date;
  stepDays?: number | null;
  /** stepDays under another name (see BacktestGridInput.step). */
  step?: number | null;
  horizonDays?: number | null;
}

export interface ModelUnderTest {
  /** The stored version, or null for a config given inline. */
  version: number | null;
  config: ScoringModelConfig;
}

/**
 * Validates a config given inline; every rule of `updateScoringModel` applies, against the `active`
 * model as it does (a day count kept from it unchanged is taken as it was stored: checkModel).
 */
export function checkedConfig(config: unknown, argument: string, active: ScoringModelConfig): ScoringModelConfig {
  ensure(config !== null && typeof config === 'object' && !Array.isArray(config), `${argument} must be a scoring model (a JSON object)`, {
    argument,
  });
  const errors = validateModel(config as ScoringModelConfig, { active });
  ensure(errors.length === 0, `invalid scoring model: ${errors.join('; ')}`, { argument, problems: errors });
  return config as ScoringModelConfig;
}

async function modelUnderTest(db: Db, model: BacktestRequest['model']): Promise<ModelUnderTest> {
  ensure(!(model?.version != null && model?.config != null), 'give a model version or a config, not both', { argument: 'model' });
  if (model?.config != null)
    return { version: null, config: checkedConfig(model.config, 'model.config', (await getActiveModel(db)).config) };
  if (model?.version != null) {
    // As scoringModel answers it: version 1 of an installation nothing has scored yet is the default, stored on first use.
    const row = await getModelVersion(db, model.version);
    if (!row) throw new NotFoundError(`scoring model version ${model.version} does not exist`, { argument: 'model.version' });
    return { version: model.version, config: row.config };
  }
  const active = await getActiveModel(db);
  return { version: active.version, config: active.config };
}

/**
 * A grid's end: a date-time not in the future. Within the clock slack ahead it is now (as a scoring's
 * asOf): no snapshot lies ahead of now. Its own check, so that a caller whose start is counted back
 * from it (`npm run backtest` without --from) can refuse a future end for itself, before the start.
 */
export function checkedEnd(to: Date, now = Date.now()): Date {
  ensure(to instanceof Date && !Number.isNaN(to.getTime()), 'to must be a date-time', { argument: 'to' });
  ensure(to.getTime() <= now + CLOCK_SLACK_MS, 'to must not be in the future: a backtest replays the past', { argument: 'to' });
  return to.getTime() > now ? new Date(now) : to;
}

/** Checks a grid and horizon: past instants only, a bounded number of them. */
export function checkedGrid(
  input: { from: Date; to: Date; stepDays?: number | null; step?: number | null; horizonDays?: number | null },
  now = Date.now(),
): SnapshotGrid & { horizonDays: number } {
  const { from } = input;
  ensure(
    input.stepDays == null || input.step == null || input.stepDays === input.step,
    'give stepDays or step (the same), not two values',
    {
      argument: 'step',
    },
  );
  const stepDays = input.stepDays ?? input.step ?? DEFAULT_STEP_DAYS;
  // A refusal of the step names the field the client sent it in.
  const stepArgument = input.stepDays == null && input.step != null ? 'step' : 'stepDays';
  const horizonDays = input.horizonDays ?? DEFAULT_HORIZON_DAYS;
  ensure(
    from instanceof Date && !Number.isNaN(from.getTime()) && from.getTime() >= Date.UTC(1970, 0, 1),
    'from must be a date-time from 1970 on',
    { argument: 'from' },
  );
  // Before `to`: a grid that starts in the future is refused for its start, whatever its end says.
  ensure(from.getTime() <= now, 'from must not be in the future: a backtest replays the past', { argument: 'from' });
  const to = checkedEnd(input.to, now);
  // A `from` in the past, `to` is what ends the grid too early: as for a grid of a single instant below.
  ensure(from.getTime() < to.getTime(), 'to must be after from', { argument: 'to' });
  ensure(Number.isInteger(stepDays) && stepDays >= 1 && stepDays <= 90, `${stepArgument} must be a whole number of days within 1…90`, {
    argument: stepArgument,
  });
  ensure(
    Number.isInteger(horizonDays) && horizonDays >= 1 && horizonDays <= 365,
    'horizonDays must be a whole number of days within 1…365',
    { argument: 'horizonDays' },
  );
  const instants = Math.floor((to.getTime() - from.getTime()) / (stepDays * DAY_MS)) + 1;
  // As `from` = `to`: one instant follows no account over time (and its false alarms per 90 days would read its span as none).
  ensure(instants >= 2, `from…to holds a single instant: it must span at least one step (${stepArgument}: ${stepDays})`, {
    argument: 'to',
  });
  ensure(
    instants <= MAX_SNAPSHOT_INSTANTS,
    `the grid has ${instants} instants; at most ${MAX_SNAPSHOT_INSTANTS} (widen ${stepArgument} or narrow from…to)`,
    { argument: stepArgument },
  );
  return { from, to, stepDays, stepArgument, horizonDays };
}

async function report(
  set: SnapshotSet,
  config: ScoringModelConfig,
  horizonDays: number,
  now: Date,
  signal: AbortSignal | undefined,
): Promise<BacktestReport> {
  const labels = set.accounts.map((a) => ({ customerId: a.id, churnedAt: a.churnedAt }));
  const scores = await scoreSnapshotsInTurns(set, config, signal);
  return evaluateBacktest(scores, labels, { tiers: config.tiers, horizonDays, labelsKnownUntil: now });
}

export interface BacktestResult {
  model: ModelUnderTest;
  report: BacktestReport;
  instants: number;
}

/** The backtest of `request`; when `signal` aborts, it leaves the queue or stops, and throws its reason. */
export async function runBacktest(db: Db, request: BacktestRequest, signal?: AbortSignal): Promise<BacktestResult> {
  const now = new Date();
  const grid = checkedGrid(request, now.getTime());
  const model = await modelUnderTest(db, request.model);
  return evaluationSlots.run(async () => {
    const set = await collectSnapshots(db, model.config, grid, { signal });
    return { model, report: await report(set, model.config, grid.horizonDays, now, signal), instants: gridInstants(grid).length };
  }, signal);
}

/**
 * The fitting rows: each snapshot whose horizon has elapsed, as the normalised value of every
 * signal (a missing one at its neutral value, or 1 — no sign of risk — when it would be excluded),
 * labelled 1 when the account churned within the horizon after it. A snapshot in a stage the
 * worklist leaves out whatever its tier (excusedFromFlags: onboarding, or churned by silence) is
 * left out, as the report counts it as no flag: an account silent past the churn window, which the
 * product already treats as gone, would otherwise teach the fit that silence precedes staying.
 * `observed` counts the snapshots whose horizon has elapsed, kept or not.
 */
async function trainingSet(set: SnapshotSet, config: ScoringModelConfig, horizonDays: number, now: Date, signal: AbortSignal | undefined) {
  const signals = config.components.flatMap((c) => c.signals);
  const features: number[][] = [];
  const labels: (0 | 1)[] = [];
  const churners = new Set<string>();
  const horizonMs = horizonDays * DAY_MS;
  let observed = 0;
  for await (const { snapshot, assessment } of inTurns(assessedSnapshots(set, config), signal)) {
    const at = snapshot.asOf.getTime();
    if (at + horizonMs > now.getTime()) continue;
    observed += 1;
    if (excusedFromFlags(assessment.lifecycleStage)) continue;
    features.push(assessment.result.signals.map((s) => s.value ?? 1));
    const churnedAt = snapshot.account.churnedAt?.getTime();
    const churnsWithin = churnedAt !== undefined && churnedAt > at && churnedAt <= at + horizonMs;
    labels.push(churnsWithin ? 1 : 0);
    if (churnsWithin) churners.add(snapshot.account.id);
  }
  return { signalNames: signals.map((s) => s.name), features, labels, churners: churners.size, observed };
}

export interface SuggestedModel {
  config: ScoringModelConfig;
  fit: FittedWeights;
  /** Churned accounts among the fitted rows' positives. */
  churners: number;
  /** What a reader should know before applying the weights (too few churners to rest on). */
  warnings: string[];
  current: BacktestResult;
  suggested: BacktestReport;
}

/**
 * Fits the active model's signal weights to the labelled history (regularised logistic regression,
 * weights kept ≥ 0, see fit-weights.ts) and backtests the result beside the current model on the
 * same snapshots. Applying it is an explicit `updateScoringModel`. `signal` stops it as it does a backtest,
 * the fit's worker thread too.
 */
export async function suggestScoringModel(db: Db, request: Omit<BacktestRequest, 'model'>, signal?: AbortSignal): Promise<SuggestedModel> {
  const now = new Date();
  const grid = checkedGrid(request, now.getTime());
  const active = await getActiveModel(db);
  return evaluationSlots.run(async () => {
    const set = await collectSnapshots(db, active.config, grid, { signal });
    return suggestionFrom(set, active, grid, now, signal);
  }, signal);
}

/** What the suggestion gives up: the signals the active model weights and the fit does not. */
function droppedSignalWarnings(active: ScoringModelConfig, suggested: ScoringModelConfig): string[] {
  const weightOf = (model: ScoringModelConfig) => new Map(model.components.flatMap((c) => c.signals.map((s) => [s.name, s.weight])));
  const before = weightOf(active);
  const dropped = [...weightOf(suggested)].filter(([name, weight]) => weight === 0 && (before.get(name) ?? 0) > 0).map(([name]) => name);
  if (dropped.length === 0) return [];
  return [`weight 0 for ${dropped.join(', ')}: the suggested score ignores ${dropped.length === 1 ? 'it' : 'them'}`];
}

/**
 * BAD_USER_INPUT naming `from` when the history holds no row at all, for its cause: no account
 * observed in from…to, no snapshot whose horizon has elapsed by now, or only snapshots the fit
 * leaves out (trainingSet). Said before "no account churned", which would blame the labels.
 */
function ensureSomethingToFit(set: SnapshotSet, training: { labels: unknown[]; observed: number }, horizonDays: number): void {
  ensure(set.snapshots.length > 0, 'no account was a customer at any instant of from…to: nothing to fit on', { argument: 'from' });
  ensure(
    training.observed > 0,
    `no snapshot of from…to has its horizon (${horizonDays} days after it) elapsed by now: nothing to fit on ` +
      '(move from…to earlier, or shorten horizonDays)',
    { argument: 'from' },
  );
  ensure(
    training.labels.length > 0,
    'every snapshot of from…to whose horizon has elapsed is of an account onboarding or churned by silence, which the fit leaves out: nothing to fit on',
    { argument: 'from' },
  );
}

/** Fits the weights to a collected history; BAD_USER_INPUT naming `from` (the range to widen) when it holds nothing to fit. */
async function suggestionFrom(
  set: SnapshotSet,
  active: { version: number; config: ScoringModelConfig },
  grid: SnapshotGrid & { horizonDays: number },
  now: Date,
  signal: AbortSignal | undefined,
): Promise<SuggestedModel> {
  const training = await trainingSet(set, active.config, grid.horizonDays, now, signal);
  ensureSomethingToFit(set, training, grid.horizonDays);
  ensure(
    training.labels.some((l) => l === 1),
    'no account churned within the horizon of a snapshot whose horizon has elapsed in from…to: nothing to fit to',
    { argument: 'from' },
  );
  ensure(
    training.labels.some((l) => l === 0),
    'every snapshot of from…to the fit reads was followed by churn: nothing to tell apart',
    { argument: 'from' },
  );
  let fit: FittedWeights;
  try {
    fit = await fitSignalWeightsOffThread(training, {}, signal);
  } catch (error) {
    if (!(error instanceof NothingToWeightError)) throw error;
    throw new InvalidInputError(
      'no signal of the active model is worse before churn than otherwise in from…to: nothing to weight (widen from…to, or label more churned accounts)',
      { argument: 'from' },
    );
  }
  const warnings =
    training.churners < FEW_CHURNERS
      ? [
          `fitted to ${training.churners} churned account${training.churners === 1 ? '' : 's'}: too few for the weights to mean much; ` +
            `backtest them on a longer history before applying them`,
        ]
      : [];
  const config: ScoringModelConfig = structuredClone(active.config);
  for (const component of config.components) {
    for (const signal of component.signals) signal.weight = fit.weights[signal.name] ?? 0;
  }
  // Above all, silence: the promise that a daily account going quiet drops a tier within days rests
  // on its weight, and a history whose churners faded slowly gives it little or none.
  warnings.push(...droppedSignalWarnings(active.config, config), ...silencePromiseWarnings(active.config, config));
  return {
    config,
    fit,
    churners: training.churners,
    warnings,
    current: {
      model: { version: active.version, config: active.config },
      report: await report(set, active.config, grid.horizonDays, now, signal),
      instants: gridInstants(grid).length,
    },
    suggested: await report(set, config, grid.horizonDays, now, signal),
  };
}

export interface TierMove {
  customerId: string;
  name: string;
  arrCents: number;
  /** The tier the active model gives it now, and its score under that model then. */
  fromTier: string;
  fromScore: number;
  toTier: string;
  toScore: number;
}

export interface ModelPreview {
  /** Customers per tier of the active model, scored now (not their stored tiers, which may be older). */
  current: Array<{ tier: string; label: string; count: number }>;
  /** Customers per tier of the proposed model, scored at the same instant from the same metrics. */
  proposed: Array<{ tier: string; label: string; count: number }>;
  changed: number;
  /** A page of the customers that would change tier, largest ARR first (at most `first`, after `after`). */
  changes: TierMove[];
  changesPageInfo: PageInfo;
}

/** Customers per gathering statement of the preview, as in a scoring run. */
const PREVIEW_BATCH_SIZE = 2000;

/** The order a preview's cursor names (encodeCursor). */
const PREVIEW_ORDER = 'preview:arr-desc,id';

/** The moves after a page's cursor (ARR and customer id of its last move) in the order the preview lists them. */
function movesAfter(moves: TierMove[], after: string | null): TierMove[] {
  // An empty cursor is none, as in the keyset lists (infra/pagination).
  if (!after) return moves;
  const [arr, customerId] = decodeCursor(after, PREVIEW_ORDER, 2);
  const arrCents = Number(arr);
  ensure(Number.isSafeInteger(arrCents), 'after is not a cursor of this list', { argument: 'after' });
  return moves.filter((m) => m.arrCents < arrCents || (m.arrCents === arrCents && m.customerId > customerId));
}

/** What a customer's latest score passes on to a scoring under another model, as the next scoring would take it. */
interface LatestPoint {
  /** The tier bands of the model version that scored it: its tier is held only where they agree (tierHeldFrom). */
  bands: readonly TierBand[] | null;
  /**
   * The flags it applied that the scoring carries on: those the model defines as that version did
   * (carriedFlags), as the next scoring would widen them. Null when the model does not read them.
   */
  flags: ReadonlySet<string> | null;
}

/**
 * Each customer's latest score as a scoring under each of `models` would start from it: one map by
 * customer id per model, in the order of `models`, from one statement.
 */
async function latestPoints(db: Db, ids: string[], models: readonly ScoringModelConfig[]): Promise<Array<Map<string, LatestPoint>>> {
  const readFlags = models.some(readsPreviousFlags);
  const rows = await query<{ id: string; version: number | null; applied?: string[] | null }>(
    db,
    `select c.id, latest.model_version as version${readFlags ? `, ${appliedPenaltyNames('latest.penalties')} as applied` : ''}
     from jsonb_array_elements_text(?::jsonb) as c(id)
     left join lateral (select h.model_version${readFlags ? ', h.penalties' : ''} from health_score h where h.customer_id = c.id
                        order by h.as_of desc, h.id desc limit 1) latest on true`,
    [json(ids)],
  );
  const versions = await loadModelConfigs(
    db,
    rows.filter((row) => row.version !== null).map((row) => row.version as number),
  );
  return models.map((model) => {
    const alike = readsPreviousFlags(model)
      ? new Map([...versions].map(([version, previous]) => [version, flagsDefinedAlike(previous, model)]))
      : null;
    return new Map(
      rows.map((row) => {
        const version = row.version as number;
        return [
          row.id,
          {
            bands: versions.get(version)?.tiers ?? null,
            flags: alike ? carriedFlags(row.applied ?? [], alike.get(version) ?? null) : null,
          },
        ];
      }),
    );
  });
}

/** One customer scored now by the active model and by the proposed one, from the same metrics and the same latest score. */
interface PreviewedCustomer {
  account: AccountFacts;
  current: Assessment;
  proposed: Assessment;
}

/**
 * A batch of customers through both models at `asOf`: their metrics gathered once, for what either
 * model reads, and scored twice in memory, a slice per turn of the event loop (`inTurns`).
 */
async function previewBatch(
  db: Db,
  batch: AccountFacts[],
  models: { active: ScoringModelConfig; proposed: ScoringModelConfig },
  asOf: Date,
  signal: AbortSignal | undefined,
): Promise<PreviewedCustomer[]> {
  const ids = batch.map((a) => a.id);
  const { requests, activityLookbackDays } = gatheringFor([models.active, models.proposed]);
  const gathered = await gatherMetrics(db.fork() as Db, ids, asOf, requests, activityLookbackDays);
  const [latestActive, latestProposed] = await latestPoints(db, ids, [models.active, models.proposed]);
  const previewed: PreviewedCustomer[] = [];
  for await (const account of inTurns(batch, signal)) {
    const { metrics, lastActivityAt } = gathered.get(account.id) ?? { metrics: {}, lastActivityAt: null };
    const assess = (model: ScoringModelConfig, latest: LatestPoint | undefined) =>
      assessCustomer({
        model,
        metrics,
        asOf,
        signedUpAt: account.signedUpAt,
        startedAt: account.startedAt,
        churnedAt: account.churnedAt,
        lastActivityAt,
        firstActivityAt: account.firstActivityAt,
        previousTierKey: account.tier,
        previousBands: latest?.bands ?? null,
        earlierScore: null,
        previousPenalties: latest?.flags ?? null,
      });
    previewed.push({
      account,
      current: assess(models.active, latestActive.get(account.id)),
      proposed: assess(models.proposed, latestProposed.get(account.id)),
    });
  }
  return previewed;
}

/** Whether a preview's assessment is CHURNED (by its silence): in no tier, as healthSummary counts the book. */
function excusedByChurn(assessment: Pick<Assessment, 'lifecycleStage'>): boolean {
  return assessment.lifecycleStage === LifecycleStage.CHURNED;
}

/**
 * Every customer scored now under the active model and under `config`, at the same instant from the
 * same metrics and the same latest score, so the changes are the config's alone (not those time has
 * made since the last scoring); nothing is written. The changes are paged by keyset (ARR, then
 * customer id), so a page follows on from the last one seen even when scores have moved in between.
 * `signal` stops it between batches of customers.
 */
export async function previewScoringModel(
  db: Db,
  configInput: unknown,
  { first: given = null, after = null }: { first?: number | null; after?: string | null } = {},
  signal?: AbortSignal,
): Promise<ModelPreview> {
  const first = pageSize(given);
  const active = await getActiveModel(db);
  const config = checkedConfig(configInput, 'config', active.config);
  // A bad cursor is refused before every customer is scored.
  movesAfter([], after);
  return evaluationSlots.run(() => previewOf(db, { active: active.config, proposed: config }, { first, after }, signal), signal);
}

async function previewOf(
  db: Db,
  models: { active: ScoringModelConfig; proposed: ScoringModelConfig },
  { first, after }: { first: number; after: string | null },
  signal: AbortSignal | undefined,
): Promise<ModelPreview> {
  const asOf = new Date();
  // Customers now: started, and not churned (a churned account has no tier to move to).
  const customers = (await loadAccounts(db)).filter((a) => isCustomerAt(a, asOf));
  const moves: TierMove[] = [];
  const current = new Map<string, number>();
  const proposed = new Map<string, number>();
  for (let start = 0; start < customers.length; start += PREVIEW_BATCH_SIZE) {
    signal?.throwIfAborted();
    const batch = customers.slice(start, start + PREVIEW_BATCH_SIZE);
    for (const { account, current: now, proposed: next } of await previewBatch(db, batch, models, asOf, signal)) {
      // Counted as healthSummary counts the book: an account CHURNED by its silence keeps a tier but is in none.
      if (!excusedByChurn(now)) current.set(now.tier.key, (current.get(now.tier.key) ?? 0) + 1);
      if (!excusedByChurn(next)) proposed.set(next.tier.key, (proposed.get(next.tier.key) ?? 0) + 1);
      // An account churned under both has no tier to move between, whatever the two would place it in.
      if (next.tier.key === now.tier.key || (excusedByChurn(now) && excusedByChurn(next))) continue;
      const { id: customerId, name, arrCents } = account;
      moves.push({
        customerId,
        name,
        arrCents,
        fromTier: now.tier.key,
        fromScore: now.result.score,
        toTier: next.tier.key,
        toScore: next.result.score,
      });
    }
  }
  moves.sort((a, b) => b.arrCents - a.arrCents || (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
  const rest = movesAfter(moves, after);
  const page = rest.slice(0, first);
  const counts = (bands: ScoringModelConfig['tiers'], tally: Map<string, number>) =>
    [...bands]
      .sort((a, b) => a.severity - b.severity)
      .map((band) => ({ tier: band.key, label: band.label, count: tally.get(band.key) ?? 0 }));
  return {
    current: counts(models.active.tiers, current),
    proposed: counts(models.proposed.tiers, proposed),
    changed: moves.length,
    changes: page,
    changesPageInfo: pageInfoOf(
      page.map((move) => ({ cursor: encodeCursor(PREVIEW_ORDER, [String(move.arrCents), move.customerId]) })),
      rest.length > page.length,
      after,
    ),
  };
}
