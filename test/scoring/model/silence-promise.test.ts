// The silence promise as a check on a model's weights (what `suggestScoringModel` warns of): an
// account used every day that goes silent leaves its tier within 7 days.
import {
  CLASSIC_SCORING_MODEL,
  DEFAULT_SCORING_MODEL,
  keepsSilencePromise,
  silencePromiseAccount,
  silencePromiseWarnings,
  tierByKey,
} from '../../../src/scoring/model';
import type { ScoringModelConfig } from '../../../src/scoring/model';
import { simulateDailyScoring } from './daily-simulation';

/** The default model with its signals' weights replaced (those not named keep theirs). */
function withWeights(weights: Record<string, number>): ScoringModelConfig {
  const model = structuredClone(DEFAULT_SCORING_MODEL) as ScoringModelConfig;
  for (const component of model.components) for (const signal of component.signals) signal.weight = weights[signal.name] ?? signal.weight;
  return model;
}

// Weights fitted to an outside population whose churners faded or stopped paying (bench/README.md,
// session 50): silence at a small share, the payment signals at most of it.
const FITTED = withWeights({
  silence: 7.4,
  active_days_trend: 0,
  usage_volume_trend: 8.1,
  active_users_trend: 7.2,
  feature_breadth_trend: 6.9,
  seat_utilisation: 0,
  payment_failures: 23.4,
  unpaid_past_due: 11,
  contraction: 15.5,
  ticket_surge: 7.4,
  urgent_tickets: 7.6,
  support_sentiment: 4.4,
  nps: 1.1,
});

describe('the silence promise as a check on weights', () => {
  it('holds for the default model and the first default model', () => {
    expect(keepsSilencePromise(DEFAULT_SCORING_MODEL)).toBe(true);
    expect(keepsSilencePromise(CLASSIC_SCORING_MODEL)).toBe(true);
  });

  it('fails for weights that give silence a small share, not only for a weight of 0', () => {
    expect(keepsSilencePromise(FITTED)).toBe(false);
    expect(keepsSilencePromise(withWeights({ silence: 0 }))).toBe(false);
  });

  it('agrees with daily scoring of the same account, whatever share silence has', () => {
    // Scored every day at 17:06, six minutes after the hour of the account's last event: the run that
    // sees the least of a silence before its seventh day.
    const account = silencePromiseAccount();
    const lastActive = account.engagementEvents[account.engagementEvents.length - 1].occurredAt;
    const dropsWithinAWeek = (model: ScoringModelConfig) => {
      const days = simulateDailyScoring(model, account, { days: 100, scoringHour: 17.1 });
      const severity = (key: string) => tierByKey(model.tiers, key)!.severity;
      const inUse = days.filter((d) => d.asOf.getTime() <= lastActive.getTime()).pop()!;
      return days.some(
        (d) => d.daysSinceLastActivity! > 0 && d.daysSinceLastActivity! < 7 && severity(d.tierKey) > severity(inUse.tierKey),
      );
    };
    const verdicts = [12, 15, 18, 21, 24, 36].map((silence) => {
      const model = withWeights({ silence });
      return { silence, check: keepsSilencePromise(model), daily: dropsWithinAWeek(model) };
    });
    expect(verdicts.map((v) => v.check)).toEqual(verdicts.map((v) => v.daily));
    // The sweep crosses the border: weights on both sides of it.
    expect(new Set(verdicts.map((v) => v.check))).toEqual(new Set([true, false]));
  });

  it("warns of a suggestion that breaks it, naming the silence signal's weight and its share beside the active model's", () => {
    expect(silencePromiseWarnings(DEFAULT_SCORING_MODEL, FITTED)).toEqual([
      'silence weighted 7.4: an account that goes silent would no longer drop a tier within days (7 % of the weight, 30 % in the active model); keep its share if that promise matters',
    ]);
  });

  it("reads the first default model's recency signal as its silence signal", () => {
    const withoutRecency = structuredClone(CLASSIC_SCORING_MODEL) as ScoringModelConfig;
    for (const component of withoutRecency.components)
      for (const signal of component.signals) if (signal.name === 'last_activity_recency') signal.weight = 0;
    expect(keepsSilencePromise(withoutRecency)).toBe(false);
    expect(silencePromiseWarnings(CLASSIC_SCORING_MODEL, withoutRecency)).toEqual([
      expect.stringMatching(/^last_activity_recency weighted 0: an account that goes silent would no longer drop a tier within days/),
    ]);
  });

  it('says nothing when the suggestion keeps it, or when the active model did not keep it either', () => {
    expect(silencePromiseWarnings(DEFAULT_SCORING_MODEL, withWeights({ silence: 30, payment_failures: 12 }))).toEqual([]);
    expect(silencePromiseWarnings(FITTED, withWeights({ silence: 0 }))).toEqual([]);
  });
});
