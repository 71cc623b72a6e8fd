import { DEFAULT_SCORING_MODEL, TIER_PRESETS, defaultModelWithTiers, tierFor, validateModel } from '../../../src/scoring/model';
import { MODEL_LIMITS } from '../../../src/scoring/model/validate-model';
import type { ScoringModelConfig, TierPresetName } from '../../../src/scoring/model';
import { defaultModelCopy } from './model-factory';

/** Errors of the default model after one change: each test must produce exactly its own error. */
function errorsAfter(change: (model: ScoringModelConfig) => void): string[] {
  const model = defaultModelCopy();
  change(model);
  return validateModel(model);
}

const engagementSignal = (model: ScoringModelConfig, index = 0) => model.components[0].signals[index];
/** Every list and object within `value`, by its path (as problems name it) and its keys from the top. */
function partsOf(value: object, path = '', keys: string[] = []): Array<{ path: string; keys: string[]; isList: boolean }> {
  return Object.entries(value).flatMap(([key, child]) => {
    if (child === null || typeof child !== 'object') return [];
    const at = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    const part = { path: at, keys: [...keys, key], isList: Array.isArray(child) };
    return [part, ...partsOf(child as object, at, part.keys)];
  });
}

/** Leaves a setting out, as a client that forgot it would. */
const without = (object: object, key: string) => delete (object as Record<string, unknown>)[key];

