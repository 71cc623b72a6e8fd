// The silence promise as a check on a model's weights (what `suggestScoringModel` warns of): an
// account used every day that goes silent leaves its tier within 7 days.
import { CLASSIC_SCORING_MODEL, DEFAULT_SCORING_MODEL, keepsSilencePromise, silencePromiseWarnings } from '../../../src/scoring/model';
import type { ScoringModelConfig } from '../../../src/scoring/model';

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

  it("warns of a suggestion that breaks it, naming the silence signal's weight", () => {
    expect(silencePromiseWarnings(DEFAULT_SCORING_MODEL, FITTED)).toEqual([
      'silence weighted 7.4: an account that goes silent would no longer drop a tier within days; keep its weight if that promise matters',
    ]);
  });

  it('says nothing when the suggestion keeps it, or when the active model did not keep it either', () => {
    expect(silencePromiseWarnings(DEFAULT_SCORING_MODEL, withWeights({ silence: 30, payment_failures: 12 }))).toEqual([]);
    expect(silencePromiseWarnings(FITTED, withWeights({ silence: 0 }))).toEqual([]);
  });
});
