import {
  computeScore,
  DEFAULT_SCORING_MODEL,
  DAY_MS,
  metricRequests,
  metricsFromActivity,
  MetricValues,
  TIER_PRESETS,
  defaultModelWithTiers,
  ScoringModelConfig,
  tierFor,
  validateModel,
  withTierPreset,
} from '../../../src/scoring/model';

describe('the default model', () => {
  it("weights engagement at about two thirds of the score, silence against the account's own cadence most of all", () => {
    const weightOf = (component: string) =>
      DEFAULT_SCORING_MODEL.components.find((c) => c.name === component)!.signals.reduce((sum, s) => sum + s.weight, 0);
    expect(['engagement', 'payments', 'support', 'nps'].map(weightOf)).toEqual([82, 19, 13, 6]);
    const heaviest = DEFAULT_SCORING_MODEL.components.flatMap((c) => c.signals).sort((a, b) => b.weight - a.weight)[0];
    expect(heaviest.name).toBe('silence');
  });

  it("compares every engagement signal but seat utilisation with the account's own history, not a fixed target", () => {
    const engagement = DEFAULT_SCORING_MODEL.components.find((c) => c.name === 'engagement')!.signals;
    expect(engagement.filter((s) => s.normaliser.kind === 'target').map((s) => s.name)).toEqual(['seat_utilisation']);
    expect(engagement.map((s) => s.metric)).toEqual([
      'silence_vs_cadence',
      'active_days_trend',
      'events_trend',
      'active_users_vs_usual',
      'feature_breadth_trend',
      'seat_utilisation',
    ]);
  });

  it("keeps the specification's tier hysteresis of 2 points: a healthy account is monitor below 68, a monitor one healthy at 72", () => {
    expect([DEFAULT_SCORING_MODEL.hysteresis, DEFAULT_SCORING_MODEL.penaltyHysteresis]).toEqual([2, 0.1]);
    const { tiers, hysteresis } = DEFAULT_SCORING_MODEL;
    expect([68, 67].map((score) => tierFor(score, tiers, 'healthy', hysteresis).key)).toEqual(['healthy', 'monitor']);
    expect([71, 72].map((score) => tierFor(score, tiers, 'monitor', hysteresis).key)).toEqual(['monitor', 'healthy']);
  });

  it('is frozen, so a caller cannot change the defaults for everyone', () => {
    expect(() => {
      (DEFAULT_SCORING_MODEL.tiers[0] as { lowerBound: number }).lowerBound = 10;
    }).toThrow(TypeError);
    expect(() => {
      TIER_PRESETS.three_tier.push({ key: 'x', label: 'X', lowerBound: 99, severity: 0 });
    }).toThrow(TypeError);
  });

  it('re-attaches the tier playbooks by severity for another preset, and returns a mutable copy', () => {
    const model = defaultModelWithTiers('five_band_thriving');
    const tierPlaybooks = model.playbooks.flatMap((p) => (p.kind === 'tier' ? [[p.tierKey, p.actions[0].action]] : []));
    expect(tierPlaybooks).toEqual([
      ['critical', 'csm_alert'],
      ['churning', 'csm_alert'],
      ['at_risk', 'check_in_email'],
    ]);
    model.hysteresis = 5;
    expect(DEFAULT_SCORING_MODEL.hysteresis).toBe(2);
  });

  it('gives the three-tier scheme only the critical and at-risk playbooks', () => {
    const model = defaultModelWithTiers('three_tier');
    expect(model.playbooks.map((p) => p.key)).toEqual(['critical', 'at_risk', 'silence', 'expansion']);
  });
});

