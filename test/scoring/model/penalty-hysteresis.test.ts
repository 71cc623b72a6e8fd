// A red flag that applied at the previous scoring lifts only once its metric (and each condition) has
// cleared the threshold by the model's `penaltyHysteresis`, a share of the threshold: a value wavering
// around a threshold no longer turns a 45-point flag on and off from one day to the next.
import {
  appliedPenalties,
  assessCustomer,
  carriedFlags,
  flagsDefinedAlike,
  computeScore,
  DEFAULT_SCORING_MODEL,
  metricKeyOf,
  metricRequests,
  readsPreviousFlags,
} from '../../../src/scoring/model';
import type { MetricValues, PenaltyCondition, PenaltyConfig, PenaltyResult, ScoringModelConfig } from '../../../src/scoring/model';
import { decodePenalties, encodePenalties } from '../../../src/scoring/signal-storage';
import { scoreSnapshots, SnapshotSet } from '../../../src/scoring/backtest/snapshots';
import { modelWith, signal } from './model-factory';

const usage = signal({ name: 'usage', metric: 'active_days', normaliser: { kind: 'target', target: 10 }, weight: 1 });
const inUse = { metric: 'active_days_trend', windowDays: 14, baselineDays: 60, direction: 'at_least', threshold: 0.6 } as const;
const teamFlag: PenaltyConfig = {
  name: 'team',
  metric: 'active_users_trend',
  windowDays: 14,
  baselineDays: 60,
  direction: 'below',
  threshold: 0.5,
  points: 40,
  onlyWhen: [inUse],
};
const detractorFlag: PenaltyConfig = { name: 'detractor', metric: 'nps', windowDays: 180, direction: 'below', threshold: -50, points: 20 };
const ticketFlag: PenaltyConfig = {
  name: 'tickets',
  metric: 'ticket_count',
  windowDays: 14,
  direction: 'at_least',
  threshold: 5,
  points: 10,
};

function model(penaltyHysteresis?: number): ScoringModelConfig {
  return { ...modelWith([{ name: 'engagement', signals: [usage] }], [teamFlag, detractorFlag, ticketFlag]), penaltyHysteresis };
}

function metrics(values: { team?: number; inUse?: number; nps?: number; tickets?: number }): MetricValues {
  return {
    [metricKeyOf(usage)]: 10,
    [metricKeyOf(teamFlag)]: values.team ?? 1,
    [metricKeyOf(inUse)]: values.inUse ?? 1,
    [metricKeyOf(detractorFlag)]: values.nps ?? 0,
    [metricKeyOf(ticketFlag)]: values.tickets ?? 0,
  };
}

function flag(result: { penalties: PenaltyResult[] }, name: string): PenaltyResult {
  return result.penalties.find((p) => p.name === name)!;
}

const wasApplied = (...names: string[]) => new Set(names);

