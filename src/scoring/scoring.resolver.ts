// Scoring queries, mutations and live subscriptions. Subscriptions listen on the narrowest
// channel their arguments allow (see scoring.topics.ts).
import { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root, Subscription, UseMiddleware } from 'type-graphql';
import { RequireScope, RequireScopeBeforeRun } from '../auth/operation-scopes';
import { auditAdminAction } from '../auth/audit.middleware';
import { Scope } from '../auth/scopes';
import { checkCustomerFilter, checkCustomerId, getCustomer } from '../customers/customer.service';
import { Customer, CustomerConnection } from '../customers/customer.types';
import { joinedOrLoaded } from '../customers/joined-edges';
import type { GraphQLContext } from '../context';
import { ensure, NotFoundError } from '../infra/errors';
import { MAX_TOPICS_PER_SUBSCRIPTION } from '../infra/pubsub';
import { loadLatestChild } from '../infra/loaders';
import { ConnectionResult, pageSize } from '../infra/pagination';
import { DateTimeScalar } from '../infra/scalars';
import { selectedFields } from '../infra/selection';
import { describeHeldBack, riskReasons, ScoringModelConfig } from './model';
import {
  activateScoringModel,
  checkModelKeys,
  getActiveModel,
  getModelVersion,
  listTierPresets,
  loadModelVersion,
  loadScoringVersion,
  modelUpdateFrom,
} from './scoring-model.service';
import { listScoringRuns, refreshHealthScore, ScoringRunRecord } from './scoring.service';
import { refreshAllOnDemand } from './full-run-queue';
import { LifecycleStage, TierDirection } from './scoring.enums';
import {
  getHealthScoreAt,
  healthSummary,
  latestScoreSpec,
  listLatestScores,
  listTierChanges,
  loadCustomerScoreHistory,
  loadCustomerTierChanges,
  scoreHistory,
  worklist,
} from './health-score.queries';
import {
  CustomerTierChangesArgs,
  HealthScore,
  HealthScoreConnection,
  HealthScoresArgs,
  HealthSummary,
  HistoryArgs,
  RiskReason,
  ScoringModelInput,
  ScoringModelPreset,
  ScoringModelType,
  ScoringRun,
  ScoringRunConnection,
  ScoringRunsArgs,
  PenaltyScore,
  SCORE_LIST_COST,
  SignalScore,
  TierChange,
  TierChangeConnection,
  TierChangesArgs,
} from './scoring.types';
import { topics } from './scoring.topics';
import { decodePenalties, decodeSignals } from './signal-storage';
import { OutreachAction } from '../outreach/outreach.types';

function toModelType(model: { version: number; config: ScoringModelConfig; createdAt: Date }, active = true): ScoringModelType {
  return { version: model.version, tiers: model.config.tiers, config: model.config, createdAt: model.createdAt, active };
}

/** The latest score, reading the explanation columns only when `info` selects them. */
function latestScore(context: GraphQLContext, customerId: string, info: GraphQLResolveInfo): Promise<HealthScore | null> {
  return loadLatestChild<HealthScore>(context.db, context.loaders, customerId, latestScoreSpec(selectedFields(info)));
}

/**
 * The customer a subscription names, held to the checks of a customer id in a query (not empty, no
 * NUL, at most 200 characters), so a subscription that could never receive an event is refused.
 * A customer not created yet may be subscribed to.
 */
function subscribedCustomer(args: Record<string, unknown>): string | null {
  return args.customerId == null ? null : checkCustomerId(args.customerId as string);
}

@Resolver(() => TierChange)
export class TierChangeResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => Customer, { description: 'The customer this tier change belongs to (one statement per request for all of them).' })
  customer(@Root() row: { customerId: string }, @Ctx() { db, loaders }: GraphQLContext): Promise<Customer> {
    return getCustomer(db, loaders, row.customerId);
  }
}

const MAX_REASONS = 20;
const DEFAULT_REASONS = 3;

