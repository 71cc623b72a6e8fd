import {
  assessCustomer,
  DAY_MS,
  DEFAULT_SCORING_MODEL,
  engagementScoreOf,
  lifecycleStageOf,
  metricKeyOf,
} from '../../../src/scoring/model';
import type { AssessmentInput, LifecycleInput } from '../../../src/scoring/model';
import { defaultModelCopy, modelWith, signal } from './model-factory';

const asOf = new Date('2026-06-01T12:00:00Z');
const daysAgo = (days: number) => new Date(asOf.getTime() - days * DAY_MS);

/** An established, active, healthy customer; each test changes what it is about. */
function stage(overrides: Partial<LifecycleInput>) {
  return lifecycleStageOf({
    signedUpAt: daysAgo(400),
    // A customer starts at its signup; one without a signup, at its first signal or creation.
    startedAt: overrides.signedUpAt ?? daysAgo(400),
    churnedAt: null,
    asOf,
    lastActivityAt: daysAgo(1),
    tierKey: 'healthy',
    score: 75,
    accountNps: 20,
    firstActivityAt: daysAgo(400),
    model: DEFAULT_SCORING_MODEL,
    ...overrides,
  });
}

/** An assessment of an account signed up `signedUpDaysAgo` days ago and active yesterday; a test gives the model and metrics. */
function assessAccount(
  model: AssessmentInput['model'],
  metrics: AssessmentInput['metrics'],
  signedUpDaysAgo: number,
  overrides: Partial<AssessmentInput> = {},
) {
  const signedUpAt = daysAgo(signedUpDaysAgo);
  return assessCustomer({
    model,
    metrics,
    asOf,
    signedUpAt,
    startedAt: signedUpAt,
    churnedAt: null,
    lastActivityAt: daysAgo(1),
    firstActivityAt: signedUpAt,
    previousTierKey: null,
    previousBands: model.tiers,
    earlierScore: null,
    ...overrides,
  });
}

describe('lifecycleStageOf', () => {
  it('is ACTIVE for an established, engaged customer', () => {
    expect(stage({})).toBe('ACTIVE');
  });

  it('is CHURNED once the customer has cancelled, even during onboarding or while healthy', () => {
    expect(stage({ churnedAt: daysAgo(0) })).toBe('CHURNED');
    expect(stage({ churnedAt: daysAgo(2), signedUpAt: daysAgo(10) })).toBe('CHURNED');
  });

  it('ignores a cancellation dated after asOf (scoring the past)', () => {
    expect(stage({ churnedAt: daysAgo(-3) })).toBe('ACTIVE');
  });

  it('is CHURNED after more than 60 days without activity, not at exactly 60', () => {
    expect(stage({ lastActivityAt: daysAgo(60) })).toBe('ACTIVE');
    expect(stage({ lastActivityAt: daysAgo(60.01) })).toBe('CHURNED');
  });

  it('counts silence from signup for an account that never had any activity', () => {
    expect(stage({ lastActivityAt: null, signedUpAt: daysAgo(61) })).toBe('CHURNED');
    expect(stage({ lastActivityAt: null, signedUpAt: daysAgo(10) })).toBe('ONBOARDING');
  });

  it('counts silence from the first signal or creation for an account without a signup and without activity', () => {
    // First seen 90 days ago (a survey answer, a payment) and never used: as silent as a signup then.
    expect(stage({ lastActivityAt: null, signedUpAt: null, startedAt: daysAgo(90) })).toBe('CHURNED');
    expect(stage({ lastActivityAt: null, signedUpAt: null, startedAt: daysAgo(60) })).toBe('ACTIVE');
    expect(stage({ lastActivityAt: null, signedUpAt: null, startedAt: daysAgo(10) })).toBe('ONBOARDING');
  });

  it('is ONBOARDING during the first 30 days, even in a bad tier', () => {
    expect(stage({ signedUpAt: daysAgo(29.9), tierKey: 'critical', score: 20 })).toBe('ONBOARDING');
    expect(stage({ signedUpAt: daysAgo(30) })).toBe('ACTIVE');
  });

  it('counts the first 30 days of a customer without a signup from its first recorded signal or creation', () => {
    expect(stage({ signedUpAt: null, startedAt: daysAgo(0.2), tierKey: 'critical', score: 20 })).toBe('ONBOARDING');
    expect(stage({ signedUpAt: null, startedAt: daysAgo(31) })).toBe('ACTIVE');
  });

  it('is AT_RISK in either of the two worst bands', () => {
    expect(stage({ tierKey: 'at_risk', score: 40 })).toBe('AT_RISK');
    expect(stage({ tierKey: 'critical', score: 10 })).toBe('AT_RISK');
    expect(stage({ tierKey: 'monitor', score: 55 })).toBe('ACTIVE');
  });

  it('is ADVOCATE with a score of at least 80 and an account NPS of at least 50', () => {
    expect(stage({ score: 80, accountNps: 50 })).toBe('ADVOCATE');
    expect(stage({ score: 79, accountNps: 90 })).toBe('ACTIVE');
    expect(stage({ score: 95, accountNps: 49 })).toBe('ACTIVE');
    expect(stage({ score: 95, accountNps: null })).toBe('ACTIVE');
  });

  it('is no ADVOCATE before the account has been in use for 30 days, whatever its signup: ACTIVE', () => {
    // Signed up long ago, first used two days ago: its score rests on neutral usage values.
    expect(stage({ score: 90, accountNps: 100, firstActivityAt: daysAgo(2) })).toBe('ACTIVE');
    expect(stage({ score: 90, accountNps: 100, firstActivityAt: daysAgo(29.9) })).toBe('ACTIVE');
    expect(stage({ score: 90, accountNps: 100, firstActivityAt: daysAgo(30) })).toBe('ADVOCATE');
  });

  it('puts risk before advocacy when both seem to hold', () => {
    expect(stage({ tierKey: 'at_risk', score: 85, accountNps: 70 })).toBe('AT_RISK');
  });

  it('uses the model’s lifecycle settings', () => {
    const model = { ...DEFAULT_SCORING_MODEL, lifecycle: { ...DEFAULT_SCORING_MODEL.lifecycle, churnWindowDays: 14, onboardingDays: 7 } };
    expect(stage({ model, lastActivityAt: daysAgo(15) })).toBe('CHURNED');
    expect(stage({ model, signedUpAt: daysAgo(8) })).toBe('ACTIVE');
  });
});