describe('penalty hysteresis', () => {
  it('keeps a `below` flag that applied until its metric is a tenth of the threshold above it', () => {
    const m = model(0.1);
    // 0.52 is past 0.5: a first scoring does not flag it; one after a flagged scoring keeps the flag.
    expect(flag(computeScore(m, metrics({ team: 0.52 })), 'team')).toMatchObject({ applied: false, points: 0 });
    expect(flag(computeScore(m, metrics({ team: 0.52 }), wasApplied('team')), 'team')).toEqual({
      name: 'team',
      rawValue: 0.52,
      points: 40,
      applied: true,
      heldBack: false,
      kept: true,
    });
    expect(computeScore(m, metrics({ team: 0.52 }), wasApplied('team')).score).toBe(60);
    // Cleared by the margin (0.55 is not below 0.5 + 0.05): lifted.
    expect(flag(computeScore(m, metrics({ team: 0.55 }), wasApplied('team')), 'team')).toMatchObject({ applied: false, points: 0 });
  });

  it('says nothing of keeping a flag that would apply anyway', () => {
    const result = flag(computeScore(model(0.1), metrics({ team: 0.3 }), wasApplied('team')), 'team');
    expect(result).toEqual({ name: 'team', rawValue: 0.3, points: 40, applied: true, heldBack: false });
  });

  it('widens the conditions too: a flag stays while the account is in use on a little under the usual share of days', () => {
    const m = model(0.1);
    // In use on 0.56 of the usual days: below the condition's 0.6, within its margin (0.54).
    expect(flag(computeScore(m, metrics({ team: 0.3, inUse: 0.56 })), 'team')).toMatchObject({ applied: false, heldBack: true });
    expect(flag(computeScore(m, metrics({ team: 0.3, inUse: 0.56 }), wasApplied('team')), 'team')).toMatchObject({
      applied: true,
      kept: true,
    });
    expect(flag(computeScore(m, metrics({ team: 0.3, inUse: 0.53 }), wasApplied('team')), 'team')).toMatchObject({
      applied: false,
      heldBack: true,
      heldBackBy: [{ condition: 0, value: 0.53 }],
    });
  });

  it('moves a negative threshold towards zero and an `at_least` one down, by a share of its size', () => {
    const m = model(0.1);
    // below −50 widens to below −45.
    expect(flag(computeScore(m, metrics({ nps: -47 }), wasApplied('detractor')), 'detractor')).toMatchObject({ applied: true, kept: true });
    expect(flag(computeScore(m, metrics({ nps: -44 }), wasApplied('detractor')), 'detractor')).toMatchObject({ applied: false });
    // at_least 5 widens to at_least 4.5: four tickets lift it.
    expect(flag(computeScore(m, metrics({ tickets: 4 }), wasApplied('tickets')), 'tickets')).toMatchObject({ applied: false });
    expect(flag(computeScore(model(0.2), metrics({ tickets: 4 }), wasApplied('tickets')), 'tickets')).toMatchObject({
      applied: true,
      kept: true,
    });
  });

  it('keeps nothing without a margin, nor a flag that did not apply before', () => {
    for (const m of [model(), model(0)])
      expect(flag(computeScore(m, metrics({ team: 0.52 }), wasApplied('team')), 'team')).toMatchObject({ applied: false });
    expect(flag(computeScore(model(0.1), metrics({ team: 0.52 }), wasApplied('detractor')), 'team')).toMatchObject({ applied: false });
  });

  it('asks a `startOnly` condition only to raise a flag, with or without a margin, and still asks the others', () => {
    const startOnlyTeam = { ...teamFlag, onlyWhen: [{ ...inUse, startOnly: true }] };
    const withStartOnly = (penaltyHysteresis?: number) => ({ ...model(penaltyHysteresis), penalties: [startOnlyTeam] });
    for (const m of [withStartOnly(), withStartOnly(0.1)]) {
      // Nobody came for two weeks: the flag does not start.
      expect(flag(computeScore(m, metrics({ team: 0.3, inUse: 0.2 })), 'team')).toMatchObject({ applied: false, heldBack: true });
      // It started earlier: the condition is not asked again, and the flag says it is kept thanks to that.
      expect(flag(computeScore(m, metrics({ team: 0.3, inUse: 0.2 }), wasApplied('team')), 'team')).toEqual({
        name: 'team',
        rawValue: 0.3,
        points: 40,
        applied: true,
        heldBack: false,
        kept: true,
      });
      // Its own metric still lifts it.
      expect(flag(computeScore(m, metrics({ team: 0.9, inUse: 0.2 }), wasApplied('team')), 'team')).toMatchObject({ applied: false });
    }
    // A condition without `startOnly` beside it is still asked of a flag that applied.
    const both = {
      ...model(),
      penalties: [
        {
          ...teamFlag,
          onlyWhen: [
            { ...inUse, startOnly: true },
            { ...inUse, windowDays: 7 },
          ],
        },
      ],
    };
    const sevenDays = metricKeyOf({ ...inUse, windowDays: 7 });
    expect(flag(computeScore(both, { ...metrics({ team: 0.3, inUse: 0.2 }), [sevenDays]: 0.2 }, wasApplied('team')), 'team')).toMatchObject(
      { applied: false, heldBack: true, heldBackBy: [{ condition: 1, value: 0.2 }] },
    );
  });

  it('has scoring read the previous flags for a margin or a start-only condition, and not otherwise', () => {
    expect(readsPreviousFlags(model())).toBe(false);
    expect(readsPreviousFlags(model(0))).toBe(false);
    expect(readsPreviousFlags(model(0.1))).toBe(true);
    expect(readsPreviousFlags({ ...model(), penalties: [{ ...teamFlag, onlyWhen: [{ ...inUse, startOnly: true }] }] })).toBe(true);
    expect(readsPreviousFlags(DEFAULT_SCORING_MODEL)).toBe(true);
  });

  it('carries the flags of another model version that the new one defines alike, whatever the order of their keys', () => {
    const stored = JSON.parse(JSON.stringify({ ...model(0.1), tiers: model(0.1).tiers.slice().reverse() })) as ScoringModelConfig;
    stored.penalties[0] = Object.fromEntries(Object.entries(stored.penalties[0]).reverse()) as unknown as PenaltyConfig;
    expect([...carriedFlags(['team', 'tickets'], flagsDefinedAlike(stored, model(0.1)))].sort()).toEqual(['team', 'tickets']);
    // Redefined (another threshold), or no longer defined: asked afresh. Without the old model: nothing carried.
    const redefined = { ...model(0.1), penalties: [{ ...teamFlag, threshold: 0.45 }, detractorFlag] };
    expect([...carriedFlags(['team', 'tickets'], flagsDefinedAlike(stored, redefined))]).toEqual([]);
    expect([...carriedFlags(['team'], null)]).toEqual([]);
  });

  it('carries a flag whose conditions are now asked only to raise it, and not the other way round', () => {
    const askedAlways = { ...model(0.1), penalties: [{ ...teamFlag, onlyWhen: [inUse] }, detractorFlag, ticketFlag] };
    const startOnly = { ...model(0.1), penalties: [{ ...teamFlag, onlyWhen: [{ ...inUse, startOnly: true }] }, detractorFlag, ticketFlag] };
    // Raised alike and kept at least as long: a flag that applied under the earlier model applies now.
    expect([...carriedFlags(['team', 'tickets'], flagsDefinedAlike(askedAlways, startOnly))].sort()).toEqual(['team', 'tickets']);
    // Asked again at every scoring: it may have to lift, so it is asked afresh.
    expect([...carriedFlags(['team', 'tickets'], flagsDefinedAlike(startOnly, askedAlways))]).toEqual(['tickets']);
    // The default model from one whose every condition was asked at every scoring (as before session 55): every flag carried.
    const everyScoring = structuredClone(DEFAULT_SCORING_MODEL) as ScoringModelConfig;
    for (const penalty of everyScoring.penalties) for (const condition of penalty.onlyWhen ?? []) delete condition.startOnly;
    const names = DEFAULT_SCORING_MODEL.penalties.map((penalty) => penalty.name);
    expect([...flagsDefinedAlike(everyScoring, DEFAULT_SCORING_MODEL)].sort()).toEqual([...names].sort());
  });

  it('carries a flag given a new condition asked only to raise it, or one changed so, or one fewer; not one asked anew at every scoring', () => {
    const asked = { ...model(0.1), penalties: [{ ...teamFlag, onlyWhen: [inUse] }, detractorFlag, ticketFlag] };
    const raiseOnly = { metric: 'team_active_days', windowDays: 14, direction: 'at_least', threshold: 4, startOnly: true } as const;
    const withRaiseOnly = (extra: PenaltyCondition) => ({
      ...model(0.1),
      penalties: [{ ...teamFlag, onlyWhen: [inUse, extra] }, detractorFlag, ticketFlag],
    });
    // Not asked of a flag that applied: carried, whatever it asks or how it changes.
    expect([...carriedFlags(['team'], flagsDefinedAlike(asked, withRaiseOnly(raiseOnly)))]).toEqual(['team']);
    expect([...carriedFlags(['team'], flagsDefinedAlike(withRaiseOnly(raiseOnly), withRaiseOnly({ ...raiseOnly, threshold: 6 })))]).toEqual(
      ['team'],
    );
    // `startOnly: false` written out is a condition asked at every scoring, as one without it.
    const spelledOut = {
      ...model(0.1),
      penalties: [{ ...teamFlag, onlyWhen: [{ ...inUse, startOnly: false }] }, detractorFlag, ticketFlag],
    };
    expect([...carriedFlags(['team'], flagsDefinedAlike(asked, spelledOut))]).toEqual(['team']);
    expect([...carriedFlags(['team'], flagsDefinedAlike(spelledOut, asked))]).toEqual(['team']);
    // A condition dropped holds it back no more: carried.
    expect([...carriedFlags(['team'], flagsDefinedAlike(asked, { ...asked, penalties: [teamFlag, detractorFlag, ticketFlag] }))]).toEqual([
      'team',
    ]);
    // A condition asked at every scoring, new or changed: it may lift the flag, so it is asked afresh.
    expect([...carriedFlags(['team'], flagsDefinedAlike(asked, withRaiseOnly({ ...raiseOnly, startOnly: false })))]).toEqual([]);
    const moved = {
      ...model(0.1),
      penalties: [{ ...teamFlag, onlyWhen: [{ ...inUse, threshold: inUse.threshold + 0.1 }] }, detractorFlag, ticketFlag],
    };
    expect([...carriedFlags(['team'], flagsDefinedAlike(asked, moved))]).toEqual([]);
    // The default model from the one before session 66, whose team_shrinking did not ask for the
    // team on 4 days of its fortnight and whose contraction_penalty asked at every scoring for 90 % of
    // the seats in use: every flag carried.
    const before = structuredClone(DEFAULT_SCORING_MODEL) as ScoringModelConfig;
    const flag = (name: string) => before.penalties.find((penalty) => penalty.name === name)!;
    flag('team_shrinking').onlyWhen = flag('team_shrinking').onlyWhen!.filter((condition) => condition.metric !== 'team_active_days');
    flag('contraction_penalty').onlyWhen = [{ metric: 'seat_utilisation', windowDays: 30, direction: 'at_least', threshold: 0.9 }];
    expect([...flagsDefinedAlike(before, DEFAULT_SCORING_MODEL)].sort()).toEqual(DEFAULT_SCORING_MODEL.penalties.map((p) => p.name).sort());
  });

  it('carries a flag given a way to apply past its conditions, or a nearer one, and not the other way round', () => {
    const conditional = { ...model(0.1), penalties: [teamFlag, detractorFlag, ticketFlag] };
    const past = (threshold: number) => ({
      ...model(0.1),
      penalties: [{ ...teamFlag, unconditionalThreshold: threshold }, detractorFlag, ticketFlag],
    });
    // Applied under the earlier model, it applies under the new one too: carried.
    expect([...carriedFlags(['team'], flagsDefinedAlike(conditional, past(0.2)))]).toEqual(['team']);
    expect([...carriedFlags(['team'], flagsDefinedAlike(past(0.2), past(0.3)))]).toEqual(['team']);
    // Its way past the conditions taken away or moved further: it may have to lift, so it is asked afresh.
    expect([...carriedFlags(['team'], flagsDefinedAlike(past(0.2), conditional))]).toEqual([]);
    expect([...carriedFlags(['team'], flagsDefinedAlike(past(0.3), past(0.2)))]).toEqual([]);
    // The default model from the one before session 65, whose lapsing had no such threshold: every flag carried.
    const before = structuredClone(DEFAULT_SCORING_MODEL) as ScoringModelConfig;
    for (const penalty of before.penalties) delete penalty.unconditionalThreshold;
    expect([...flagsDefinedAlike(before, DEFAULT_SCORING_MODEL)].sort()).toEqual(DEFAULT_SCORING_MODEL.penalties.map((p) => p.name).sort());
  });

  it('lists the flags a score applied, for the next scoring', () => {
    const result = computeScore(model(0.1), metrics({ team: 0.3, tickets: 6 }));
    expect([...appliedPenalties(result.penalties)].sort()).toEqual(['team', 'tickets']);
  });

  it('stores a kept flag and reads it back as kept', () => {
    const penalties: PenaltyResult[] = [
      { name: 'team', rawValue: 0.52, points: 40, applied: true, heldBack: false, kept: true },
      { name: 'tickets', rawValue: 6, points: 10, applied: true, heldBack: false },
      { name: 'detractor', rawValue: -60, points: 0, applied: false, heldBack: true, heldBackBy: [{ condition: 0, value: 0.2 }] },
    ];
    expect(decodePenalties(encodePenalties(penalties))).toEqual(penalties);
  });
});

