// The model-evaluation queries: backtest, fitted weights and the what-if preview. They change no
// scoring state (only the audit row and the key's use are recorded), so they are queries; applying a
// suggestion is an explicit updateScoringModel.
import { Arg, Ctx, Int, Query, Resolver, UseMiddleware } from 'type-graphql';
import { RequireScope } from '../../auth/operation-scopes';
import { auditAdminAction } from '../../auth/audit.middleware';
import { Scope } from '../../auth/scopes';
import type { GraphQLContext } from '../../context';
import { JSONScalar } from '../../infra/scalars';
import {
  BacktestResult,
  DEFAULT_HORIZON_DAYS,
  DEFAULT_STEP_DAYS,
  previewScoringModel,
  runBacktest,
  suggestScoringModel,
} from './backtest.service';
import { BacktestInput, BacktestReport, ScoringModelPreview, SuggestedScoringModel, SuggestScoringModelInput } from './backtest.types';

function toReport(result: BacktestResult): BacktestReport {
  return { ...result.report, modelVersion: result.model.version, instants: result.instants };
}

/**
 * What the audit log keeps of an evaluation's input: its grid (defaults filled in) and model version
 * (the active one's when none was given, as the answer names it), not a whole config.
 */
function gridDetails(input: unknown, answer?: unknown): Record<string, unknown> {
  const { from, to, stepDays, step, horizonDays, model } = input as BacktestInput;
  const answeredVersion = (answer as { modelVersion?: number | null } | undefined)?.modelVersion ?? null;
  return {
    from,
    to,
    stepDays: stepDays ?? step ?? DEFAULT_STEP_DAYS,
    horizonDays: horizonDays ?? DEFAULT_HORIZON_DAYS,
    modelVersion: model?.version ?? answeredVersion,
    modelConfig: model?.config != null,
  };
}

@Resolver()
export class BacktestResolver {
  @RequireScope(Scope.ADMIN)
  @UseMiddleware(auditAdminAction('scoringModel.backtest', { details: (args, report) => gridDetails(args.input, report) }))
  @Query(() => BacktestReport, {
    nullable: true,
    description:
      'Scores every account as of each instant of a past grid with a model (the active one by default) and measures the scores ' +
      'against the churn labels known today (Customer.churnedAt): recall 7/14/30 days ahead, precision, AUC, lead times, false ' +
      'alarms and churn per tier. Writes no score, tier change or outreach and publishes nothing; the audit log records the call.',
  })
  async backtest(@Arg('input', () => BacktestInput) input: BacktestInput, @Ctx() { db, signal }: GraphQLContext): Promise<BacktestReport> {
    return toReport(await runBacktest(db, input, signal));
  }

  @RequireScope(Scope.ADMIN)
  @UseMiddleware(auditAdminAction('scoringModel.suggest', { details: (args) => gridDetails(args.input) }))
  @Query(() => SuggestedScoringModel, {
    nullable: true,
    description:
      "Fits the active model's signal weights to the labelled history of from…to and backtests them beside the current weights. Writes no score, tier change or outreach and publishes nothing; the audit log records the call.",
  })
  async suggestScoringModel(
    @Arg('input', () => SuggestScoringModelInput) input: SuggestScoringModelInput,
    @Ctx() { db, signal }: GraphQLContext,
  ): Promise<SuggestedScoringModel> {
    const { config, fit, churners, warnings, current, suggested } = await suggestScoringModel(db, input, signal);
    const currentWeights = new Map(current.model.config.components.flatMap((c) => c.signals).map((s) => [s.name, s.weight]));
    return {
      config,
      weights: Object.entries(fit.weights).map(([name, weight]) => ({
        name,
        weight,
        currentWeight: currentWeights.get(name) ?? 0,
        coefficient: fit.coefficients[name] ?? 0,
      })),
      samples: fit.samples,
      positives: fit.positives,
      churners,
      warnings,
      current: toReport(current),
      suggested: { ...suggested, modelVersion: null, instants: current.instants },
    };
  }

  @RequireScope(Scope.ADMIN)
  @UseMiddleware(
    auditAdminAction('scoringModel.preview', { details: (args) => ({ first: args.first ?? null, after: args.after ?? null }) }),
  )
  @Query(() => ScoringModelPreview, {
    nullable: true,
    description:
      'The tier distribution now and under `config`, and the customers that would change tier. Writes no score, tier change or outreach and publishes nothing; the audit log records the call.',
  })
  async previewScoringModel(
    @Arg('config', () => JSONScalar) config: unknown,
    @Arg('first', () => Int, { nullable: true, description: 'How many changing customers to list (1…500, default 50).' })
    first: number | null,
    @Arg('after', () => String, { nullable: true, description: "The previous page's `changesPageInfo.endCursor`." })
    after: string | null,
    @Ctx() { db, signal }: GraphQLContext,
  ): Promise<ScoringModelPreview> {
    return previewScoringModel(db, config, { first, after: after ?? null }, signal);
  }
}