describe('a cancelled account (past its churnedAt): in no tier any more, it keeps the one it left in', () => {
  const scored = assessAccount(DEFAULT_SCORING_MODEL, {}, 400).tier.key;
  const other = DEFAULT_SCORING_MODEL.tiers.map((tier) => tier.key).find((key) => key !== scored) as string;
  const cancelled = (overrides: Partial<AssessmentInput>) =>
    assessAccount(DEFAULT_SCORING_MODEL, {}, 400, { churnedAt: daysAgo(5), ...overrides });

  it("keeps its previous point's tier, whatever its score and whatever the point after it holds (it follows: holdTierAfterChurn)", () => {
    expect(cancelled({ previousTierKey: other }).tier.key).toBe(other);
    expect(cancelled({ previousTierKey: other, nextTierKey: scored }).tier.key).toBe(other);
    expect(cancelled({ previousTierKey: scored, nextTierKey: other }).tier.key).toBe(scored);
  });

  it('takes the tier of the point after it when scored before its first (the points after the churn hold one tier)', () => {
    expect(cancelled({ nextTierKey: other })).toMatchObject({ tier: { key: other }, cancelled: true });
  });

  it('is placed by its score on its first point with none after it, and before its churn whatever the point after it holds', () => {
    expect(cancelled({}).tier.key).toBe(scored);
    expect(
      assessAccount(DEFAULT_SCORING_MODEL, {}, 400, { churnedAt: new Date(asOf.getTime() + DAY_MS), nextTierKey: other }).tier.key,
    ).toBe(scored);
  });
});

describe('a returning customer (active long ago, back after a silence or a cancellation lifted)', () => {
  // Thinly observed: the baselines of the usage trends predate the silence, so about half the weight is measured.
  const thin = { coverage: 0.5, lastActivityAt: daysAgo(2) };

  it('is ONBOARDING while thinly observed only when it was never active before: a new integration, not a return', () => {
    expect(stage({ ...thin, firstActivityAt: daysAgo(3) })).toBe('ONBOARDING');
    expect(stage({ ...thin, firstActivityAt: null })).toBe('ONBOARDING');
  });

  it('is staged by its tier like any established customer once its first activity is older than the churn window', () => {
    expect(stage({ ...thin, firstActivityAt: daysAgo(300) })).toBe('ACTIVE');
    expect(stage({ ...thin, firstActivityAt: daysAgo(300), tierKey: 'at_risk', score: 40 })).toBe('AT_RISK');
  });

  it('is staged by its tier when a red flag applies, even as a new integration: a measured risk is no missing data', () => {
    expect(stage({ ...thin, firstActivityAt: daysAgo(3), redFlagged: true, tierKey: 'critical', score: 10 })).toBe('AT_RISK');
    expect(stage({ ...thin, firstActivityAt: null, redFlagged: true })).toBe('ACTIVE');
    // Young (its first 30 days) it is onboarding whatever flags on its use apply (its use is its onboarding).
    expect(stage({ ...thin, signedUpAt: daysAgo(10), startedAt: daysAgo(10), redFlagged: true, tierKey: 'critical', score: 10 })).toBe(
      'ONBOARDING',
    );
  });

  it('is AT_RISK in its first 30 days only when a red flag on something other than its use puts it in a bad tier', () => {
    const young = { signedUpAt: daysAgo(10), startedAt: daysAgo(10), redFlagged: true, atRiskForFacts: true };
    expect(stage({ ...young, tierKey: 'critical', score: 10 })).toBe('AT_RISK');
    expect(stage({ ...young, tierKey: 'at_risk', score: 40 })).toBe('AT_RISK');
    // A flag that leaves it in a good tier leaves it onboarding.
    expect(stage({ ...young, tierKey: 'monitor', score: 60 })).toBe('ONBOARDING');
  });

  it('counts as returning only with activity more than the churn window (60 days) before now', () => {
    expect(stage({ ...thin, firstActivityAt: daysAgo(60) })).toBe('ONBOARDING');
    expect(stage({ ...thin, firstActivityAt: daysAgo(61) })).toBe('ACTIVE');
  });
});

