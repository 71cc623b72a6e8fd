import {
  CLASSIC_SCORING_MODEL,
  DAY_MS,
  DEFAULT_SCORING_MODEL,
  decidePlaybookActions,
  expansionHoldDays,
  metricRequests,
  renderTemplate,
  silenceMetricKey,
} from '../../../src/scoring/model';
import type { PlaybookDecisionInput, PlannedAction } from '../../../src/scoring/model';

const now = new Date('2026-05-20T06:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);
const HIGH_ARR = 12_000_000; // $120k, above the $50k escalation line
const LOW_ARR = 1_200_000;

/** A healthy, steady, active customer with nothing to act on; each test changes what it is about. */
type Overrides = Omit<Partial<PlaybookDecisionInput>, 'current'> & { current?: Partial<PlaybookDecisionInput['current']> };

function decide(overrides: Overrides = {}) {
  const { current, ...rest } = overrides;
  return decidePlaybookActions({
    model: DEFAULT_SCORING_MODEL,
    customer: { name: 'Acme', arrCents: LOW_ARR, communicationOptOut: false },
    previous: { score: 78, tierKey: 'healthy' },
    peakScoreInDropWindow: 80,
    daysSinceLastActivity: 0.5,
    wasPreviouslyActive: true,
    firstActivityAt: daysAgo(400),
    tiersInExpansionHold: ['healthy'],
    recentActions: [],
    now,
    ...rest,
    current: { score: 77, tierKey: 'healthy', trend: 'STABLE', lifecycleStage: 'ACTIVE', ...current },
  });
}

/**
 * The decisions of daily scorings that gave `scores` (day 0 first) to a steady at-risk account, with the
 * drop window's peak and the lowest score since it as the scoring batch reads them, and the outreach log
 * carried forward.
 */
function dailyDecisions(scores: readonly number[]): PlannedAction[][] {
  const { withinDays } = DEFAULT_SCORING_MODEL.scoreDrop;
  const log: PlaybookDecisionInput['recentActions'] = [];
  return scores.map((score, day) => {
    const at = new Date(now.getTime() + day * DAY_MS);
    const window = scores.slice(Math.max(0, day - withinDays), day);
    const peak = window.length > 0 ? Math.max(...window) : null;
    const held = peak === null ? -1 : scores.slice(0, day).lastIndexOf(peak);
    const since = scores.slice(held + 1, day);
    const tierKey = score >= 50 ? 'monitor' : 'at_risk';
    const actions = decide({
      previous: day > 0 ? { score: scores[day - 1], tierKey: scores[day - 1] >= 50 ? 'monitor' : 'at_risk' } : null,
      peakScoreInDropWindow: peak,
      lowestSincePeak: held >= 0 && since.length > 0 ? Math.min(...since) : null,
      current: { score, tierKey },
      recentActions: [...log],
      now: at,
    });
    log.push(...actions.map((action) => ({ playbook: action.playbook, createdAt: at, status: action.status })));
    return actions;
  });
}

const summary = (actions: PlannedAction[]) => actions.map((a) => `${a.playbook}/${a.action}/${a.trigger}/${a.status}`);

describe('decidePlaybookActions', () => {
  it('does nothing for a steady customer with no trigger', () => {
    expect(decide()).toEqual([]);
  });

  describe('triggers', () => {
    it('runs the new tier’s playbook when the tier worsens', () => {
      const actions = decide({ current: { score: 66, tierKey: 'monitor' } });
      expect(summary(actions)).toEqual(['monitor/check_in_email/TIER_WORSENED/DECIDED', 'monitor/success_resources/TIER_WORSENED/DECIDED']);
      expect(actions[0]).toMatchObject({ audience: 'CUSTOMER', channel: 'EMAIL', escalation: false });
    });

    it('runs the tier’s playbook on a drop of 15 points within the drop window, not on 14', () => {
      const base = { previous: { score: 45, tierKey: 'at_risk' }, current: { score: 35, tierKey: 'at_risk' } } as const;
      expect(summary(decide({ ...base, peakScoreInDropWindow: 50 }))[0]).toBe('at_risk/csm_alert/SCORE_DROP/DECIDED');
      expect(decide({ ...base, peakScoreInDropWindow: 49 })).toEqual([]);
    });

    it('does not take an account climbing back from a worse tier for a drop, though it is still far below its peak', () => {
      const climbing = { previous: { score: 20, tierKey: 'critical' }, peakScoreInDropWindow: 90 } as const;
      expect(decide({ ...climbing, current: { score: 55, tierKey: 'monitor', trend: 'IMPROVING' } })).toEqual([]);
      // Falling a little from there is not a new drop (the fall from 90 was alerted when it came); a
      // fall of scoreDrop.points in one scoring is.
      const back = { previous: { score: 58, tierKey: 'monitor' }, peakScoreInDropWindow: 90, lowestSincePeak: 20 } as const;
      expect(decide({ ...back, current: { score: 55, tierKey: 'monitor' } })).toEqual([]);
      expect(summary(decide({ ...back, previous: { score: 68, tierKey: 'monitor' }, current: { score: 53, tierKey: 'monitor' } }))[0]).toBe(
        'monitor/check_in_email/SCORE_DROP/DECIDED',
      );
    });

    describe('a score drop is alerted once, when it happens', () => {
      // Fell 46 points from 75 days ago, and has sat at 30 since: a 1-point dip is no new drop.
      const fallen = { previous: { score: 30, tierKey: 'at_risk' }, peakScoreInDropWindow: 75, lowestSincePeak: 30 } as const;

      it('does not take a wobble a point lower, days after the fall, for a drop', () => {
        expect(decide({ ...fallen, current: { score: 29, tierKey: 'at_risk' } })).toEqual([]);
        // Nor without the lowest since the peak: the previous point was already past the mark.
        expect(decide({ ...fallen, lowestSincePeak: undefined, current: { score: 29, tierKey: 'at_risk' } })).toEqual([]);
      });

      it('takes the scoring that first crosses the mark below the peak for the drop, not one that crosses it again', () => {
        const crossing = {
          previous: { score: 64, tierKey: 'monitor' },
          peakScoreInDropWindow: 75,
          current: { score: 60, tierKey: 'monitor' },
        } as const;
        expect(summary(decide({ ...crossing, lowestSincePeak: 64 }))[0]).toBe('monitor/check_in_email/SCORE_DROP/DECIDED');
        // Below the mark already since the peak (58), climbed back to 64, below it again: the same slide.
        expect(decide({ ...crossing, lowestSincePeak: 58 })).toEqual([]);
      });

      it('alerts a second fall of scoreDrop.points in one scoring', () => {
        const again = { ...fallen, previous: { score: 49, tierKey: 'at_risk' }, current: { score: 34, tierKey: 'at_risk' } } as const;
        expect(summary(decide(again))[0]).toBe('at_risk/csm_alert/SCORE_DROP/DECIDED');
      });

      it('does not take a rise for a drop, though it is still far below the peak', () => {
        expect(decide({ ...fallen, current: { score: 31, tierKey: 'at_risk' } })).toEqual([]);
      });

      it('alerts one drop over a fortnight of daily scorings that fall 46 points, then dip a point now and then', () => {
        // Days 0–4 at 75, day 5 at 29, then 30 with 29 on days 13, 15 and 18 (8–13 days after the fall).
        const scores = [75, 75, 75, 75, 75, 29, 30, 30, 30, 30, 30, 30, 30, 29, 30, 29, 30, 30, 29, 30];
        const alerted = dailyDecisions(scores).flatMap((actions, day) => (actions.some((a) => a.status === 'DECIDED') ? [day] : []));
        // The fall's day alone (reported as the tier worsened, the first trigger).
        expect(alerted).toEqual([5]);
      });
    });

    it('does nothing on a drop within a tier that has no playbook', () => {
      expect(decide({ previous: { score: 95, tierKey: 'healthy' }, peakScoreInDropWindow: 95, current: { score: 75 } })).toEqual([]);
    });

    it('runs the critical playbook for every scoring in the worst band, even without a change', () => {
      const actions = decide({
        previous: { score: 22, tierKey: 'critical' },
        peakScoreInDropWindow: 24,
        current: { score: 21, tierKey: 'critical' },
      });
      expect(actions.map((a) => a.action)).toEqual(['csm_alert', 'check_in_email', 'offer']);
      expect(actions.every((a) => a.trigger === 'CRITICAL' && a.playbook === 'critical')).toBe(true);
    });

    it('runs the at-risk playbook when the second-worst band is also declining, not when stable', () => {
      const atRisk = { previous: { score: 42, tierKey: 'at_risk' }, peakScoreInDropWindow: 48 } as const;
      expect(summary(decide({ ...atRisk, current: { score: 40, tierKey: 'at_risk', trend: 'DECLINING' } }))[0]).toBe(
        'at_risk/csm_alert/AT_RISK_DECLINING/DECIDED',
      );
      expect(decide({ ...atRisk, current: { score: 40, tierKey: 'at_risk', trend: 'STABLE' } })).toEqual([]);
    });

    it('does not treat a declining monitor account as at-risk-and-declining', () => {
      expect(
        decide({
          previous: { score: 60, tierKey: 'monitor' },
          peakScoreInDropWindow: 66,
          current: { score: 58, tierKey: 'monitor', trend: 'DECLINING' },
        }),
      ).toEqual([]);
    });

    it('runs the playbook once, reporting the first trigger, when several fire together', () => {
      const actions = decide({
        previous: { score: 72, tierKey: 'healthy' },
        peakScoreInDropWindow: 80,
        current: { score: 25, tierKey: 'critical', trend: 'DECLINING' },
      });
      expect(actions).toHaveLength(3);
      expect(new Set(actions.map((a) => a.trigger))).toEqual(new Set(['TIER_WORSENED']));
    });

    describe('after a thinly observed scoring (a customer created before its data arrived)', () => {
      // Scored 80 healthy on a quarter of the weight, then 56 once its history came in.
      const thin = { previous: { score: 80, tierKey: 'healthy', coverage: 0.25 }, peakScoreInDropWindow: null } as const;

      it('fires no worsened tier and no drop: the move off it is a first scoring', () => {
        expect(decide({ ...thin, current: { score: 56, tierKey: 'monitor', coverage: 1 } })).toEqual([]);
        // The same previous, well observed, is a worsening.
        const observed = {
          previous: { score: 80, tierKey: 'healthy', coverage: 0.9 },
          current: { score: 56, tierKey: 'monitor' },
        } as const;
        expect(summary(decide(observed))[0]).toBe('monitor/check_in_email/TIER_WORSENED/DECIDED');
      });

      it('still runs the worst band’s playbook, telling no "was" of the thin score', () => {
        const actions = decide({ ...thin, current: { score: 20, tierKey: 'critical', coverage: 1 } });
        expect(new Set(actions.map((a) => a.trigger))).toEqual(new Set(['CRITICAL']));
        expect(actions[0].message).toBe('Acme is Critical: score 20. Call them today.');
        expect(actions.every((a) => a.previousScore === null)).toBe(true);
      });

      it('counts a score on none of the weight as thin whatever the model’s minCoverage', () => {
        const model = { ...DEFAULT_SCORING_MODEL, lifecycle: { ...DEFAULT_SCORING_MODEL.lifecycle, minCoverage: undefined } };
        expect(
          decide({
            model,
            peakScoreInDropWindow: null,
            previous: { score: 50, tierKey: 'monitor', coverage: 0 },
            current: { score: 40, tierKey: 'at_risk' },
          }),
        ).toEqual([]);
        expect(
          summary(
            decide({ model, previous: { score: 50, tierKey: 'monitor', coverage: 0.1 }, current: { score: 40, tierKey: 'at_risk' } }),
          )[0],
        ).toBe('at_risk/csm_alert/TIER_WORSENED/DECIDED');
      });
    });

    it('renders each action’s template with the customer, score and tier', () => {
      const [alert] = decide({
        previous: { score: 45, tierKey: 'at_risk' },
        peakScoreInDropWindow: 45,
        current: { score: 29, tierKey: 'critical' },
      });
      expect(alert.message).toBe('Acme dropped from At risk to Critical: score 29 (was 45). Call them today.');
    });

    it('says what happened in words for each trigger, never that an account moved to the tier it was already in', () => {
      const message = (overrides: Overrides) => decide(overrides)[0].message;
      expect(
        message({
          previous: { score: 42, tierKey: 'at_risk' },
          peakScoreInDropWindow: 48,
          current: { score: 40, tierKey: 'at_risk', trend: 'DECLINING' },
        }),
      ).toBe('Acme is At risk and still declining: score 40 (was 42).');
      // The score the decline is measured from, which a rise since the previous scoring does not contradict.
      expect(
        message({
          previous: { score: 40, tierKey: 'at_risk' },
          peakScoreInDropWindow: 58,
          earlierScore: 58,
          current: { score: 49, tierKey: 'at_risk', trend: 'DECLINING' },
        }),
      ).toBe('Acme is At risk and still declining (58 at least 7 days ago): score 49 (was 40).');
      expect(
        message({ previous: { score: 45, tierKey: 'at_risk' }, peakScoreInDropWindow: 52, current: { score: 35, tierKey: 'at_risk' } }),
      ).toBe('Acme fell 17 points from 52 within 14 days (At risk): score 35 (was 45).');
      expect(
        message({ previous: { score: 22, tierKey: 'critical' }, peakScoreInDropWindow: 24, current: { score: 21, tierKey: 'critical' } }),
      ).toBe('Acme is Critical: score 21 (was 22). Call them today.');
    });

    it('leaves "(was …)" out of a message when there is no previous score, or it is the current one', () => {
      const message = (overrides: Overrides) => decide(overrides)[0].message;
      const critical = { peakScoreInDropWindow: 0, current: { score: 0, tierKey: 'critical' } } as const;
      expect(message({ ...critical, previous: { score: 0, tierKey: 'critical' } })).toBe('Acme is Critical: score 0. Call them today.');
      expect(message({ ...critical, previous: null })).toBe('Acme is Critical: score 0. Call them today.');
      expect(
        message({
          previous: { score: 43, tierKey: 'at_risk' },
          peakScoreInDropWindow: 97,
          earlierScore: 97,
          current: { score: 43, tierKey: 'at_risk', trend: 'DECLINING' },
        }),
      ).toBe('Acme is At risk and still declining (97 at least 7 days ago): score 43.');
      // A template of the admin's that uses it outside parentheses still reads sensibly.
      const own = {
        ...DEFAULT_SCORING_MODEL,
        playbooks: DEFAULT_SCORING_MODEL.playbooks.map((playbook) =>
          playbook.key === 'critical'
            ? {
                ...playbook,
                actions: [{ ...playbook.actions[0], template: 'Was {{previousScore}}, now {{score}} ({{previousScore}} before).' }],
              }
            : playbook,
        ),
      };
      expect(message({ ...critical, model: own, previous: null })).toBe('Was —, now 0.');
      expect(message({ ...critical, model: own, previous: { score: 0, tierKey: 'critical' } })).toBe('Was 0, now 0.');
      expect(message({ ...critical, model: own, previous: { score: 9, tierKey: 'critical' } })).toBe('Was 9, now 0 (9 before).');
    });

    it('decides each action with the previous score its message shows after "was", null without one, for deliveries to carry', () => {
      const critical = { peakScoreInDropWindow: 24, current: { score: 21, tierKey: 'critical' } } as const;
      const alertOf = (actions: PlannedAction[]) => actions.find((a) => a.action === 'csm_alert');
      const shown = decide({ ...critical, previous: { score: 22, tierKey: 'critical' } });
      expect(alertOf(shown)?.message).toBe('Acme is Critical: score 21 (was 22). Call them today.');
      expect(shown.map((a) => a.previousScore)).toEqual(shown.map(() => 22));
      // No previous scoring to compare with (a first one, or one the caller leaves out after a model change that scores otherwise).
      const none = decide({ ...critical, previous: null });
      expect(alertOf(none)?.message).toBe('Acme is Critical: score 21. Call them today.');
      expect(none.map((a) => a.previousScore)).toEqual(none.map(() => null));
      // The same score: the message leaves it out as telling nothing, the action still has it.
      const same = decide({ ...critical, previous: { score: 21, tierKey: 'critical' } });
      expect(alertOf(same)?.message).toBe('Acme is Critical: score 21. Call them today.');
      expect(same.map((a) => a.previousScore)).toEqual(same.map(() => 21));
    });

    it('decides each action with the tier its message names as the one before, null where it names none', () => {
      const worsened = { peakScoreInDropWindow: 80, current: { score: 56, tierKey: 'monitor' } } as const;
      const template = (model: typeof DEFAULT_SCORING_MODEL) => ({
        ...model,
        playbooks: model.playbooks.map((playbook) =>
          playbook.key === 'monitor' ? { ...playbook, actions: [{ ...playbook.actions[0], template: 'from {{previousTier}}' }] } : playbook,
        ),
      });
      const model = template(DEFAULT_SCORING_MODEL);
      const tiers = (actions: PlannedAction[]) => actions.map((a) => [a.message, a.fromTier]);
      expect(tiers(decide({ ...worsened, model, previous: { score: 80, tierKey: 'healthy' } }))).toEqual([['from Healthy', 'healthy']]);
      // Placed by another tier scheme (the caller's null tierKey), thinly observed, or none: the drop
      // from the peak still runs the playbook, naming no tier before, and the action has none either.
      for (const previous of [{ score: 80, tierKey: null }, { score: 80, tierKey: 'healthy', coverage: 0.25 }, null]) {
        expect(tiers(decide({ ...worsened, model, previous }))).toEqual([['from —', null]]);
      }
    });
  });

  describe('silence', () => {
    it('alerts the team after 6 days without activity, on its own playbook', () => {
      const actions = decide({ daysSinceLastActivity: 7 });
      expect(actions).toEqual([
        expect.objectContaining({ playbook: 'silence', action: 'csm_alert', audience: 'TEAM', trigger: 'SILENCE', status: 'DECIDED' }),
      ]);
      expect(actions[0].message).toBe('Acme has had no activity for 7 days (Healthy, score 77).');
    });

    it('stays quiet before 6 days', () => {
      expect(decide({ daysSinceLastActivity: 5.9 })).toEqual([]);
    });

    it("alerts only after 3 of the account's usual gaps too: a weekly account's quiet week is its habit", () => {
      // A daily account's 6 days are 6 usual gaps; a weekly account's, under one.
      expect(summary(decide({ daysSinceLastActivity: 6.5, silenceInUsualGaps: 6.5 }))).toEqual(['silence/csm_alert/SILENCE/DECIDED']);
      expect(decide({ daysSinceLastActivity: 6.5, silenceInUsualGaps: 0.95 })).toEqual([]);
      expect(decide({ daysSinceLastActivity: 20, silenceInUsualGaps: 2.9 })).toEqual([]);
      expect(summary(decide({ daysSinceLastActivity: 21, silenceInUsualGaps: 3 }))).toEqual(['silence/csm_alert/SILENCE/DECIDED']);
      // Not measured (a model without the silence signal, or no rhythm to measure it in): days alone.
      expect(summary(decide({ daysSinceLastActivity: 6.5, silenceInUsualGaps: null }))).toEqual(['silence/csm_alert/SILENCE/DECIDED']);
      const daysOnly = { ...DEFAULT_SCORING_MODEL, silenceAlertGaps: undefined };
      expect(summary(decide({ model: daysOnly, daysSinceLastActivity: 6.5, silenceInUsualGaps: 0.95 }))).toEqual([
        'silence/csm_alert/SILENCE/DECIDED',
      ]);
    });

    it('finds where the model measures the silence in usual gaps: its silence_vs_cadence metric, or nowhere', () => {
      const key = metricRequests(DEFAULT_SCORING_MODEL).find((r) => r.metric === 'silence_vs_cadence')?.key;
      expect(key).toBeDefined();
      expect(silenceMetricKey(DEFAULT_SCORING_MODEL)).toBe(key);
      expect(silenceMetricKey(CLASSIC_SCORING_MODEL)).toBeNull();
    });

    it('does not alert for an account that was never active', () => {
      expect(decide({ daysSinceLastActivity: null, wasPreviouslyActive: false })).toEqual([]);
      expect(decide({ daysSinceLastActivity: 20, wasPreviouslyActive: false })).toEqual([]);
    });

    it('cools down independently of the tier playbook', () => {
      const actions = decide({
        previous: { score: 72, tierKey: 'healthy' },
        current: { score: 45, tierKey: 'at_risk', trend: 'DECLINING' },
        daysSinceLastActivity: 9,
        recentActions: [{ playbook: 'at_risk', createdAt: daysAgo(2) }],
      });
      expect(actions.filter((a) => a.playbook === 'at_risk').every((a) => a.status === 'SUPPRESSED_COOLDOWN')).toBe(true);
      expect(actions.filter((a) => a.playbook === 'silence').map((a) => a.status)).toEqual(['DECIDED']);
    });

    it('decides a team action once when a silent critical account runs both playbooks, and starts both cooldowns', () => {
      const silentCritical = {
        customer: { name: 'BigCo', arrCents: HIGH_ARR, communicationOptOut: false },
        previous: { score: 22, tierKey: 'critical' },
        current: { score: 21, tierKey: 'critical' },
        peakScoreInDropWindow: 24,
        daysSinceLastActivity: 25,
      } as const;
      const actions = decide(silentCritical);
      expect(summary(actions)).toEqual([
        'critical/csm_alert/CRITICAL/DECIDED',
        'critical/escalation_flag/CRITICAL/DECIDED',
        'critical/executive_outreach/CRITICAL/DECIDED',
        'critical/check_in_email/CRITICAL/DECIDED',
        'critical/offer/CRITICAL/DECIDED',
        'silence/csm_alert/SILENCE/SUPPRESSED_DUPLICATE',
        'silence/escalation_flag/SILENCE/SUPPRESSED_DUPLICATE',
      ]);
      // The next day neither playbook runs: the silence alert does not come a day late instead.
      const nextDay = decide({
        ...silentCritical,
        now: new Date(now.getTime() + DAY_MS),
        daysSinceLastActivity: 26,
        recentActions: actions.map((a) => ({ playbook: a.playbook, createdAt: now, status: a.status })),
      });
      expect(nextDay.every((a) => a.status === 'SUPPRESSED_COOLDOWN')).toBe(true);
      // A playbook already cooling down decides nothing, so the other's action is the one taken.
      const critical = decide({ ...silentCritical, recentActions: [{ playbook: 'critical', createdAt: daysAgo(2) }] });
      expect(critical.filter((a) => a.playbook === 'silence').map((a) => a.status)).toEqual(['DECIDED', 'DECIDED']);
    });
  });

  describe('opt-out', () => {
    it('skips customer-facing actions of an opted-out customer but still alerts the team', () => {
      const actions = decide({
        customer: { name: 'Acme', arrCents: LOW_ARR, communicationOptOut: true },
        previous: { score: 35, tierKey: 'at_risk' },
        current: { score: 25, tierKey: 'critical' },
      });
      expect(actions.map((a) => [a.audience, a.status])).toEqual([
        ['TEAM', 'DECIDED'],
        ['CUSTOMER', 'SKIPPED_OPT_OUT'],
        ['CUSTOMER', 'SKIPPED_OPT_OUT'],
      ]);
    });
  });

  describe('cooldown', () => {
    const critical = { previous: { score: 22, tierKey: 'critical' }, current: { score: 21, tierKey: 'critical' } } as const;

    it('suppresses every action of a playbook that ran within the last 7 days', () => {
      const actions = decide({ ...critical, recentActions: [{ playbook: 'critical', createdAt: daysAgo(6.9), status: 'DECIDED' }] });
      expect(actions).toHaveLength(3);
      expect(actions.every((a) => a.status === 'SUPPRESSED_COOLDOWN')).toBe(true);
    });

    it('runs again once the cooldown has passed', () => {
      const actions = decide({ ...critical, recentActions: [{ playbook: 'critical', createdAt: daysAgo(7) }] });
      expect(actions.every((a) => a.status === 'DECIDED')).toBe(true);
    });

    it('is not started by another playbook', () => {
      const actions = decide({ ...critical, recentActions: [{ playbook: 'at_risk', createdAt: daysAgo(1) }] });
      expect(actions.every((a) => a.status === 'DECIDED')).toBe(true);
    });

    it('is started by a run whose customer actions were skipped for opt-out', () => {
      const actions = decide({ ...critical, recentActions: [{ playbook: 'critical', createdAt: daysAgo(1), status: 'SKIPPED_OPT_OUT' }] });
      expect(actions.every((a) => a.status === 'SUPPRESSED_COOLDOWN')).toBe(true);
    });

    it('is not extended by suppressed entries, so a daily trigger runs weekly', () => {
      const recentActions = [
        { playbook: 'critical', createdAt: daysAgo(7), status: 'DECIDED' as const },
        ...[1, 2, 3, 4, 5, 6].map((d) => ({ playbook: 'critical', createdAt: daysAgo(d), status: 'SUPPRESSED_COOLDOWN' as const })),
      ];
      expect(decide({ ...critical, recentActions }).every((a) => a.status === 'DECIDED')).toBe(true);
    });

    it('counts a log entry dated after now: a concurrent scoring whose instant came a moment later committed it first', () => {
      const actions = decide({ ...critical, recentActions: [{ playbook: 'critical', createdAt: daysAgo(-0.00001), status: 'DECIDED' }] });
      expect(actions.every((a) => a.status === 'SUPPRESSED_COOLDOWN')).toBe(true);
    });
  });

  describe('escalation', () => {
    it('adds the escalation flag and executive outreach for a high-value critical account', () => {
      const actions = decide({
        customer: { name: 'BigCo', arrCents: HIGH_ARR, communicationOptOut: false },
        previous: { score: 35, tierKey: 'at_risk' },
        current: { score: 25, tierKey: 'critical' },
      });
      expect(actions.filter((a) => a.escalation).map((a) => [a.action, a.audience])).toEqual([
        ['escalation_flag', 'TEAM'],
        ['executive_outreach', 'TEAM'],
      ]);
    });

    it('accepts ARR as the string a bigint column arrives as', () => {
      const actions = decide({
        customer: { name: 'BigCo', arrCents: String(HIGH_ARR), communicationOptOut: false },
        previous: { score: 55, tierKey: 'monitor' },
        current: { score: 45, tierKey: 'at_risk' },
      });
      expect(actions.filter((a) => a.escalation).map((a) => a.action)).toEqual(['escalation_flag']);
    });

    it('leaves escalations out for accounts below the ARR line', () => {
      const actions = decide({ previous: { score: 35, tierKey: 'at_risk' }, current: { score: 25, tierKey: 'critical' } });
      expect(actions.some((a) => a.escalation)).toBe(false);
    });

    it('escalates a silent high-value account only when it is in one of the two worst tiers', () => {
      const bigCo = {
        customer: { name: 'BigCo', arrCents: HIGH_ARR, communicationOptOut: false },
        daysSinceLastActivity: 8,
        peakScoreInDropWindow: 62,
      };
      const inMonitor = decide({ ...bigCo, previous: { score: 60, tierKey: 'monitor' }, current: { score: 60, tierKey: 'monitor' } });
      const inAtRisk = decide({ ...bigCo, previous: { score: 45, tierKey: 'at_risk' }, current: { score: 45, tierKey: 'at_risk' } });
      expect(inMonitor.map((a) => a.action)).toEqual(['csm_alert']);
      expect(inAtRisk.filter((a) => a.playbook === 'silence').map((a) => [a.action, a.escalation])).toEqual([
        ['csm_alert', false],
        ['escalation_flag', true],
      ]);
    });
  });

  describe('expansion', () => {
    it('offers an expansion play to an advocate', () => {
      const actions = decide({ current: { score: 84, lifecycleStage: 'ADVOCATE' } });
      expect(summary(actions)).toEqual([
        'expansion/expansion_opportunity/EXPANSION/DECIDED',
        'expansion/referral_request/EXPANSION/DECIDED',
        'expansion/early_access_offer/EXPANSION/DECIDED',
      ]);
    });

    it('offers it to a best-tier customer scoring at least 90, not 89', () => {
      expect(decide({ current: { score: 90 } })).toHaveLength(3);
      expect(decide({ current: { score: 89 } })).toEqual([]);
    });

    it('holds it back while the score is declining or the account is silent', () => {
      expect(decide({ current: { score: 92, trend: 'DECLINING' } })).toEqual([]);
      // A trend not measured (no point a trend window ago, or a model change since) may hide a fall: the play waits for one.
      expect(decide({ current: { score: 92, trendUnknown: true } })).toEqual([]);
      expect(decide({ current: { score: 92, trendUnknown: false } })).toHaveLength(3);
      expect(summary(decide({ current: { score: 92 }, daysSinceLastActivity: 8 }))).toEqual(['silence/csm_alert/SILENCE/DECIDED']);
    });

    it('holds it back while the score is thinly observed (a returning customer whose baselines are refilling)', () => {
      expect(decide({ current: { score: 92, coverage: 0.55 } })).toEqual([]);
      expect(decide({ current: { score: 84, lifecycleStage: 'ADVOCATE', coverage: 0.55 } })).toEqual([]);
      expect(decide({ current: { score: 92, coverage: 0.6 } })).toHaveLength(3);
    });

    describe('only for a team in use', () => {
      // The default model's signals on the account's people: the share of its usual team seen lately, and of its seats used.
      const team = (usual: number | null, seats: number | null) => [
        { name: 'active_users_trend', rawValue: usual },
        { name: 'seat_utilisation', rawValue: seats },
      ];

      it('holds it back from an integration whose events name nobody, however high its score', () => {
        expect(decide({ current: { score: 92, signals: team(null, null) } })).toEqual([]);
        expect(decide({ current: { score: 84, lifecycleStage: 'ADVOCATE', signals: team(null, null) } })).toEqual([]);
      });

      it('holds it back from an account using fewer than half its seats, where its seats are known', () => {
        expect(decide({ current: { score: 90, signals: team(1, 0.2) } })).toEqual([]);
        expect(decide({ current: { score: 90, signals: team(1, 0.49) } })).toEqual([]);
        expect(decide({ current: { score: 90, signals: team(1, 0.5) } })).toHaveLength(3);
        // No seats known: the team alone tells.
        expect(decide({ current: { score: 90, signals: team(0.9, null) } })).toHaveLength(3);
      });

      it('asks nothing of a model that does not measure the account’s people', () => {
        expect(decide({ current: { score: 92, signals: [{ name: 'active_days_trend', rawValue: 1 }] } })).toHaveLength(3);
      });
    });

    it('holds it back while the account has been in use for less than 30 days, whatever its signup and score', () => {
      expect(decide({ current: { score: 95 }, firstActivityAt: daysAgo(2) })).toEqual([]);
      expect(decide({ current: { score: 95 }, firstActivityAt: daysAgo(30) })).toHaveLength(3);
    });

    it('waits until the account has been in no worse tier for 14 days: a jump out of the worst tier earns no referral request', () => {
      // Critical (score 0, failing payments) at the previous scoring, 98 once its invoices were paid.
      const jump = {
        previous: { score: 0, tierKey: 'critical' },
        peakScoreInDropWindow: 0,
        current: { score: 98, trend: 'IMPROVING' as const },
      };
      expect(decide({ ...jump, tiersInExpansionHold: ['critical'] })).toEqual([]);
      // Healthy since, with the critical spell still within the hold; an advocate below 90 just out of monitor alike.
      expect(decide({ current: { score: 98 }, tiersInExpansionHold: ['healthy', 'critical'] })).toEqual([]);
      expect(decide({ current: { score: 84, lifecycleStage: 'ADVOCATE' }, tiersInExpansionHold: ['monitor', 'healthy'] })).toEqual([]);
      expect(decide({ current: { score: 84, lifecycleStage: 'ADVOCATE' }, tiersInExpansionHold: ['healthy'] })).toHaveLength(3);
      // A tier another version's scheme named says nothing of this model's bands.
      expect(decide({ current: { score: 95 }, tiersInExpansionHold: ['healthy', 'thriving'] })).toHaveLength(3);
      // Best tier throughout the hold (or no point in it): the play.
      expect(decide({ current: { score: 95 }, tiersInExpansionHold: [] })).toHaveLength(3);
      // Not read for an account that qualifies: held back, rather than asked on a guess.
      expect(decide({ current: { score: 95 }, tiersInExpansionHold: null })).toEqual([]);
    });

    it('takes its hold from the playbook: holdDays 0 turns it off', () => {
      const model = structuredClone(DEFAULT_SCORING_MODEL);
      const expansion = model.playbooks.find((p) => p.kind === 'expansion')!;
      expect(expansionHoldDays(model)).toBe(14);
      expect(expansion.kind === 'expansion' && expansion.holdDays).toBeUndefined();
      if (expansion.kind === 'expansion') expansion.holdDays = 0;
      expect(expansionHoldDays(model)).toBe(0);
      expect(decide({ model, current: { score: 95 }, tiersInExpansionHold: ['critical'] })).toHaveLength(3);
      expect(decide({ model, current: { score: 95 }, tiersInExpansionHold: null })).toHaveLength(3);
    });

    it('cools down for 30 days, its own setting', () => {
      const recent = (days: number) => [{ playbook: 'expansion', createdAt: daysAgo(days) }];
      expect(decide({ current: { score: 95 }, recentActions: recent(20) }).every((a) => a.status === 'SUPPRESSED_COOLDOWN')).toBe(true);
      expect(decide({ current: { score: 95 }, recentActions: recent(30) }).every((a) => a.status === 'DECIDED')).toBe(true);
    });

    it('skips the customer-facing parts for an opted-out advocate', () => {
      const actions = decide({
        customer: { arrCents: LOW_ARR, communicationOptOut: true },
        current: { score: 84, lifecycleStage: 'ADVOCATE' },
      });
      expect(actions.map((a) => a.status)).toEqual(['DECIDED', 'SKIPPED_OPT_OUT', 'SKIPPED_OPT_OUT']);
    });
  });

  describe('lifecycle', () => {
    it('leaves churned customers out of the outreach loop', () => {
      expect(decide({ current: { score: 5, tierKey: 'critical', lifecycleStage: 'CHURNED' }, daysSinceLastActivity: 70 })).toEqual([]);
    });

    it('runs no risk playbook while onboarding, but still raises the silence alert', () => {
      expect(
        decide({ previous: { score: 40, tierKey: 'at_risk' }, current: { score: 25, tierKey: 'critical', lifecycleStage: 'ONBOARDING' } }),
      ).toEqual([]);
      expect(
        summary(decide({ current: { score: 25, tierKey: 'critical', lifecycleStage: 'ONBOARDING' }, daysSinceLastActivity: 7.5 })),
      ).toEqual(['silence/csm_alert/SILENCE/DECIDED']);
    });
  });
});

describe('renderTemplate', () => {
  it('fills known placeholders and leaves unknown ones visible', () => {
    expect(renderTemplate('Hi {{customerName}}, {{ score }} / {{nope}}', { customerName: 'Acme', score: '42' })).toBe(
      'Hi Acme, 42 / {{nope}}',
    );
  });

  it('lets a value that ends with a full stop take the place of the one after it', () => {
    const template = 'Early access is open for {{customerName}}. Score {{score}}.';
    expect(renderTemplate(template, { customerName: 'Thistle Biotech Inc.', score: '42' })).toBe(
      'Early access is open for Thistle Biotech Inc. Score 42.',
    );
    expect(renderTemplate(template, { customerName: 'Acme', score: '42' })).toBe('Early access is open for Acme. Score 42.');
    expect(renderTemplate('{{nope}}.', {})).toBe('{{nope}}.');
  });

  it('leaves out a part in parentheses holding a placeholder with nothing to tell, and only that part', () => {
    const template = '{{customerName}} ({{tier}}): score {{score}} (was {{ previousScore }}), last {{previousScore}}.';
    const values = { customerName: 'Acme', tier: 'Critical', score: '12', previousScore: '—' };
    expect(renderTemplate(template, values, ['previousScore'])).toBe('Acme (Critical): score 12, last —.');
    expect(renderTemplate(template, { ...values, previousScore: '30' })).toBe('Acme (Critical): score 12 (was 30), last 30.');
  });
});