@Resolver(() => HealthScore)
export class ScoringResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => Customer, { description: 'The customer this score belongs to (one statement per request for all of them).' })
  customer(@Root() row: { customerId: string }, @Ctx() { db, loaders }: GraphQLContext): Promise<Customer> {
    return getCustomer(db, loaders, row.customerId);
  }

  @FieldResolver(() => [SignalScore], { complexity: SCORE_LIST_COST.signals })
  signals(@Root() score: HealthScore): SignalScore[] {
    // Rows read from health_score carry the stored (positional) form; scores fresh from the engine
    // carry objects. Both come out as objects.
    return decodeSignals(score.signals);
  }

  @FieldResolver(() => [PenaltyScore], { complexity: SCORE_LIST_COST.penalties })
  async penalties(
    @Root() score: HealthScore,
    @Ctx() { db, loaders }: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<PenaltyScore[]> {
    const penalties = decodePenalties(score.penalties ?? []);
    // The held-back conditions are stored by their position in the model: the model that scored it
    // says which they are. Read only when a query asks for them: a page of scores otherwise cost one
    // statement more (batched per request) whenever a flag among them was held back.
    const describe = selectedFields(info).has('heldBackBy') && penalties.some((p) => p.heldBackBy?.length);
    const model = describe ? await loadModelVersion(db, loaders, score.modelVersion) : null;
    return penalties.map((penalty, i) => ({ ...penalty, heldBackBy: describeHeldBack(model, penalty, i), kept: penalty.kept === true }));
  }

  @FieldResolver(() => Int, {
    description:
      "The first model version of the run modelVersion belongs to: versions activated one after another, each differing from the one before only in playbook settings, score every account alike, and their points are compared as one version's (tier changes, trend, score drops). Where it differs from the score before's, the model changed how it scores; a version that changed only playbook settings keeps it. The trend and score drops also compare across a version that changed only tiers, hysteresis, trend or lifecycle settings (a tier preset): it computes the same scores, though it places them otherwise.",
  })
  scoringVersion(@Root() score: { modelVersion: number }, @Ctx() { db, loaders }: GraphQLContext): Promise<number> {
    return loadScoringVersion(db, loaders, score.modelVersion);
  }

  @FieldResolver(() => [RiskReason], {
    description:
      'Why the score is not 100, the costliest first: the red flags applied and the signals below their best, ranked together by the points they cost (signals not measured, missing or held back by their condition, left out). The worklist and the alerts rank the same way.',
  })
  reasons(
    @Root() score: HealthScore,
    // Nullable, as every `first`: a null (a variable sent as null) is the default, not an error of
    // graphql-js's own that the formatter can only mask.
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_REASONS, description: 'How many, 1–20 (default 3).' })
    given: number | null,
  ): RiskReason[] {
    const first = pageSize(given, { max: MAX_REASONS, byDefault: DEFAULT_REASONS });
    return riskReasons(decodeSignals(score.signals), decodePenalties(score.penalties ?? []), first);
  }

  @RequireScope(Scope.READ)
  @Query(() => HealthScore, {
    nullable: true,
    description: 'The latest score of a customer (null until scored); NOT_FOUND for an unknown customer.',
  })
  async healthScore(
    @Arg('customerId', () => ID) customerId: string,
    @Ctx() context: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<HealthScore | null> {
    const customer = await getCustomer(context.db, context.loaders, customerId);
    return latestScore(context, customer.id, info);
  }

  @RequireScope(Scope.READ)
  @Query(() => HealthScoreConnection, {
    nullable: true,
    description:
      'The latest score of every scored customer, lowest first, lost ones included; narrowed by tier or a score range, of the accounts still to keep only.',
  })
  healthScores(@Args() args: HealthScoresArgs, @Ctx() { db }: GraphQLContext): Promise<ConnectionResult<HealthScore>> {
    return listLatestScores(db, args);
  }

  @RequireScope(Scope.READ)
  @Query(() => HealthScoreConnection, { nullable: true, description: "A customer's scores, newest asOf first." })
  async healthScoreHistory(
    @Arg('customerId', () => ID) customerId: string,
    @Args() args: HistoryArgs,
    @Ctx() context: GraphQLContext,
  ): Promise<ConnectionResult<HealthScore>> {
    await getCustomer(context.db, context.loaders, customerId);
    return scoreHistory(context.db, customerId, args);
  }

  @RequireScope(Scope.READ)
  @Query(() => HealthSummary, {
    nullable: true,
    description:
      'The tier distribution (customers and ARR per tier) of the customers still to keep, their average and component scores and lifecycle counts, with the churned counted apart.',
  })
  healthSummary(
    @Arg('csmOwner', () => String, { nullable: true, description: "Only this CSM owner's accounts." }) csmOwner: string | null,
    @Arg('plan', () => String, { nullable: true, description: "Only this plan's accounts." }) plan: string | null,
    @Ctx() { db }: GraphQLContext,
  ): Promise<HealthSummary> {
    return healthSummary(db, { csmOwner, plan });
  }

  @RequireScope(Scope.READ)
  @Query(() => CustomerConnection, {
    nullable: true,
    description: 'Accounts in the two worst tiers, by ARR × risk, then by their latest decline.',
  })
  worklist(
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1–500 (default 50).' }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: 'Cursor of the last edge of the previous page.' }) after: string | null,
    @Arg('csmOwner', () => String, { nullable: true, description: "Only this CSM owner's accounts." }) csmOwner: string | null,
    @Arg('tier', () => String, { nullable: true, description: 'Only this tier (one of the two worst).' }) tier: string | null,
    @Arg('lifecycleStage', () => LifecycleStage, { nullable: true, description: 'Only accounts in this lifecycle stage.' })
    lifecycleStage: LifecycleStage | null,
    @Arg('plan', () => String, { nullable: true, description: "Only this plan's accounts." }) plan: string | null,
    @Ctx() { db }: GraphQLContext,
  ): Promise<ConnectionResult<Customer>> {
    return worklist(db, first, after, { csmOwner, plan, tier, lifecycleStage });
  }

  @RequireScope(Scope.READ)
  @Query(() => TierChangeConnection, {
    nullable: true,
    description: 'Tier transitions in time order; `since` catches up after a reconnect.',
  })
  async tierChanges(@Args() args: TierChangesArgs, @Ctx() { db, loaders }: GraphQLContext): Promise<ConnectionResult<TierChange>> {
    await checkCustomerFilter(db, loaders, args.customerId);
    return listTierChanges(db, args);
  }

  @RequireScope(Scope.READ)
  @Query(() => [ScoringModelPreset], {
    nullable: true,
    description: "The tier presets updateScoringModel(input: { tierPreset }) takes; four_tier is the default model's.",
  })
  async scoringModelPresets(@Ctx() { db }: GraphQLContext): Promise<ScoringModelPreset[]> {
    return listTierPresets(db);
  }

  @RequireScope(Scope.READ)
  @Query(() => ScoringModelType, {
    nullable: true,
    description:
      'The active model, or a stored version of it (every version stays stored: roll back with updateScoringModel(input: { config }) given its config).',
  })
  async scoringModel(
    @Arg('version', () => Int, { nullable: true, description: 'A stored version (1 and up); the active one when omitted.' })
    version: number | null | undefined,
    @Ctx() { db }: GraphQLContext,
  ): Promise<ScoringModelType> {
    if (version == null) return toModelType(await getActiveModel(db));
    ensure(version >= 1, 'version must be 1 or more', { argument: 'version' });
    const stored = await getModelVersion(db, version);
    if (!stored) throw new NotFoundError(`scoring model version ${version} does not exist`, { argument: 'version' });
    return toModelType(stored, stored.active);
  }

  @RequireScope(Scope.ADMIN)
  @UseMiddleware(
    auditAdminAction('scoringModel.update', {
      target: (_args, model) => String((model as ScoringModelType).version),
      details: (args) => ({ tierPreset: (args.input as ScoringModelInput).tierPreset?.trim() ?? null }),
    }),
  )
  @Mutation(() => ScoringModelType, {
    nullable: true,
    description:
      'Validates and activates a new model version. Scores record the version they used. A config equal to the active one (a preset already applied) changes nothing: the answer is the active model, and nothing is rescored. One that changes only playbook settings (playbooks, cooldownDays, escalationArrCents, silenceAlertDays, silenceAlertGaps, scoreDrop) is a new version that scores as the one before: nothing is rescored, and trends, score drops and tier changes compare across the two as within one version.',
  })
  async updateScoringModel(
    @Arg('input', () => ScoringModelInput) input: ScoringModelInput,
    @Ctx() { db, services }: GraphQLContext,
  ): Promise<ScoringModelType> {
    return toModelType(await activateScoringModel(services, db, modelUpdateFrom(input)));
  }

  @RequireScope(Scope.ADMIN)
  @UseMiddleware(
    auditAdminAction('healthScore.refresh', {
      // The id as stored (trimmed), as the opt-out's entry names it, not as the caller typed it.
      target: (_args, score) => (score as HealthScore).customerId,
      details: (args) => ({ asOf: args.asOf ?? null }),
    }),
  )
  @Mutation(() => HealthScore, {
    nullable: true,
    description: 'Scores one customer now, or as of a past time (only signals up to asOf count).',
  })
  async refreshHealthScore(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('asOf', () => DateTimeScalar, { nullable: true }) asOf: Date | null,
    @Ctx() { db, services }: GraphQLContext,
  ): Promise<HealthScore> {
    const scored = await refreshHealthScore(services, db, checkCustomerId(customerId), asOf);
    return getHealthScoreAt(db, scored.customerId, scored.asOf);
  }

  @RequireScope(Scope.READ)
  @Query(() => ScoringRunConnection, {
    nullable: true,
    description:
      'Full scoring runs (hourly, refreshAllHealthScores, a model change), newest first: how each ended, and why a FAILED one failed.',
  })
  scoringRuns(@Args() args: ScoringRunsArgs, @Ctx() { db }: GraphQLContext): Promise<ConnectionResult<ScoringRunRecord>> {
    return listScoringRuns(db, args);
  }

  @RequireScope(Scope.ADMIN)
  @UseMiddleware(
    auditAdminAction('scoring.fullRun', {
      target: (_args, run) => (run as ScoringRun).id,
      details: (args, run) => ({ asOf: args.asOf ?? null, status: (run as ScoringRun).status }),
    }),
  )
  @Mutation(() => ScoringRun, {
    nullable: true,
    description:
      'Scores every customer as of asOf (default now). Waits for a run already in progress; RATE_LIMITED when too many already wait on this instance; SCORING_HELD_OFF, nothing written, for a run as of now while a bulk load or a first-start backfill holds live scoring off.',
  })
  async refreshAllHealthScores(
    @Arg('asOf', () => DateTimeScalar, { nullable: true }) asOf: Date | null,
    @Ctx() { db, services }: GraphQLContext,
  ): Promise<ScoringRun> {
    // Its turn on this instance first, holding nothing; then the lock, on a session of its own.
    return (await refreshAllOnDemand(services, db, asOf, services.fullRunQueue)) as ScoringRun;
  }

  @RequireScope(Scope.READ)
  @Subscription(() => TierChange, {
    description: 'Tier changes as they are committed, filtered by customer, new tier and direction.',
    subscribe: async ({ args, context }) => {
      const { db, services } = context as GraphQLContext;
      const { pubsub } = services;
      const direction = (args.direction as string | null | undefined) ?? null;
      const given = (args.tiers as string[] | null | undefined) ?? null;
      // An empty list would read as "none" to one client and as "any" to another, as a destination's filter: null is "any".
      ensure(given === null || given.length > 0, 'tiers must name at least one tier, or be null to match every one', { argument: 'tiers' });
      ensure((given ?? []).length <= MAX_TOPICS_PER_SUBSCRIPTION, `a subscription names at most ${MAX_TOPICS_PER_SUBSCRIPTION} tiers`, {
        argument: 'tiers',
        max: MAX_TOPICS_PER_SUBSCRIPTION,
      });
      const tiers = new Set(given ?? []);
      await checkModelKeys(db, 'tiers', [...tiers], 'tiers');
      const customerId = subscribedCustomer(args);
      if (customerId === null) {
        return pubsub.subscribeAll(
          tiers.size > 0
            ? [...tiers].map((tier) => topics.tierChanges(null, tier, direction))
            : [topics.tierChanges(null, null, direction)],
        );
      }
      // Channels are per customer: only a customer together with tiers needs a check per event.
      const accept = tiers.size > 0 ? (payload: unknown) => tiers.has((payload as TierChange).toTier) : undefined;
      return pubsub.subscribeAll([topics.tierChanges(customerId, null, direction)], accept);
    },
  })
  healthTierChanged(
    @Root() change: TierChange,
    @Arg('customerId', () => ID, { nullable: true, description: "Only this customer's tier changes." }) _customerId: string | null,
    @Arg('tiers', () => [String], {
      nullable: true,
      description: 'Only changes into one of these tiers (`toTier`): a change out of one of them into another is not sent.',
    })
    _tiers: string[] | null,
    @Arg('direction', () => TierDirection, { nullable: true, description: 'Only changes in this direction (WORSENED, IMPROVED or NEW).' })
    _direction: TierDirection | null,
  ): TierChange {
    return change;
  }

  @RequireScope(Scope.READ)
  @Subscription(() => OutreachAction, {
    description: 'Outreach actions as they are logged (including skipped and suppressed ones).',
    topics: ({ args }) => topics.outreachLogged(subscribedCustomer(args)),
  })
  outreachLogged(
    @Root() action: OutreachAction,
    @Arg('customerId', () => ID, { nullable: true, description: "Only this customer's outreach actions." }) _customerId: string | null,
  ): OutreachAction {
    return action;
  }

  @RequireScope(Scope.READ)
  @Subscription(() => HealthScore, {
    description: 'New scores of one customer, or of every customer scored outside full runs.',
    topics: ({ args }) => topics.scoreUpdated(subscribedCustomer(args)),
  })
  healthScoreUpdated(
    @Root() score: HealthScore,
    @Arg('customerId', () => ID, { nullable: true, description: "Every new score of this customer, full runs' included." })
    _customerId: string | null,
  ): HealthScore {
    return score;
  }
}