describe('a score with nothing measured (coverage 0: every signal of a model of your own excluded as missing)', () => {
  // Such a model scores 0 on no evidence: the account is in the worst tier, but nobody is to be called.
  const model = modelWith([
    {
      name: 'nps',
      signals: [signal({ name: 'nps', metric: 'nps', windowDays: 180, normaliser: { kind: 'linear', min: -100, max: 100 } })],
    },
  ]);
  model.lifecycle = { ...model.lifecycle, minCoverage: undefined };

  const assess = (overrides: Partial<AssessmentInput>) => assessAccount(model, {}, 400, overrides);

  it('is ONBOARDING and not flagged, even for an account in use for a year and a model without minCoverage', () => {
    const assessment = assess({});
    expect(assessment.result).toMatchObject({ score: 0, coverage: 0 });
    expect(assessment.tier.key).toBe('critical');
    expect(assessment.lifecycleStage).toBe('ONBOARDING');
    expect(assessment.flagged).toBe(false);
  });

  it('is staged by its tier once a red flag applies: a measured risk is no missing data', () => {
    expect(stage({ coverage: 0, redFlagged: true, tierKey: 'critical', score: 0 })).toBe('AT_RISK');
  });

  it('is staged by its tier with any signal measured, when the model sets no minCoverage', () => {
    const measured = assess({ metrics: { [metricKeyOf(model.components[0].signals[0])]: -60 } });
    expect(measured.result.coverage).toBe(1);
    expect(measured.lifecycleStage).toBe('AT_RISK');
    expect(measured.flagged).toBe(true);
  });
});

describe('a young account with a red flag (its first 30 days)', () => {
  // A steady signal at 0.8 and two red flags of 45 points: one on its team, one on its invoices.
  const model = modelWith(
    [{ name: 'engagement', signals: [signal({ name: 'days', metric: 'active_days', normaliser: { kind: 'linear', min: 0, max: 10 } })] }],
    [
      {
        name: 'team_shrinking',
        metric: 'active_users_vs_usual',
        windowDays: 14,
        baselineDays: 60,
        direction: 'below',
        threshold: 0.5,
        points: 45,
      },
      { name: 'invoices_failing', metric: 'failed_invoice_streak', windowDays: 90, direction: 'at_least', threshold: 2, points: 45 },
      // Against its own baseline, which for a young account is its first weeks.
      {
        name: 'ticket_surge',
        metric: 'ticket_volume_trend',
        windowDays: 14,
        baselineDays: 90,
        direction: 'at_least',
        threshold: 2,
        points: 45,
      },
      { name: 'poor_ratings', metric: 'csat_mean', windowDays: 90, direction: 'below', threshold: 2.5, points: 10 },
    ],
  );
  const days = metricKeyOf(model.components[0].signals[0]);

  const assessYoung = (metrics: Record<string, number>) => assessAccount(model, { [days]: 8, ...metrics }, 20);

  it('is flagged AT_RISK when its invoices fail: a fact, whatever its age', () => {
    const assessment = assessYoung({ [metricKeyOf(model.penalties[1])]: 3 });
    expect(assessment.tier.key).toBe('at_risk');
    expect(assessment.lifecycleStage).toBe('AT_RISK');
    expect(assessment.flagged).toBe(true);
  });

  it('stays ONBOARDING for setup tickets against its first weeks: a comparison with its own baseline is onboarding too', () => {
    const assessment = assessYoung({ [metricKeyOf(model.penalties[2])]: 3 });
    expect(assessment.tier.key).toBe('at_risk');
    expect(assessment.lifecycleStage).toBe('ONBOARDING');
  });

  it('stays ONBOARDING when a fact is not what put it in a bad tier: a slow start with a poor rating', () => {
    // Used on 3 days of 10 (30, at risk already), and one poor rating (−10).
    const assessment = assessYoung({ [days]: 3, [metricKeyOf(model.penalties[3])]: 2 });
    expect(assessment.tier.key).toBe('critical');
    expect(assessment.lifecycleStage).toBe('ONBOARDING');
    // The same rating on a busy young account puts it nowhere near a bad tier: onboarding as well.
    expect(assessYoung({ [metricKeyOf(model.penalties[3])]: 2 }).lifecycleStage).toBe('ONBOARDING');
  });

  it('stays ONBOARDING when only its use is flagged: a trial team settling at its core users is no team leaving', () => {
    const assessment = assessYoung({ [metricKeyOf(model.penalties[0])]: 0.3 });
    expect(assessment.tier.key).toBe('at_risk');
    expect(assessment.lifecycleStage).toBe('ONBOARDING');
    expect(assessment.flagged).toBe(false);
  });
});