describe('validateModel', () => {
  it('accepts the default model', () => {
    expect(validateModel(DEFAULT_SCORING_MODEL)).toEqual([]);
  });

  it.each(Object.keys(TIER_PRESETS) as TierPresetName[])('accepts the default model with the %s preset', (preset) => {
    expect(validateModel(defaultModelWithTiers(preset))).toEqual([]);
  });

  describe('size', () => {
    it('refuses a model with more signals, penalties or components than a run can afford, without walking them', () => {
      const signal = DEFAULT_SCORING_MODEL.components[0].signals[0];
      const many = Array.from({ length: 30_000 }, (_, i) => ({ ...signal, name: `s${i}` }));
      const started = Date.now();
      expect(errorsAfter((m) => m.components[0].signals.push(...many))).toEqual([
        `the model is too large: signals (in all components): ${13 + 30_000}, at most ${MODEL_LIMITS.signals}`,
      ]);
      // Refused on the counts: no per-signal error list of 30,000 lines.
      expect(Date.now() - started).toBeLessThan(1000);
      expect(errorsAfter((m) => (m.penalties = Array.from({ length: 65 }, (_, i) => ({ ...m.penalties[0], name: `p${i}` }))))).toEqual([
        `the model is too large: penalties: 65, at most ${MODEL_LIMITS.penalties}`,
      ]);
      expect(
        errorsAfter(
          (m) => (m.components = Array.from({ length: 17 }, (_, i) => ({ name: `c${i}`, signals: [{ ...signal, name: `s${i}` }] }))),
        ),
      ).toEqual([`the model is too large: components: 17, at most ${MODEL_LIMITS.components}`]);
    });

    it('refuses a component, signal or penalty name with white space around it: names show in reasons and alerts as written', () => {
      expect(errorsAfter((m) => (m.components[0].signals[0].name = ` ${m.components[0].signals[0].name}`))).toEqual([
        `components[0].signals[0].name " ${DEFAULT_SCORING_MODEL.components[0].signals[0].name}" starts or ends with white space`,
      ]);
      expect(errorsAfter((m) => (m.penalties[0].name = `${m.penalties[0].name} `))).toEqual([
        `penalties[0].name "${DEFAULT_SCORING_MODEL.penalties[0].name} " starts or ends with white space`,
      ]);
      expect(errorsAfter((m) => (m.components[1].name = `\t${m.components[1].name}`))).toEqual([
        `components[1].name "\\t${DEFAULT_SCORING_MODEL.components[1].name}" starts or ends with white space`,
      ]);
    });

    it('refuses a tier or playbook key with white space around it, a control character, or differing from another only in case', () => {
      expect(errorsAfter((m) => (m.tiers[0].key = ` ${m.tiers[0].key}`))).toEqual([
        `tiers[0].key " ${DEFAULT_SCORING_MODEL.tiers[0].key}" starts or ends with white space`,
      ]);
      expect(errorsAfter((m) => (m.tiers[0].key = 'good\tones'))).toEqual([
        'tiers[0].key "good\\tones" holds a control character or a direction override',
      ]);
      const caseVariant = errorsAfter((m) => (m.tiers[1].key = m.tiers[0].key.toUpperCase()));
      expect(caseVariant).toContain(
        `tiers[1].key "${DEFAULT_SCORING_MODEL.tiers[0].key.toUpperCase()}" differs from the key "${DEFAULT_SCORING_MODEL.tiers[0].key}" of another band only in case or form`,
      );
      const playbook = errorsAfter((m) => (m.playbooks[1].key = m.playbooks[0].key.toUpperCase()));
      expect(playbook).toContain(
        `playbooks[1].key "${DEFAULT_SCORING_MODEL.playbooks[0].key.toUpperCase()}" differs from the key "${DEFAULT_SCORING_MODEL.playbooks[0].key}" of another playbook only in case or form`,
      );
    });

    it('refuses a tier or playbook key longer than 100 characters, which the indexes of what scoring writes could not hold', () => {
      // 4-byte characters: 2,000 of them beside a long customer id overflowed an index entry when scoring wrote the tier.
      const long = '😀'.repeat(MODEL_LIMITS.keyLength + 1);
      expect(errorsAfter((m) => (m.tiers[0].key = long))).toContain(`tiers[0].key is longer than ${MODEL_LIMITS.keyLength} characters`);
      expect(errorsAfter((m) => (m.playbooks[0].key = long))).toContain(
        `playbooks[0].key is longer than ${MODEL_LIMITS.keyLength} characters`,
      );
      expect(errorsAfter((m) => (m.playbooks[0].key = '😀'.repeat(MODEL_LIMITS.keyLength)))).toEqual([]);
    });

    it('refuses a NUL or a lone surrogate in a key, name or template, which the stored model (jsonb) cannot hold', () => {
      for (const [text, change] of [
        ['at\u0000risk', (m: ScoringModelConfig) => (m.tiers[0].key = 'at\u0000risk')],
        ['\ud800', (m: ScoringModelConfig) => (m.playbooks[0].actions[0].template = '\ud800')],
        ['n\u0000', (m: ScoringModelConfig) => ((m as unknown as Record<string, unknown>)['n\u0000'] = 1)],
      ] as const) {
        expect(errorsAfter(change)).toEqual([
          `${JSON.stringify(text)}: a name, key or template may not contain NUL (U+0000) or a lone surrogate`,
        ]);
      }
    });

    it('refuses an overlong name or template, and a config too large as a whole', () => {
      expect(errorsAfter((m) => (m.playbooks[0].actions[0].template = 'x'.repeat(MODEL_LIMITS.textLength + 1)))).toEqual([
        `the model is too large: characters of the longest name, key or template: ${MODEL_LIMITS.textLength + 1}, at most ${MODEL_LIMITS.textLength}`,
      ]);
      const long = 'y'.repeat(MODEL_LIMITS.textLength);
      const errors = errorsAfter((m) => m.playbooks.forEach((p) => p.actions.forEach((a) => (a.template = long))));
      expect(errors).toEqual([]);
      const huge = errorsAfter((m) => {
        for (let i = 0; i < 51; i++) m.components[0].signals.push({ ...m.components[0].signals[0], name: `${'z'.repeat(1990)}${i}` });
        for (let i = 0; m.penalties.length < MODEL_LIMITS.penalties; i++)
          m.penalties.push({ ...m.penalties[0], name: `${'w'.repeat(1990)}${i}` });
        m.playbooks.forEach((p) => p.actions.forEach((a) => (a.template = long)));
        for (const p of m.playbooks) while (p.actions.length < MODEL_LIMITS.actionsPerPlaybook) p.actions.push({ ...p.actions[0] });
      });
      expect(huge).toEqual([expect.stringMatching(/^the model is too large: characters of the config as JSON: \d+, at most 262144$/)]);
    });

    it('counts the characters of a name, label or template as Unicode code points, as every other length', () => {
      const emoji = '🙂'.repeat(MODEL_LIMITS.textLength);
      expect(errorsAfter((m) => (m.tiers[0].label = emoji))).toEqual([]);
      expect(errorsAfter((m) => (m.playbooks[0].actions[0].template = emoji))).toEqual([]);
      expect(errorsAfter((m) => (m.penalties[0].name = `${emoji}🙂`))).toEqual([
        `the model is too large: characters of the longest name, key or template: ${MODEL_LIMITS.textLength + 1}, at most ${MODEL_LIMITS.textLength}`,
      ]);
    });
  });

  describe('weights', () => {
    it('rejects a negative weight', () => {
      expect(errorsAfter((m) => (engagementSignal(m).weight = -1))).toEqual(['components[0].signals[0].weight must be within 0…1,000,000']);
    });

    it('accepts a zero weight but not all weights zero', () => {
      expect(errorsAfter((m) => (engagementSignal(m).weight = 0))).toEqual([]);
      expect(errorsAfter((m) => m.components.forEach((c) => c.signals.forEach((s) => (s.weight = 0))))).toEqual([
        'signal weights must not all be zero',
      ]);
    });
  });

  describe('tiers', () => {
    it('requires a band starting at 0 so no score falls through', () => {
      expect(errorsAfter((m) => (m.tiers = m.tiers.map((b) => (b.lowerBound === 0 ? { ...b, lowerBound: 10 } : b))))).toEqual([
        'tiers leave a gap: one band must have lowerBound 0',
      ]);
    });

    it('rejects two bands with the same lower bound as an overlap', () => {
      expect(errorsAfter((m) => (m.tiers = m.tiers.map((b) => (b.key === 'monitor' ? { ...b, lowerBound: 70 } : b))))).toEqual([
        'tiers[1].lowerBound 70 overlaps another band with the same lower bound',
      ]);
    });

    it('rejects duplicate tier keys', () => {
      expect(errorsAfter((m) => (m.tiers = m.tiers.map((b) => (b.key === 'at_risk' ? { ...b, key: 'monitor' } : b))))).toContain(
        'tiers[2].key "monitor" is used by more than one band',
      );
    });

    it('rejects lower bounds that are not whole numbers within 0…100', () => {
      expect(errorsAfter((m) => (m.tiers[0].lowerBound = 70.5))).toEqual(['tiers[0].lowerBound must be a whole number within 0…100']);
      expect(errorsAfter((m) => (m.tiers[0].lowerBound = 101))).toEqual(['tiers[0].lowerBound must be a whole number within 0…100']);
    });

    it('requires severity to rank bands the same way as their scores', () => {
      expect(errorsAfter((m) => (m.tiers = m.tiers.map((b) => (b.key === 'monitor' ? { ...b, severity: 5 } : b))))).toEqual([
        'tiers: severity must increase as lowerBound falls ("at_risk" is below "monitor" but not more severe)',
      ]);
    });

    it('rejects an empty band list', () => {
      expect(errorsAfter((m) => ((m.tiers = []), (m.playbooks = m.playbooks.filter((p) => p.kind !== 'tier'))))).toEqual([
        'tiers must contain at least one band',
      ]);
    });
  });

  it('rejects negative hysteresis', () => {
    expect(errorsAfter((m) => (m.hysteresis = -1))).toEqual(['hysteresis must be within 0…100']);
  });

  it('refuses a tier hysteresis as wide as the narrowest band: the tiers beside it would be held across the whole of it', () => {
    // Why the bound is the width, not above it: at 19 a score inside monitor (50 to below 70) leaves
    // at_risk and healthy for monitor; at 20 both are held across all of monitor, and none enters it.
    const { tiers } = DEFAULT_SCORING_MODEL;
    const monitorReached = (hysteresis: number) =>
      [...Array(20).keys()].some((offset) =>
        ['at_risk', 'healthy'].some((held) => tierFor(50 + offset, tiers, held, hysteresis).key === 'monitor'),
      );
    expect([19, 19.9, 20].map(monitorReached)).toEqual([true, true, false]);
    const tooWide = (hysteresis: number) =>
      `hysteresis ${hysteresis} must be smaller than the narrowest tier band, "monitor", 20 points wide (50 to below 70): ` +
      'a tier held that far past its bounds would cover the whole of that band, and no score would enter it from the tiers beside it';
    for (const bad of [20, 35, 100]) expect(errorsAfter((m) => (m.hysteresis = bad))).toEqual([tooWide(bad)]);
    for (const good of [0, 2, 19.9]) expect(errorsAfter((m) => (m.hysteresis = good))).toEqual([]);
    // The best band counts up to 100, the highest score: healthy from 95 is 5 points wide.
    const healthyFrom = (lowerBound: number) => (m: ScoringModelConfig) =>
      (m.tiers = m.tiers.map((band) => (band.key === 'healthy' ? { ...band, lowerBound } : band)));
    expect(errorsAfter((m) => (healthyFrom(95)(m), (m.hysteresis = 5)))).toEqual([
      'hysteresis 5 must be smaller than the narrowest tier band, "healthy", 5 points wide (95 to 100): ' +
        'a tier held that far past its bounds would cover the whole of that band, and no score would enter it from the tiers beside it',
    ]);
    expect(errorsAfter((m) => (healthyFrom(95)(m), (m.hysteresis = 4.5)))).toEqual([]);
    // A best band of a perfect score alone leaves room for none: only 0 holds nothing.
    expect(errorsAfter((m) => (healthyFrom(100)(m), (m.hysteresis = 0.5)))).toHaveLength(1);
    expect(errorsAfter((m) => (healthyFrom(100)(m), (m.hysteresis = 0)))).toEqual([]);
    // Every preset leaves room for the default's 2 and more.
    for (const preset of Object.keys(TIER_PRESETS) as TierPresetName[]) {
      expect(validateModel({ ...defaultModelWithTiers(preset), hysteresis: 9.9 })).toEqual([]);
    }
  });

  it('takes a penalty hysteresis from 0 to half of each threshold, or none', () => {
    for (const bad of [-0.1, 0.6, Number.NaN, '0.1' as unknown as number])
      expect(errorsAfter((m) => (m.penaltyHysteresis = bad))).toEqual(['penaltyHysteresis must be within 0…0.5']);
    for (const good of [0, 0.25, 0.5]) expect(errorsAfter((m) => (m.penaltyHysteresis = good))).toEqual([]);
    expect(errorsAfter((m) => delete m.penaltyHysteresis)).toEqual([]);
  });

  it('takes the silence alert in 0 to 100 usual gaps, or none (days alone)', () => {
    for (const bad of [-1, 101, Number.NaN, '3' as unknown as number])
      expect(errorsAfter((m) => (m.silenceAlertGaps = bad))).toEqual(['silenceAlertGaps must be within 0…100 when given']);
    for (const good of [0, 3, 100]) expect(errorsAfter((m) => (m.silenceAlertGaps = good))).toEqual([]);
    expect(errorsAfter((m) => delete m.silenceAlertGaps)).toEqual([]);
  });

  describe('windows', () => {
    it('rejects signal windows that are not whole positive days', () => {
      expect(errorsAfter((m) => (engagementSignal(m).windowDays = 0))).toEqual([
        'components[0].signals[0].windowDays must be a whole number of days within 1…3650',
      ]);
      expect(errorsAfter((m) => (engagementSignal(m).windowDays = 7.5))).toEqual([
        'components[0].signals[0].windowDays must be a whole number of days within 1…3650',
      ]);
    });

    it('rejects a penalty window of 0', () => {
      expect(errorsAfter((m) => (m.penalties[0].windowDays = 0))).toEqual([
        'penalties[0].windowDays must be a whole number of days within 1…3650',
      ]);
    });

    it('rejects a trend window of 0 and lifecycle windows of 0', () => {
      expect(errorsAfter((m) => (m.trend.windowDays = 0))).toEqual(['trend.windowDays must be a whole number of days within 1…3650']);
      expect(errorsAfter((m) => (m.lifecycle.churnWindowDays = 0))).toEqual([
        'lifecycle.churnWindowDays must be a whole number of days within 1…3650',
      ]);
      expect(errorsAfter((m) => (m.lifecycle.onboardingDays = -1))).toEqual([
        'lifecycle.onboardingDays must be a whole number of days within 1…3650',
      ]);
      expect(errorsAfter((m) => (m.silenceAlertDays = 0))).toEqual(['silenceAlertDays must be a whole number of days within 1…3650']);
    });

    it('takes every setting counted in days as a whole number of days only, where 0 or 1 day is the least', () => {
      const settings: Array<[string, (m: ScoringModelConfig, days: number) => void, string]> = [
        ['lifecycle.churnWindowDays', (m, days) => (m.lifecycle.churnWindowDays = days), '1…3650'],
        ['lifecycle.onboardingDays', (m, days) => (m.lifecycle.onboardingDays = days), '1…3650'],
        ['silenceAlertDays', (m, days) => (m.silenceAlertDays = days), '1…3650'],
        ['cooldownDays', (m, days) => (m.cooldownDays = days), '0…3650'],
        ['playbooks[0].cooldownDays', (m, days) => (m.playbooks[0].cooldownDays = days), '0…3650'],
        ['playbooks[4].holdDays', (m, days) => Object.assign(m.playbooks[4], { holdDays: days }), '0…3650'],
        ['trend.windowDays', (m, days) => (m.trend.windowDays = days), '1…3650'],
        ['scoreDrop.withinDays', (m, days) => (m.scoreDrop.withinDays = days), '1…3650'],
        ['penalties[0].windowDays', (m, days) => (m.penalties[0].windowDays = days), '1…3650'],
      ];
      for (const [path, set, range] of settings) {
        for (const days of [0.5, 0.01, 30.5]) {
          expect(errorsAfter((m) => set(m, days))).toEqual([`${path} must be a whole number of days within ${range}`]);
        }
        expect(errorsAfter((m) => set(m, 30))).toEqual([]);
      }
    });

    it('takes a fraction of a day the active model was stored with where it stands unchanged, as releases before whole days were required took it', () => {
      const stored = defaultModelCopy();
      stored.lifecycle.onboardingDays = 14.5;
      stored.silenceAlertDays = 10.5;
      stored.cooldownDays = 2.5;
      stored.playbooks[0].cooldownDays = 1.5;
      Object.assign(stored.playbooks[4], { holdDays: 0.5 });
      expect(validateModel(stored, { active: stored })).toEqual([]);
      // Changed, or set where the active model has none, it is refused as in any model.
      const changed = { ...stored, lifecycle: { ...stored.lifecycle, onboardingDays: 14.25, churnWindowDays: 90.5 } };
      expect(validateModel(changed, { active: stored })).toEqual([
        'lifecycle.onboardingDays must be a whole number of days within 1…3650',
        'lifecycle.churnWindowDays must be a whole number of days within 1…3650',
      ]);
      // A playbook's by its key: another playbook's cooldown is not its own.
      const moved = { ...stored, playbooks: [{ ...stored.playbooks[0], key: 'renamed' }, ...stored.playbooks.slice(1)] };
      expect(validateModel(moved, { active: stored })).toEqual(['playbooks[0].cooldownDays must be a whole number of days within 0…3650']);
      expect(validateModel(stored)).toHaveLength(5);
    });
  });

  describe('bounds that keep every valid model scorable', () => {
    it('rejects windows, baselines and churn windows past ten years, and weights that overflow', () => {
      expect(errorsAfter((m) => (engagementSignal(m).windowDays = 5000))).toEqual([
        'components[0].signals[0].windowDays must be a whole number of days within 1…3650',
      ]);
      expect(errorsAfter((m) => (m.lifecycle.churnWindowDays = 1e9))).toEqual([
        'lifecycle.churnWindowDays must be a whole number of days within 1…3650',
      ]);
      expect(errorsAfter((m) => (engagementSignal(m).weight = 1e308))).toEqual([
        'components[0].signals[0].weight must be within 0…1,000,000',
      ]);
      expect(errorsAfter((m) => (m.lifecycle.minCoverage = 1.5))).toEqual(['lifecycle.minCoverage must be within 0…1']);
    });

    it("requires a baseline for the metrics relative to the account's history, and only for them", () => {
      expect(errorsAfter((m) => delete engagementSignal(m, 1).baselineDays)).toEqual([
        'components[0].signals[1].baselineDays must be a whole number of days within 1…3650 for metric "active_days_trend"',
      ]);
      expect(errorsAfter((m) => (engagementSignal(m, 1).baselineDays = 21))).toEqual([
        "components[0].signals[1].baselineDays must be longer than windowDays: the baseline is the account's usual level over a span that holds the recent window",
      ]);
      // The `_vs_leanest` metrics compare the window with earlier ones of its length: the baseline must hold two.
      expect(
        errorsAfter((m) => Object.assign(engagementSignal(m, 1), { metric: 'active_users_vs_leanest', windowDays: 14, baselineDays: 27 })),
      ).toEqual([
        'components[0].signals[1].baselineDays must be at least twice windowDays for metric "active_users_vs_leanest": it compares the recent window with earlier windows of its length within the baseline',
      ]);
      expect(
        errorsAfter((m) =>
          Object.assign(engagementSignal(m, 1), { metric: 'feature_breadth_vs_leanest', windowDays: 14, baselineDays: 28 }),
        ),
      ).toEqual([]);
      expect(errorsAfter((m) => (engagementSignal(m, 0).baselineDays = 30))).toEqual([
        'components[0].signals[0].baselineDays only applies to active_days_trend, events_trend, team_active_days_trend, active_days_vs_prior, events_vs_prior, events_per_active_day_vs_prior, users_per_team_day_vs_prior, active_users_trend, active_users_vs_usual, feature_breadth_trend, active_users_vs_leanest, feature_breadth_vs_leanest, feature_days_per_feature, ticket_volume_trend',
      ]);
    });
  });

  describe('signals', () => {
    it('rejects normaliser parameters that would divide by zero or invert', () => {
      expect(errorsAfter((m) => (engagementSignal(m).normaliser = { kind: 'target', target: 0 }))).toEqual([
        'components[0].signals[0].normaliser.target must be > 0 and at most 1,000,000',
      ]);
      expect(errorsAfter((m) => (engagementSignal(m).normaliser = { kind: 'recency', fullDays: 7, zeroDays: 3 }))).toEqual([
        'components[0].signals[0].normaliser needs 0 ≤ fullDays < zeroDays',
      ]);
      expect(errorsAfter((m) => (engagementSignal(m).normaliser = { kind: 'linear', min: 1, max: 1 }))).toEqual([
        'components[0].signals[0].normaliser needs min < max, both within ±1,000,000',
      ]);
      expect(errorsAfter((m) => (engagementSignal(m).normaliser = { kind: 'inverse_target', max: -2 }))).toEqual([
        'components[0].signals[0].normaliser.max must be > 0 and at most 1,000,000',
      ]);
    });

    it('rejects a neutral value outside 0…1', () => {
      expect(errorsAfter((m) => (engagementSignal(m).missing = { policy: 'neutral', value: 50 }))).toEqual([
        'components[0].signals[0].missing.value must be within 0…1',
      ]);
    });

    it('rejects an unknown metric', () => {
      expect(errorsAfter((m) => (engagementSignal(m).metric = 'logins' as never))).toEqual([
        'components[0].signals[0].metric "logins" is not a known metric',
      ]);
    });

    it('rejects a signal name used twice, since names key the stored signal detail', () => {
      expect(errorsAfter((m) => (engagementSignal(m, 1).name = 'silence'))).toEqual([
        'components[0].signals[1].name "silence" is used more than once among signals and penalties',
      ]);
    });
  });

  it('rejects a penalty condition that is not a metric crossing a threshold over a valid window', () => {
    const index = DEFAULT_SCORING_MODEL.penalties.findIndex((p) => p.name === 'usage_halved');
    const condition = (m: ScoringModelConfig) => m.penalties[index].onlyWhen![0];
    const at = `penalties[${index}].onlyWhen[0]`;
    expect(errorsAfter((m) => Object.assign(condition(m), { metric: 'mood', baselineDays: undefined }))).toEqual([
      `${at}.metric "mood" is not a known metric`,
    ]);
    expect(errorsAfter((m) => (condition(m).baselineDays = 5))).toEqual([
      `${at}.baselineDays must be longer than windowDays: the baseline is the account's usual level over a span that holds the recent window`,
    ]);
    expect(errorsAfter((m) => (condition(m).direction = 'above' as never))).toEqual([`${at}.direction must be "at_least" or "below"`]);
    expect(errorsAfter((m) => (condition(m).threshold = Number.NaN))).toEqual([`${at}.threshold must be a number within ±1,000,000`]);
    expect(errorsAfter((m) => (m.penalties[index].onlyWhen = Array(5).fill(condition(m))))).toEqual([
      `penalties[${index}].onlyWhen must be a list of at most 4 conditions`,
    ]);
    expect(errorsAfter((m) => (m.penalties[index].onlyWhen = [null as never]))).toEqual([`${at} must be an object`]);
    expect(errorsAfter((m) => (condition(m).startOnly = 'yes' as never))).toEqual([`${at}.startOnly must be true or false`]);
    expect(errorsAfter((m) => (condition(m).startOnly = false))).toEqual([]);
  });

  it('accepts an unconditionalThreshold only past the threshold of a penalty with conditions', () => {
    const index = DEFAULT_SCORING_MODEL.penalties.findIndex((p) => p.name === 'lapsing');
    const at = `penalties[${index}].unconditionalThreshold`;
    const set = (value: unknown) => (m: ScoringModelConfig) => (m.penalties[index].unconditionalThreshold = value as number);
    expect(errorsAfter(set(60))).toEqual([]);
    expect(errorsAfter(set(45))).toEqual([`${at} must be above threshold for "at_least"`]);
    expect(errorsAfter(set('53'))).toEqual([`${at} must be a number within ±1,000,000`]);
    expect(errorsAfter(set(Number.POSITIVE_INFINITY))).toEqual([`${at} must be a number within ±1,000,000`]);
    expect(errorsAfter((m) => Object.assign(m.penalties[index], { onlyWhen: undefined }))).toEqual([
      `${at} only applies to a penalty with onlyWhen conditions`,
    ]);
    const below = DEFAULT_SCORING_MODEL.penalties.findIndex((p) => p.direction === 'below' && p.onlyWhen?.length);
    expect(errorsAfter((m) => (m.penalties[below].unconditionalThreshold = m.penalties[below].threshold + 0.1))).toEqual([
      `penalties[${below}].unconditionalThreshold must be below threshold for "below"`,
    ]);
    expect(errorsAfter((m) => (m.penalties[below].unconditionalThreshold = m.penalties[below].threshold - 0.1))).toEqual([]);
  });

  it("checks a signal's conditions as a penalty's, and refuses startOnly on them", () => {
    const at = 'components[0].signals[1].onlyWhen[0]';
    // The default model shares one condition object among signals and penalties: replace it, not change it.
    const withCondition = (changes: object) => (m: ScoringModelConfig) => {
      const signal = engagementSignal(m, 1);
      signal.onlyWhen = [{ ...signal.onlyWhen![0], ...changes }];
    };
    expect(errorsAfter(withCondition({ threshold: Number.NaN }))).toEqual([`${at}.threshold must be a number within ±1,000,000`]);
    expect(errorsAfter(withCondition({ startOnly: true }))).toEqual([
      "components[0].signals[1].onlyWhen: startOnly only applies to a penalty's conditions",
    ]);
    expect(errorsAfter((m) => (engagementSignal(m, 1).onlyWhen = undefined))).toEqual([]);
  });

  it('rejects a per-unit penalty on a "below" condition', () => {
    expect(errorsAfter((m) => (m.penalties[1].perUnit = true))).toEqual(['penalties[1].perUnit only makes sense with "at_least"']);
  });

  it('rejects a per-unit mark that is not true or false: "false" or 1 would be read as per unit', () => {
    const index = DEFAULT_SCORING_MODEL.penalties.findIndex((penalty) => penalty.direction === 'at_least' && !penalty.perUnit);
    for (const perUnit of ['false', 'yes', 1, null, {}]) {
      expect(errorsAfter((m) => ((m.penalties[index] as unknown as Record<string, unknown>).perUnit = perUnit))).toEqual([
        `penalties[${index}].perUnit must be true or false`,
      ]);
    }
    expect(errorsAfter((m) => (m.penalties[index].perUnit = false))).toEqual([]);
  });

  it('rejects a per-unit penalty whose threshold is negative: its points would be negative, a bonus', () => {
    // NPS runs from −100: "1 point per unit from −100 on" gave an account at −80 80 points back.
    const npsPerUnit = { name: 'nps_points', metric: 'nps_weighted', windowDays: 180, direction: 'at_least', threshold: -100, points: 1 };
    expect(errorsAfter((m) => m.penalties.push({ ...npsPerUnit, perUnit: true, maxPoints: 30 } as never))).toEqual([
      `penalties[${DEFAULT_SCORING_MODEL.penalties.length}].threshold must be ≥ 0 for a perUnit penalty: its points are points × the metric, and a negative metric would add points`,
    ]);
    expect(errorsAfter((m) => m.penalties.push({ ...npsPerUnit, threshold: 0, perUnit: true } as never))).toEqual([]);
    expect(errorsAfter((m) => m.penalties.push(npsPerUnit as never))).toEqual([]);
  });

  it('refuses maxPoints on a penalty of fixed points: it caps points × the metric, and a cap stored and ignored would mislead', () => {
    const index = DEFAULT_SCORING_MODEL.penalties.findIndex((p) => p.perUnit !== true);
    expect(errorsAfter((m) => (m.penalties[index].maxPoints = 0))).toEqual([
      `penalties[${index}].maxPoints only applies to a perUnit penalty`,
    ]);
  });

  describe('playbooks', () => {
    it('rejects a playbook for a tier the model does not have', () => {
      expect(errorsAfter((m) => (m.tiers = TIER_PRESETS.three_tier))).toEqual([
        'playbooks[2].tierKey "monitor" is not a tier of this model',
      ]);
    });

    it('rejects duplicate playbook keys', () => {
      expect(errorsAfter((m) => (m.playbooks[1].key = m.playbooks[0].key))).toEqual([
        'playbooks[1].key "critical" is used by more than one playbook',
      ]);
    });

    it('rejects a customer-facing action on a team channel', () => {
      expect(errorsAfter((m) => (m.playbooks[0].actions[3].channel = 'SLACK'))).toEqual([
        'playbooks[0].actions[3]: a customer-facing action needs channel EMAIL or IN_APP',
      ]);
    });

    it('rejects templates with placeholders that will never be filled', () => {
      expect(errorsAfter((m) => (m.playbooks[0].actions[0].template = 'Hi {{firstName}}'))).toEqual([
        'playbooks[0].actions[0].template uses unknown placeholder {{firstName}}',
      ]);
    });

    it('rejects an escalation mark that is not true or false, which would be planned as one and logged as not one', () => {
      expect(errorsAfter((m) => Object.assign(m.playbooks[0].actions[0], { escalation: 'yes' }))).toEqual([
        'playbooks[0].actions[0].escalation must be true or false',
      ]);
      expect(errorsAfter((m) => Object.assign(m.playbooks[0].actions[0], { escalation: 1 }))).toHaveLength(1);
      expect(errorsAfter((m) => Object.assign(m.playbooks[0].actions[0], { escalation: false }))).toEqual([]);
    });

    it('rejects a tierKey or minScore on a playbook whose kind ignores it, rather than run it for every tier or score', () => {
      const silence = (m: ScoringModelConfig) => m.playbooks.findIndex((p) => p.kind === 'silence');
      expect(errorsAfter((m) => Object.assign(m.playbooks[silence(m)], { tierKey: 'critical' }))).toEqual([
        'playbooks[3].tierKey applies only to a playbook of kind "tier"',
      ]);
      expect(errorsAfter((m) => Object.assign(m.playbooks[0], { minScore: 20 }))).toEqual([
        'playbooks[0].minScore applies only to a playbook of kind "expansion"',
      ]);
      expect(errorsAfter((m) => Object.assign(m.playbooks[0], { holdDays: 14 }))).toEqual([
        'playbooks[0].holdDays applies only to a playbook of kind "expansion"',
      ]);
    });

    it("takes the expansion play's holdDays within 0…3650 days, absent meaning the default", () => {
      const expansion = (m: ScoringModelConfig) => m.playbooks.findIndex((p) => p.kind === 'expansion');
      for (const holdDays of [0, 14, 3650]) expect(errorsAfter((m) => Object.assign(m.playbooks[expansion(m)], { holdDays }))).toEqual([]);
      for (const holdDays of [-1, 3651, '14', Number.NaN]) {
        expect(errorsAfter((m) => Object.assign(m.playbooks[expansion(m)], { holdDays }))).toEqual([
          'playbooks[4].holdDays must be a whole number of days within 0…3650',
        ]);
      }
    });

    it('names an entry that is not an object by its path, in every list of the model', () => {
      expect(errorsAfter((m) => ((m.playbooks as unknown[])[1] = null))).toEqual(['playbooks[1] must be an object']);
      expect(errorsAfter((m) => ((m.playbooks[2].actions as unknown[])[0] = null))).toEqual(['playbooks[2].actions[0] must be an object']);
      expect(errorsAfter((m) => ((m.tiers as unknown[])[0] = null))).toEqual(['tiers[0] must be an object']);
      expect(errorsAfter((m) => ((m.penalties as unknown[])[0] = 'x'))).toEqual(['penalties[0] must be an object']);
      expect(errorsAfter((m) => ((m.components as unknown[])[0] = null))).toEqual(['components[0] must be an object']);
      expect(errorsAfter((m) => ((m.components[1].signals as unknown[])[0] = []))).toEqual(['components[1].signals[0] must be an object']);
    });

    it('names a list of the model given as something else (a string, an object, null) instead of failing on it', () => {
      for (const notAList of ['healthy', { healthy: 70 }, null, 3]) {
        expect(errorsAfter((m) => ((m as unknown as Record<string, unknown>).tiers = notAList))).toEqual(['tiers must be a list']);
      }
    });

    it('names by its path every list or object of the model given as something else, or left out, before reading any rule', () => {
      const parts = partsOf(DEFAULT_SCORING_MODEL);
      expect(parts.length).toBeGreaterThan(100);
      for (const { path, keys, isList } of parts) {
        const inList = path.endsWith(']');
        // A list entry cannot be left out (the list is shorter), and onlyWhen may be.
        const leftOut = inList || path.endsWith('onlyWhen') ? [] : [undefined];
        for (const wrong of [null, 5, 'x', isList ? {} : [], ...leftOut]) {
          const problem = isList ? 'must be a list' : wrong == null && !inList ? 'is required' : 'must be an object';
          // A copy that shares nothing: the default model's penalties share their conditions.
          const model = JSON.parse(JSON.stringify(DEFAULT_SCORING_MODEL)) as ScoringModelConfig;
          const parent = keys.slice(0, -1).reduce<Record<string, unknown>>((at, key) => at[key] as Record<string, unknown>, model as never);
          if (wrong === undefined) delete parent[keys[keys.length - 1]];
          else parent[keys[keys.length - 1]] = wrong;
          expect([path, wrong, validateModel(model)]).toEqual([path, wrong, [`${path} ${problem}`]]);
        }
      }
    });

    it('rejects a second silence playbook', () => {
      expect(errorsAfter((m) => m.playbooks.push({ ...m.playbooks.find((p) => p.kind === 'silence')!, key: 'silence_again' }))).toEqual([
        'playbooks[5]: only one "silence" playbook is allowed',
      ]);
    });
  });

  it('refuses a setting it does not know, wherever it is, so a misspelt one is not silently ignored', () => {
    expect(validateModel({ ...DEFAULT_SCORING_MODEL, penaltyHysterisis: 0.1 } as ScoringModelConfig)).toEqual([
      expect.stringMatching(/^penaltyHysterisis is not a setting of a scoring model \(known here: components, .*penaltyHysteresis/),
    ]);
    const nested = errorsAfter((m) => {
      Object.assign(engagementSignal(m), { weigth: 3 });
      Object.assign(engagementSignal(m).normaliser, { maximum: 2 });
      // A copy: the default model's penalties share their conditions.
      m.penalties[1].onlyWhen![0] = { ...m.penalties[1].onlyWhen![0], treshold: 0.5 } as never;
      Object.assign(m.tiers[0], { color: 'green' });
      Object.assign(m.lifecycle, { onboardingDay: 10 });
      Object.assign(m.playbooks[0].actions[0], { chanel: 'SLACK' });
    });
    expect(nested.map((e) => e.split(' is not a setting')[0])).toEqual([
      'components[0].signals[0].weigth',
      'components[0].signals[0].normaliser.maximum',
      'penalties[1].onlyWhen[0].treshold',
      'tiers[0].color',
      'lifecycle.onboardingDay',
      'playbooks[0].actions[0].chanel',
    ]);
  });

  describe('text people read: keys, labels, names and actions', () => {
    it('refuses a tier or playbook key, a tier label or a name that shows nothing: only white space, zero-width or fill characters', () => {
      expect(errorsAfter((m) => (m.tiers[0].key = '\u200b'))).toEqual([
        'tiers[0].key shows nothing: it holds only characters displayed as nothing (U+200B)',
      ]);
      expect(errorsAfter((m) => (m.playbooks[3].key = '\u2060\ufeff'))).toEqual([
        'playbooks[3].key shows nothing: it holds only characters displayed as nothing (U+2060, U+FEFF)',
      ]);
      expect(errorsAfter((m) => (m.tiers[0].label = '\u3164'))).toEqual([
        'tiers[0].label shows nothing: it holds only characters displayed as nothing (U+3164)',
      ]);
      expect(errorsAfter((m) => (m.tiers[0].label = ' \u200d '))).toEqual([
        'tiers[0].label shows nothing: it holds only characters displayed as nothing (U+0020, U+200D)',
      ]);
      expect(errorsAfter((m) => (m.tiers[2].label = '   '))).toEqual(['tiers[2].label is required']);
      expect(errorsAfter((m) => (m.components[2].name = '\u200c'))).toEqual([
        'components[2].name shows nothing: it holds only characters displayed as nothing (U+200C)',
      ]);
      expect(errorsAfter((m) => (engagementSignal(m).name = '\u200b'))).toEqual([
        'components[0].signals[0].name shows nothing: it holds only characters displayed as nothing (U+200B)',
      ]);
      expect(errorsAfter((m) => (m.penalties[0].name = '\u00ad'))).toEqual([
        'penalties[0].name shows nothing: it holds only characters displayed as nothing (U+00AD)',
      ]);
      expect(errorsAfter((m) => (m.playbooks[0].actions[0].action = '\u200b'))).toEqual([
        'playbooks[0].actions[0].action shows nothing: it holds only characters displayed as nothing (U+200B)',
      ]);
    });

    it('takes invisible characters within text that shows something, as in emoji sequences', () => {
      expect(errorsAfter((m) => (m.tiers[0].label = 'Healthy 👩\u200d💻'))).toEqual([]);
      expect(errorsAfter((m) => (m.tiers[0].key = 'healthy\u200dcore'))).toEqual([]);
    });

    it('refuses a control character, a line separator or a direction override in a tier label, a name or an action: each is shown on one line', () => {
      expect(errorsAfter((m) => (m.tiers[0].label = 'Hea\nlthy'))).toEqual([
        'tiers[0].label "Hea\\nlthy" holds a control character or a direction override',
      ]);
      expect(errorsAfter((m) => (m.tiers[3].label = 'Crit\u2028ical'))).toEqual([
        'tiers[3].label "Crit\\u2028ical" holds a control character or a direction override',
      ]);
      expect(errorsAfter((m) => (m.components[0].name = 'engage\u202Etnem'))).toEqual([
        'components[0].name "engage\\u202Etnem" holds a control character or a direction override',
      ]);
      expect(errorsAfter((m) => (engagementSignal(m).name = 'active\u001b[31mdays'))).toEqual([
        'components[0].signals[0].name "active\\u001b[31mdays" holds a control character or a direction override',
      ]);
      expect(errorsAfter((m) => (m.penalties[1].name = 'late\rpayer'))).toEqual([
        'penalties[1].name "late\\rpayer" holds a control character or a direction override',
      ]);
      expect(errorsAfter((m) => (m.playbooks[1].actions[0].action = 'csm\talert'))).toEqual([
        'playbooks[1].actions[0].action "csm\\talert" holds a control character or a direction override',
      ]);
    });

    it('refuses a tier label or an action with white space around it, as keys and names', () => {
      expect(errorsAfter((m) => (m.tiers[0].label = 'Healthy '))).toEqual(['tiers[0].label "Healthy " starts or ends with white space']);
      expect(errorsAfter((m) => (m.playbooks[0].actions[0].action = ' csm_alert'))).toEqual([
        'playbooks[0].actions[0].action " csm_alert" starts or ends with white space',
      ]);
    });

    it('keeps line breaks in a template, which is a message and not a label', () => {
      expect(errorsAfter((m) => (m.playbooks[0].actions[0].template = 'Hi {{customerName}},\n\nyour score is {{score}}.'))).toEqual([]);
    });
  });

  describe('a setting left out is named as required, not quoted as "undefined"', () => {
    it('asks a tier playbook for its tierKey', () => {
      expect(errorsAfter((m) => (m.playbooks[3].kind = 'tier'))).toEqual(['playbooks[3].tierKey is required for a tier playbook']);
      expect(errorsAfter((m) => without(m.playbooks[0], 'tierKey'))).toEqual(['playbooks[0].tierKey is required for a tier playbook']);
      expect(errorsAfter((m) => ((m.playbooks[0] as unknown as Record<string, unknown>).tierKey = null))).toEqual([
        'playbooks[0].tierKey is required for a tier playbook',
      ]);
      expect(errorsAfter((m) => ((m.playbooks[0] as unknown as Record<string, unknown>).tierKey = 3))).toEqual([
        'playbooks[0].tierKey 3 is not a tier of this model',
      ]);
    });

    it("asks for a signal's, penalty's or condition's metric, a normaliser's kind and an action's channel", () => {
      expect(errorsAfter((m) => without(engagementSignal(m), 'metric'))).toEqual(['components[0].signals[0].metric is required']);
      expect(errorsAfter((m) => without(m.penalties[0], 'metric'))).toEqual(['penalties[0].metric is required']);
      expect(errorsAfter((m) => (m.penalties[0].onlyWhen = [{ windowDays: 7, direction: 'at_least', threshold: 1 } as never]))).toEqual([
        'penalties[0].onlyWhen[0].metric is required',
      ]);
      expect(errorsAfter((m) => without(engagementSignal(m).normaliser, 'kind'))).toEqual([
        'components[0].signals[0].normaliser.kind is required',
      ]);
      expect(errorsAfter((m) => without(m.playbooks[0].actions[0], 'channel'))).toEqual(['playbooks[0].actions[0].channel is required']);
    });

    it('names a band without a key by its place when the severities are out of order', () => {
      expect(
        errorsAfter((m) => {
          without(m.tiers[2], 'key');
          m.tiers[2].severity = 0;
        }),
      ).toEqual([
        'tiers[2].key is required',
        'tiers: severity must increase as lowerBound falls (tiers[2] is below "monitor" but not more severe)',
        'playbooks[1].tierKey "at_risk" is not a tier of this model',
      ]);
    });
  });

  it('reports every broken rule at once', () => {
    const errors = errorsAfter((m) => {
      m.hysteresis = -1;
      m.cooldownDays = -1;
      engagementSignal(m).weight = -2;
    });
    expect(errors).toHaveLength(3);
  });
});