@Resolver(() => Customer)
export class CustomerScoreResolver {
  /** Batched per page, unless a page of customers joined it already (src/customers/joined-edges.ts). */
  @RequireScopeBeforeRun(Scope.READ)
  @FieldResolver(() => HealthScore, { nullable: true, description: 'The latest scoring, with components and signals.' })
  currentScore(
    @Root() customer: { id: string },
    @Ctx() context: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): HealthScore | null | Promise<HealthScore | null> {
    return joinedOrLoaded(customer, 'currentScore', () => latestScore(context, customer.id, info));
  }

  @RequireScope(Scope.READ)
  @FieldResolver(() => TierChangeConnection, { description: "The customer's tier changes, newest first." })
  tierChanges(
    @Root('id') customerId: string,
    @Args() args: CustomerTierChangesArgs,
    @Ctx() { db, loaders }: GraphQLContext,
  ): Promise<ConnectionResult<TierChange>> {
    return loadCustomerTierChanges(db, loaders, customerId, args);
  }

  @RequireScope(Scope.READ)
  @FieldResolver(() => HealthScoreConnection)
  scoreHistory(
    @Root('id') customerId: string,
    @Args() args: HistoryArgs,
    @Ctx() { db, loaders }: GraphQLContext,
  ): Promise<ConnectionResult<HealthScore>> {
    return loadCustomerScoreHistory(db, loaders, customerId, args);
  }
}