describe('withTierPreset: a tier preset changes the tiers and only what must change with them', () => {
  /** The default model without its monitor playbook, the critical alert reworded and a longer cooldown. */
  const edited = (): ScoringModelConfig => {
    const model = structuredClone(DEFAULT_SCORING_MODEL);
    model.playbooks = model.playbooks.filter((playbook) => playbook.key !== 'monitor');
    model.playbooks[0].actions[0].template = `URGENT: ${model.playbooks[0].actions[0].template}`;
    model.cooldownDays = 10;
    return model;
  };
  const tierPlaybooks = (model: ScoringModelConfig) => model.playbooks.flatMap((p) => (p.kind === 'tier' ? [p.tierKey] : []));

  it("leaves a model whose tiers are the preset's as it is: the removed playbook stays removed", () => {
    const model = edited();
    expect(withTierPreset(model, 'four_tier')).toBe(model);
    // The same bands listed in another order are the same tiers.
    const reordered = { ...model, tiers: [...model.tiers].reverse() };
    expect(withTierPreset(reordered, 'four_tier')).toBe(reordered);
  });

  it("keeps the playbooks of the tiers the preset has too, gives a new tier the preset's default and drops those of tiers it has not", () => {
    const model = edited();
    const thriving = withTierPreset(model, 'five_band_thriving');
    expect(thriving.tiers).toEqual(TIER_PRESETS.five_band_thriving);
    // critical and at_risk as they were (the reworded alert too); churning, new, gets the preset's second-worst playbook.
    expect(tierPlaybooks(thriving)).toEqual(['critical', 'at_risk', 'churning']);
    expect(thriving.playbooks[0]).toEqual(model.playbooks[0]);
    expect(thriving.playbooks.find((p) => p.key === 'churning')).toEqual(
      defaultModelWithTiers('five_band_thriving').playbooks.find((p) => p.key === 'churning'),
    );
    expect(thriving.playbooks.slice(-2).map((p) => p.key)).toEqual(['silence', 'expansion']);
    expect([thriving.cooldownDays, thriving.hysteresis, thriving.components]).toEqual([10, model.hysteresis, model.components]);
    // Back: churning's playbook goes with its tier; monitor, a tier new to that model, gets the default monitor playbook.
    const back = withTierPreset(thriving, 'four_tier');
    expect(tierPlaybooks(back)).toEqual(['critical', 'at_risk', 'monitor']);
    expect(back.playbooks[0].actions[0].template).toMatch(/^URGENT: /);
    expect(model.tiers).toEqual(TIER_PRESETS.four_tier);
  });

  it("gives a new tier's default playbook a free key when a playbook the model keeps has its tier's key already", () => {
    const model = structuredClone(DEFAULT_SCORING_MODEL);
    // Keys of the admin's own, before any tier was so named: the silence alert "churning", the expansion play "Churning_Tier".
    model.playbooks.find((p) => p.kind === 'silence')!.key = 'churning';
    model.playbooks.find((p) => p.kind === 'expansion')!.key = 'Churning_Tier';
    expect(validateModel(model)).toEqual([]);
    const thriving = withTierPreset(model, 'five_band_thriving');
    expect(validateModel(thriving)).toEqual([]);
    expect(thriving.playbooks.map((p) => [p.key, p.kind === 'tier' ? p.tierKey : p.kind])).toEqual([
      ['critical', 'critical'],
      ['at_risk', 'at_risk'],
      ['churning_tier_2', 'churning'],
      ['churning', 'silence'],
      ['Churning_Tier', 'expansion'],
    ]);
  });

  it("keeps a hysteresis the preset's bands can hold, and gives one as wide as a band the default's", () => {
    // 15 points hold no tier across a band of the default tiers (the narrowest, monitor, is 20 wide), but
    // would hold healthy and churning across five_band_thriving's 10-point thriving band and at_risk
    // across its churning band: the preset, which the admin did not word, is not refused for it.
    const wide = { ...structuredClone(DEFAULT_SCORING_MODEL), hysteresis: 15 };
    expect(validateModel(wide)).toEqual([]);
    const thriving = withTierPreset(wide, 'five_band_thriving');
    expect(validateModel(thriving)).toEqual([]);
    expect(thriving.hysteresis).toBe(DEFAULT_SCORING_MODEL.hysteresis);
    const narrow = { ...structuredClone(DEFAULT_SCORING_MODEL), hysteresis: 9.5 };
    expect(withTierPreset(narrow, 'five_band_thriving').hysteresis).toBe(9.5);
  });
});