describe('the backtest', () => {
  it("carries each account's flags from one instant to the next, as a daily scoring would", () => {
    const m = model(0.1);
    const requests = metricRequests(m);
    const account = (id: string) => ({
      id,
      name: id,
      tier: null,
      arrCents: 0,
      signedUpAt: new Date('2025-01-01T00:00:00Z'),
      startedAt: new Date('2025-01-01T00:00:00Z'),
      churnedAt: null,
      firstActivityAt: new Date('2025-01-01T00:00:00Z'),
    });
    const snapshot = (id: string, day: number, team: number) => {
      const values = metrics({ team });
      return {
        account: account(id),
        asOf: new Date(Date.UTC(2026, 5, day)),
        values: Float64Array.from(requests.map((r) => values[r.key] ?? Number.NaN)),
        lastActivityAt: new Date(Date.UTC(2026, 5, day)),
      };
    };
    // Account a: flagged at 0.45, then 0.52 (kept), then 0.56 (lifted); account b is at 0.52 from its first instant.
    const set: SnapshotSet = {
      requests,
      accounts: [account('a'), account('b')],
      snapshots: [snapshot('a', 1, 0.45), snapshot('b', 1, 0.52), snapshot('a', 2, 0.52), snapshot('b', 2, 0.52), snapshot('a', 3, 0.56)],
    };
    expect(scoreSnapshots(set, m).map((s) => [s.customerId, s.score])).toEqual([
      ['a', 60],
      ['b', 100],
      ['a', 60],
      ['b', 100],
      ['a', 100],
    ]);
  });
});