describe('a model of your own whose components have other names', () => {
  // The default model with its components renamed: the same signals, the same scores.
  const renamed = defaultModelCopy();
  const names: Record<string, string> = { engagement: 'product_usage', nps: 'survey' };
  for (const component of renamed.components) component.name = names[component.name] ?? component.name;
  const npsSignal = renamed.components.flatMap((c) => c.signals).find((s) => s.metric === 'nps_weighted')!;

  // A busy, steady account whose answers are mostly promoters'.
  const assessWith = (model: typeof renamed) =>
    assessAccount(
      model,
      {
        silence_vs_cadence_60: 0.5,
        days_since_last_activity_60: 0.5,
        team_active_days_trend_7_60: 1,
        active_days_trend_21_60: 1,
        events_trend_21_60: 1,
        active_users_vs_usual_14_60: 1,
        feature_breadth_trend_14_60: 1,
        seat_utilisation_30: 0.5,
        failed_invoice_streak_90: 0,
        unpaid_later_than_usual_365: 0,
        contraction_90: 0,
        [metricKeyOf(npsSignal)]: 70,
      },
      400,
    );

  it('reads the account NPS from its NPS signal, wherever it is: its promoters are advocates as under the default model', () => {
    const underDefault = assessWith(defaultModelCopy());
    const underRenamed = assessWith(renamed);
    expect(underDefault.accountNps).toBe(70);
    expect(underRenamed.accountNps).toBe(70);
    expect(underRenamed.lifecycleStage).toBe(underDefault.lifecycleStage);
    expect(underRenamed.lifecycleStage).toBe('ADVOCATE');
  });

  it('reads the engagement score from the component of the account’s use, whatever its name', () => {
    const underDefault = assessWith(defaultModelCopy());
    const underRenamed = assessWith(renamed);
    const engagement = underDefault.result.components.find((c) => c.name === 'engagement')!.score;
    expect(engagement).not.toBeNull();
    expect(engagementScoreOf(defaultModelCopy(), underDefault.result)).toBe(engagement);
    expect(engagementScoreOf(renamed, underRenamed.result)).toBe(engagement);
  });
});

describe('the advocate threshold on a recency-weighted (fractional) account NPS', () => {
  // A busy account (days at 10 of 10) whose NPS is a quarter of its score: above 80 whatever the NPS.
  const model = modelWith([
    {
      name: 'engagement',
      signals: [signal({ name: 'days', metric: 'active_days', weight: 3, normaliser: { kind: 'linear', min: 0, max: 10 } })],
    },
    {
      name: 'sentiment',
      signals: [signal({ name: 'nps', metric: 'nps', windowDays: 180, normaliser: { kind: 'linear', min: -100, max: 100 } })],
    },
  ]);
  const days = metricKeyOf(model.components[0].signals[0]);
  const nps = metricKeyOf(model.components[1].signals[0]);
  const assessWithNps = (value: number) => assessAccount(model, { [days]: 10, [nps]: value }, 400);

  it('compares the NPS as measured: 49.6 is no advocate, though it is shown rounded to 50', () => {
    const below = assessWithNps(49.6);
    expect(below.result.score).toBeGreaterThanOrEqual(80);
    expect(below.accountNps).toBe(50);
    expect(below.lifecycleStage).toBe('ACTIVE');
    expect(assessWithNps(50).lifecycleStage).toBe('ADVOCATE');
  });
});