describe('the default model on one pattern at a time', () => {
  // A steady busy account as the README describes it: silence half a usual gap, trends at its usual
  // level, 90 % of its users and features (used on about five days each in the last two weeks), no
  // tickets or NPS answers yet.
  const STEADY_BUSY: Partial<Record<string, number | null>> = {
    silence_vs_cadence: 0.5,
    active_days: 55,
    team_active_days: 55,
    active_days_trend: 1,
    events_trend: 1,
    events_per_active_day_vs_prior: 1,
    users_per_team_day_vs_prior: 1,
    active_days_vs_prior: 1,
    events_vs_prior: 1,
    active_users_trend: 0.9,
    active_users_vs_usual: 0.9,
    active_users_vs_leanest: 1,
    feature_breadth_trend: 0.9,
    feature_breadth_vs_leanest: 1,
    feature_days_per_feature: 5,
    seat_utilisation: 0.6,
    failed_invoice_streak: 0,
    unpaid_later_than_usual: 0,
    contraction: 0,
    ticket_volume_trend: 0,
    urgent_open_tickets: 0,
    urgent_tickets_open_throughout: 0,
    csat_mean: null,
    rated_tickets: 0,
    nps_weighted: null,
    nps_mean_score: null,
    nps_angry_answers: 0,
  };
  const scoreWith = (changes: Partial<Record<string, number | null>>) => {
    // Every window of a metric reads the same value: a pattern that has run long enough to fill them.
    const metrics: MetricValues = {};
    for (const request of metricRequests(DEFAULT_SCORING_MODEL))
      metrics[request.key] = request.metric in changes ? (changes[request.metric] ?? null) : (STEADY_BUSY[request.metric] ?? null);
    const result = computeScore(DEFAULT_SCORING_MODEL, metrics);
    return { score: result.score, tier: tierFor(result.score, DEFAULT_SCORING_MODEL.tiers, null, 0).key };
  };

  it('scores a steady busy account healthy', () => {
    expect(scoreWith({})).toEqual({ score: 98, tier: 'healthy' });
  });

  it('puts it at risk on payments alone: its last three invoices failed, and critical with two invoices unpaid too', () => {
    expect(scoreWith({ failed_invoice_streak: 3 })).toEqual({ score: 45, tier: 'at_risk' });
    expect(scoreWith({ failed_invoice_streak: 3, unpaid_later_than_usual: 2 })).toEqual({ score: 0, tier: 'critical' });
    // Two in a row: monitor.
    expect(scoreWith({ failed_invoice_streak: 2 })).toEqual({ score: 63, tier: 'monitor' });
  });

  it('leaves it healthy while a card retries an invoice within its two weeks of grace', () => {
    // The invoice's first charge and a retry failed days ago: one failed invoice, not yet two weeks past due.
    expect(scoreWith({ failed_invoice_streak: 1, unpaid_later_than_usual: 0 }).tier).toBe('healthy');
  });

  it('puts it at risk on an invoice unpaid two weeks past due alone, and on every invoice failing for two months', () => {
    expect(scoreWith({ failed_invoice_streak: 1, unpaid_later_than_usual: 1 }).tier).toBe('at_risk');
    expect(scoreWith({ failed_invoice_streak: 2, unpaid_later_than_usual: 1 }).tier).toBe('critical');
  });

  it('puts it at risk on a contraction alone when the cut reaches seats its people use, and leaves it healthy on a cut of a tenth', () => {
    // Its last 30 days' users outnumber the seats left: the cut let people go.
    expect(scoreWith({ contraction: 1 / 3, seat_utilisation: 1.2 })).toEqual({ score: 49, tier: 'at_risk' });
    expect(scoreWith({ contraction: 0.1, seat_utilisation: 1.2 })).toEqual({ score: 96, tier: 'healthy' });
    // No seats to count (an account without seats, or whose events name no user): the cut alone.
    expect(scoreWith({ contraction: 1 / 3, seat_utilisation: null })).toEqual({ score: 49, tier: 'at_risk' });
  });

  it('leaves it healthy when the cut only removed seats nobody used', () => {
    // STEADY_BUSY uses 60 % of its seats: a cut by a third leaves some unused.
    expect(scoreWith({ contraction: 1 / 3 })).toEqual({ score: 94, tier: 'healthy' });
    expect(scoreWith({ contraction: 1 / 3, seat_utilisation: 0.85 })).toEqual({ score: 94, tier: 'healthy' });
    // Down to a few seats above its people, or to as many as they are: it pays for what it uses.
    expect(scoreWith({ contraction: 1 / 3, seat_utilisation: 0.95 })).toEqual({ score: 94, tier: 'healthy' });
    expect(scoreWith({ contraction: 1 / 3, seat_utilisation: 1 })).toEqual({ score: 94, tier: 'healthy' });
  });

  it('puts it at risk when its team shrinks to a quarter while it stays as active as before', () => {
    expect(scoreWith({ active_users_trend: 0.25, active_users_vs_usual: 0.25, active_users_vs_leanest: 0.25 })).toEqual({
      score: 42,
      tier: 'at_risk',
    });
  });

  it('does not take a team whose size comes and goes, or that hands its work to an integration, for a team that shrank', () => {
    // A quarter of what a fortnight usually sees, as in a month's fortnight without the week the whole team comes.
    expect(scoreWith({ active_users_trend: 0.25, active_users_vs_usual: 0.25, active_users_vs_leanest: 0.9 }).tier).toBe('healthy');
    // Nor are fewer people while the account does twice as much (work moved to an integration).
    expect(scoreWith({ active_users_trend: 0.25, active_users_vs_usual: 0.25, active_users_vs_leanest: 0.25, events_trend: 2 }).tier).toBe(
      'healthy',
    );
    // Nor is a feature set that moves with a project's phases a narrowing.
    expect(scoreWith({ feature_breadth_trend: 0.3, feature_days_per_feature: 3, feature_breadth_vs_leanest: 1 }).tier).toBe('healthy');
  });

  it('puts it at risk on support alone with three urgent tickets open for a day, and leaves it healthy with one, or three just opened', () => {
    expect(scoreWith({ urgent_open_tickets: 3, urgent_tickets_open_throughout: 3 })).toEqual({ score: 48, tier: 'at_risk' });
    expect(scoreWith({ urgent_open_tickets: 1, urgent_tickets_open_throughout: 1 })).toEqual({ score: 80, tier: 'healthy' });
    // An incident's tickets, open for hours: the signal reads them, the red flag waits a day.
    expect(scoreWith({ urgent_open_tickets: 3, urgent_tickets_open_throughout: 0 })).toEqual({ score: 93, tier: 'healthy' });
  });

  it('puts it at risk on a support escalation: a burst of tickets rated poorly, and not on the burst alone', () => {
    // Five tickets beyond its usual rate in two weeks, mean CSAT 2.
    expect(scoreWith({ ticket_volume_trend: 5, csat_mean: 2, rated_tickets: 4 })).toEqual({ score: 41, tier: 'at_risk' });
    expect(scoreWith({ ticket_volume_trend: 5, csat_mean: 4.5, rated_tickets: 4 })).toEqual({ score: 84, tier: 'healthy' });
    // None of its tickets rated: no poor rating, the burst alone.
    expect(scoreWith({ ticket_volume_trend: 5 })).toEqual({ score: 84, tier: 'healthy' });
  });

  it('puts it at risk when its use narrows to a quarter of its features, as much used as before', () => {
    // The same feature-days spread over a quarter of the features: about 4.5 days per usual feature.
    expect(scoreWith({ feature_breadth_trend: 0.25, feature_days_per_feature: 4.5, feature_breadth_vs_leanest: 0.25 })).toEqual({
      score: 43,
      tier: 'at_risk',
    });
    // Down to one of its ten features, used every day of the fortnight: 14 feature-days ÷ 10 features.
    expect(scoreWith({ feature_breadth_trend: 0.1, feature_days_per_feature: 1.4, feature_breadth_vs_leanest: 0.1 }).tier).toBe('at_risk');
  });

  it('puts it at risk on angry NPS answers alone, two or more, leaves it in monitor on one, and healthy on lukewarm detractors', () => {
    // Every recent answer a detractor: two averaging 2 of 10, then fives and sixes averaging 5.5.
    expect(scoreWith({ nps_weighted: -100, nps_mean_score: 2, nps_angry_answers: 2 })).toEqual({ score: 47, tier: 'at_risk' });
    // Fives and sixes: the NPS signal alone counts them, not the detractor flag (common among healthy accounts' answers).
    expect(scoreWith({ nps_weighted: -100, nps_mean_score: 5.5, nps_angry_answers: 0 })).toEqual({ score: 92, tier: 'healthy' });
    // A 4 among sixes, averaging 5: lukewarm on the whole, the NPS signal alone too.
    expect(scoreWith({ nps_weighted: -100, nps_mean_score: 5, nps_angry_answers: 1 })).toEqual({ score: 92, tier: 'healthy' });
    // Answers of 4: angry too.
    expect(scoreWith({ nps_weighted: -100, nps_mean_score: 4, nps_angry_answers: 3 })).toEqual({ score: 47, tier: 'at_risk' });
    // One angry answer: the detractor flag alone, as healthy accounts give one now and then.
    expect(scoreWith({ nps_weighted: -100, nps_mean_score: 2, nps_angry_answers: 1 })).toEqual({ score: 67, tier: 'monitor' });
  });

  // An account in use for four months (a login a week), scored on 30 June 2026 with these tickets:
  // its support_escalation flag.
  const ESCALATION_AS_OF = new Date('2026-06-30T12:00:00Z');
  const daysBefore = (days: number) => new Date(ESCALATION_AS_OF.getTime() - days * DAY_MS);
  type Ticket = { openedAt: Date; resolvedAt: Date; status: 'SOLVED'; csatRating: number };
  const escalationFlag = (tickets: Ticket[]) => {
    const weeklyLogins = Array.from({ length: 18 }, (_, week) => ({ occurredAt: daysBefore(week * 7), eventType: 'login' }));
    const metrics = metricsFromActivity(
      { engagementEvents: weeklyLogins, tickets },
      metricRequests(DEFAULT_SCORING_MODEL),
      ESCALATION_AS_OF,
    );
    return computeScore(DEFAULT_SCORING_MODEL, metrics).penalties.find((p) => p.name === 'support_escalation');
  };
  /** `count` tickets rated `rating`, opened `openedDaysAgo` (then every `apartDays`), each solved three days after it opened. */
  const burst = (count: number, openedDaysAgo: number, rating: number, apartDays: number): Ticket[] =>
    Array.from({ length: count }, (_, i) => ({
      openedAt: daysBefore(openedDaysAgo - i * apartDays),
      resolvedAt: daysBefore(openedDaysAgo - i * apartDays - 3),
      status: 'SOLVED',
      csatRating: rating,
    }));

  it('keeps a support escalation red-flagged for a month: its tickets solved, the customer is still the one who escalated', () => {
    // Five tickets rated 2 opened within half a day (none in the 90 days before), solved three days later.
    expect(escalationFlag(burst(5, 21, 2, 0.1))?.applied).toBe(true);
    expect(escalationFlag(burst(5, 35, 2, 0.1))?.applied).toBe(false);
  });

  it('red-flags an escalation of four poorly rated tickets on a quiet account, not four well-rated ones', () => {
    // One routine ticket two months ago, rated 5; then four opened over a week, 25 days ago. Against
    // 90 days that hold them, four tickets read about two beyond the usual rate.
    const routine = burst(1, 60, 5, 0);
    expect(escalationFlag([...routine, ...burst(4, 25, 2, 2)])?.rawValue).toBeCloseTo(4 - 5 / 3, 6);
    expect(escalationFlag([...routine, ...burst(4, 25, 2, 2)])?.applied).toBe(true);
    // An incident the support team handled well: the same burst rated 4, no escalation.
    expect(escalationFlag([...routine, ...burst(4, 25, 4, 2)])?.applied).toBe(false);
  });

  it('costs a drop of use to 40 % two red flags, but not on an account with too few active days for three weeks to measure', () => {
    // Three weeks at 40 % of the days before them; against a 60-day baseline that holds them, 0.5.
    const dropped = { active_days_trend: 0.5, events_trend: 0.5, active_days_vs_prior: 0.4, events_vs_prior: 0.4 };
    expect(scoreWith(dropped)).toEqual({ score: 55, tier: 'monitor' });
    // 20 active days in 60: three weeks hold about seven, and random days halve them now and then.
    expect(scoreWith({ ...dropped, active_days: 20 })).toEqual({ score: 85, tier: 'healthy' });
  });

  it("costs it lighter_days' 25 points when each day of use holds half its usual events, on as many days as before, unless it has too few days to measure or fewer people each day", () => {
    // Three weeks of half the events per day of use: events against a 60-day baseline that holds them
    // read 0.6. Scored without a previous tier, "monitor"; one healthy before stays healthy at 69.
    expect(scoreWith({ events_per_active_day_vs_prior: 0.5, events_trend: 0.6 })).toEqual({ score: 69, tier: 'monitor' });
    // 10 active days in three weeks: a handful of days of a few events each is no level to halve.
    expect(scoreWith({ events_per_active_day_vs_prior: 0.5, events_trend: 0.6, active_days: 10 })).toEqual({ score: 94, tier: 'healthy' });
    // A team shrunk to a quarter makes lighter days too: that one pattern is team_shrinking's alone, at risk, not critical.
    expect(
      scoreWith({
        active_users_trend: 0.25,
        active_users_vs_usual: 0.25,
        active_users_vs_leanest: 0.25,
        users_per_team_day_vs_prior: 0.25,
        events_per_active_day_vs_prior: 0.5,
      }),
    ).toEqual({
      score: 42,
      tier: 'at_risk',
    });
    // A quiet month: its people come a third as often, so its days are lighter, but most of them
    // still come in a fortnight. Not the flag's pattern: the usage trends count it, in "healthy".
    const quietMonth = { events_per_active_day_vs_prior: 0.4, users_per_team_day_vs_prior: 0.35, events_trend: 0.6 };
    expect(scoreWith(quietMonth)).toEqual({ score: 94, tier: 'healthy' });
    expect(scoreWith({ ...quietMonth, users_per_team_day_vs_prior: 0.8 })).toEqual({ score: 69, tier: 'monitor' });
  });

  it("gives the README's worked example its figures: 90, and 19 once the champion left", () => {
    const example = {
      silence_vs_cadence: 0.9,
      active_days: 50,
      active_days_trend: 0.95,
      events_trend: 0.8,
      active_users_trend: 0.75,
      active_users_vs_usual: 0.75,
      feature_breadth_trend: 0.7,
      seat_utilisation: 0.6,
      csat_mean: 4,
      nps_weighted: 50,
    };
    expect(scoreWith(example)).toEqual({ score: 90, tier: 'healthy' });
    expect(
      scoreWith({
        ...example,
        active_users_trend: 0.25,
        active_users_vs_usual: 0.25,
        active_users_vs_leanest: 0.25,
        events_trend: 0.45,
        events_vs_prior: 0.45,
      }),
    ).toEqual({
      score: 19,
      tier: 'critical',
    });
  });

  it('does not take a small sample of many rarely used features for a narrowing', () => {
    // A fortnight with one feature a day over 20 usual features shows a quarter of them: 0.7 feature-days per feature.
    expect(scoreWith({ feature_breadth_trend: 0.25, feature_days_per_feature: 0.7 })).toEqual({ score: 88, tier: 'healthy' });
  });

  it('does not take a fortnight without the features it touches on two or three days in two months for a narrowing', () => {
    // Two of five usual features seen, the three missing ones each used on two days of the last 60:
    // 0.4 of the breadth, with enough use (1.2 feature-days per usual feature) to count as a sample.
    expect(scoreWith({ feature_breadth_trend: 0.4, feature_days_per_feature: 1.2 }).tier).toBe('healthy');
    // Three of ten features kept, used as much as before, is one.
    expect(scoreWith({ feature_breadth_trend: 0.3, feature_days_per_feature: 3, feature_breadth_vs_leanest: 0.3 }).tier).toBe('at_risk');
  });
});