describe('the default model at daily scoring', () => {
  // A busy account whose champion's colleagues drift in and out: the share of its usual team seen in
  // the last 14 days wavers around the team flag's threshold (0.5) from day to day.
  const wavering = [0.45, 0.52, 0.47, 0.53, 0.46, 0.51, 0.48, 0.54];

  function tiersDayByDay(config: ScoringModelConfig): string[] {
    let previousTierKey: string | null = null;
    let previousPenalties: ReadonlySet<string> | null = null;
    const signedUpAt = new Date('2026-01-01T00:00:00Z');
    return wavering.map((share, day) => {
      const values: MetricValues = {};
      for (const key of Object.keys(baseline)) values[key] = baseline[key];
      values[metricKeyOf(config.penalties.find((p) => p.name === 'team_shrinking')!)] = share;
      const assessment = assessCustomer({
        model: config,
        metrics: values,
        asOf: new Date(Date.UTC(2026, 5, 1 + day, 20)),
        signedUpAt,
        startedAt: signedUpAt,
        churnedAt: null,
        lastActivityAt: new Date(Date.UTC(2026, 5, 1 + day, 18)),
        firstActivityAt: signedUpAt,
        previousTierKey,
        previousBands: config.tiers,
        earlierScore: null,
        previousPenalties,
      });
      previousTierKey = assessment.tier.key;
      previousPenalties = appliedPenalties(assessment.result.penalties);
      return assessment.tier.key;
    });
  }

  // Every other metric as a steady daily account's.
  const baseline: MetricValues = {
    silence_vs_cadence_60: 0.3,
    active_days_trend_21_60: 1,
    events_trend_21_60: 1,
    active_users_vs_usual_14_60: 1,
    feature_breadth_trend_14_60: 1,
    team_active_days_trend_14_60: 1,
    team_active_days_trend_7_60: 1,
    team_active_days_trend_21_60: 1,
    active_days_vs_prior_21_60: 1,
    events_vs_prior_21_60: 1,
    active_days_vs_prior_7_60: 1,
    events_vs_prior_7_60: 1,
    active_days_60: 58,
    feature_days_per_feature_14_60: 10,
  };

  it('keeps an account whose team wavers around half its usual size at risk, instead of flipping daily', () => {
    expect(DEFAULT_SCORING_MODEL.penaltyHysteresis).toBe(0.1);
    const requested = new Set(metricRequests(DEFAULT_SCORING_MODEL).map((r) => r.key));
    expect(Object.keys(baseline).filter((key) => !requested.has(key))).toEqual([]);
    expect(new Set(tiersDayByDay(DEFAULT_SCORING_MODEL))).toEqual(new Set(['at_risk']));
    // Without the margin, the same account leaves the worst tiers on every day its share reads 0.5 or more.
    const exact = { ...structuredClone(DEFAULT_SCORING_MODEL), penaltyHysteresis: 0 };
    expect(tiersDayByDay(exact)).toEqual(['at_risk', 'healthy', 'at_risk', 'healthy', 'at_risk', 'healthy', 'at_risk', 'healthy']);
  });
});
