import { evaluateBacktest } from '../../../src/scoring/backtest/evaluate';
import { backtestTable } from '../../../src/scoring/backtest/report-table';
import type { BacktestOptions, ChurnLabel, SnapshotScore } from '../../../src/scoring/backtest/evaluate';
import type { TierBand } from '../../../src/scoring/model/types';
import { mulberry32 } from '../../../src/demo/seeded-random';

const DAY_MS = 86_400_000;
const GRID_START = Date.UTC(2026, 0, 5);

const TIERS: TierBand[] = [
  { key: 'critical', label: 'Critical', lowerBound: 0, severity: 3 },
  { key: 'healthy', label: 'Healthy', lowerBound: 70, severity: 0 },
  { key: 'at_risk', label: 'At risk', lowerBound: 30, severity: 2 },
  { key: 'monitor', label: 'Monitor', lowerBound: 50, severity: 1 },
];

function day(offset: number): Date {
  return new Date(GRID_START + offset * DAY_MS);
}

function tierOf(score: number): string {
  if (score >= 70) return 'healthy';
  if (score >= 50) return 'monitor';
  if (score >= 30) return 'at_risk';
  return 'critical';
}

/** A snapshot on grid day `offset`; flagged in the two worst tiers, as the caller decides it. */
function snapshot(customerId: string, offset: number, score: number): SnapshotScore {
  const tierKey = tierOf(score);
  return { customerId, asOf: day(offset), score, tierKey, flagged: tierKey === 'at_risk' || tierKey === 'critical' };
}

/** Weekly snapshots from day 0 with the given scores. */
function weekly(customerId: string, scores: number[], firstOffset = 0): SnapshotScore[] {
  return scores.map((score, week) => snapshot(customerId, firstOffset + week * 7, score));
}

function label(customerId: string, churnedOnDay: number | null): ChurnLabel {
  return { customerId, churnedAt: churnedOnDay === null ? null : day(churnedOnDay) };
}

/**
 * Grid days 0, 7, 14, 21, 28; horizon 14 days; labels known until day 35 (so snapshots up to day 21
 * have an elapsed horizon); recall at 7 and 14 days; AUC at 7 days.
 */
const OPTIONS: BacktestOptions = {
  tiers: TIERS,
  horizonDays: 14,
  leadDays: [7, 14],
  aucLeadDays: 7,
  labelsKnownUntil: day(35),
};

function scenario(): { snapshots: SnapshotScore[]; labels: ChurnLabel[] } {
  return {
    snapshots: [
      ...weekly('slides-then-churns', [80, 60, 40, 25]), // churns day 24; flagged days 14, 21
      ...weekly('flagged-throughout', [35, 45]), // churns day 12; flagged days 0, 7
      ...weekly('churns-unflagged', [90, 85, 75, 72, 71]), // churns day 30; never flagged
      ...weekly('one-false-alarm', [90, 88, 45, 80, 85]), // never churns; flagged day 14
      ...weekly('steady', [70, 70, 70, 70, 70]), // never churns
      ...weekly('churns-much-later', [50, 50, 50, 50, 50]), // churns day 60, after day 28 + 14
      ...weekly('churn-not-yet-known', [20, 20], 21), // churns day 40, after the labels end
    ],
    labels: [
      label('slides-then-churns', 24),
      label('flagged-throughout', 12),
      label('churns-unflagged', 30),
      label('one-false-alarm', null),
      label('churns-much-later', 60),
      label('churn-not-yet-known', 40),
    ],
  };
}

describe('evaluateBacktest', () => {
  const { snapshots, labels } = scenario();
  const report = evaluateBacktest(snapshots, labels, OPTIONS);

  it('counts customers, churners (churned after the first instant, by labelsKnownUntil) and snapshots', () => {
    expect(report).toMatchObject({ customers: 7, churners: 3, snapshots: 28, horizonDays: 14, spanDays: 28 });
  });

  it('measures recall on each churner’s latest snapshot at least L days before churn', () => {
    // 7 days: slides-then-churns (day 14, flagged), flagged-throughout (day 0, flagged),
    // churns-unflagged (day 21, not flagged). 14 days: flagged-throughout has no snapshot by day −2.
    expect(report.recall).toEqual([
      { leadDays: 7, churners: 3, flagged: 2, recall: 2 / 3 },
      { leadDays: 14, churners: 2, flagged: 0, recall: 0 },
    ]);
  });

  it('measures precision on flagged snapshots whose horizon has elapsed', () => {
    // Days 14 and 21 of slides-then-churns and days 0 and 7 of flagged-throughout churn within 14 days;
    // day 14 of one-false-alarm and day 21 of churn-not-yet-known do not.
    expect(report.precision).toEqual({ precision: 4 / 6, flaggedSnapshots: 6, truePositives: 4 });
  });

  it('leaves flagged snapshots whose horizon has not elapsed out of precision', () => {
    const withLateFlag = [...snapshots, snapshot('steady', 28, 10)];
    expect(evaluateBacktest(withLateFlag, labels, OPTIONS).precision).toEqual(report.precision);
  });

  it('ranks churners’ scores 7 days before churn against every score of the non-churners for the AUC', () => {
    // Positives 40, 35, 72; 15 negatives 90 88 45 80 85, 70 ×5, 50 ×5. 35 and 40 are below all 15,
    // 72 is below 90, 88, 80 and 85: U = 15 + 15 + 4 = 34 of 3 × 15 pairs.
    expect(report.auc).toEqual({ leadDays: 7, auc: 34 / 45, positives: 3, negatives: 15 });
  });

  it('measures lead time from the start of the flagged run that reaches churn', () => {
    // slides-then-churns: run from day 14 to churn on day 24 = 10; flagged-throughout: day 0 to 12 = 12.
    expect(report.leadTime).toEqual({ detected: 2, medianDays: 11, p25Days: 10.5, p75Days: 11.5 });
  });

  it('counts non-churners with a flagged snapshot as false alarms', () => {
    // one-false-alarm, steady and churns-much-later are non-churners; one of them was flagged.
    expect(report.falseAlarms).toEqual({ nonChurners: 3, flagged: 1, rate: 1 / 3, ratePer90Days: 1 / 3 });
  });

  it('reports the churn rate within the horizon for every tier, best first', () => {
    expect(report.tierChurnRates).toEqual([
      { tierKey: 'healthy', snapshots: 12, churned: 1, rate: 1 / 12 },
      { tierKey: 'monitor', snapshots: 5, churned: 0, rate: 0 },
      { tierKey: 'at_risk', snapshots: 4, churned: 3, rate: 3 / 4 },
      { tierKey: 'critical', snapshots: 2, churned: 1, rate: 1 / 2 },
    ]);
  });

  it('ignores snapshots taken at or after the account’s churn', () => {
    const withPostChurn = [...snapshots, snapshot('slides-then-churns', 24, 5), snapshot('slides-then-churns', 28, 5)];
    expect(evaluateBacktest(withPostChurn, labels, OPTIONS)).toEqual(report);
  });

  it('gives the same report whatever the order of the snapshots', () => {
    expect(evaluateBacktest([...snapshots].reverse(), labels, OPTIONS)).toEqual(report);
  });
});

describe('evaluateBacktest AUC', () => {
  /** Churners scored on day 0 and churning on day 14; non-churners scored on days 0 and 7. */
  function aucOf(churnerScores: number[], nonChurnerScores: number[]): number | null {
    const snapshots = [
      ...churnerScores.map((score, index) => snapshot(`churner-${index}`, 0, score)),
      ...nonChurnerScores.flatMap((score, index) => [snapshot(`retained-${index}`, 0, score), snapshot(`retained-${index}`, 7, score)]),
    ];
    const labels = churnerScores.map((_, index) => label(`churner-${index}`, 14));
    return evaluateBacktest(snapshots, labels, OPTIONS).auc.auc;
  }

  it('is 1 when every churner scored below every non-churner', () => {
    expect(aucOf([10, 20, 30], [40, 50, 60, 70])).toBe(1);
  });

  it('is 0 when every churner scored above every non-churner', () => {
    expect(aucOf([80, 90], [10, 20, 30])).toBe(0);
  });

  it('is 0.5 when every score ties', () => {
    expect(aucOf([50, 50, 50], [50, 50])).toBe(0.5);
  });

  it('counts a tie as half a pair', () => {
    // Pairs (30, 30) tie, (30, 60) is ordered: (0.5 + 1) / 2.
    expect(aucOf([30], [30, 60])).toBe(0.75);
  });

  it('is null without churners', () => {
    expect(aucOf([], [40, 50])).toBeNull();
  });
});

describe('evaluateBacktest edge cases', () => {
  it('reports nulls, not NaN, when there is nothing to measure', () => {
    const report = evaluateBacktest([], [], OPTIONS);
    expect(report).toMatchObject({ customers: 0, churners: 0, snapshots: 0, spanDays: 0 });
    expect(report.recall.map((entry) => entry.recall)).toEqual([null, null]);
    expect(report.precision.precision).toBeNull();
    expect(report.leadTime).toEqual({ detected: 0, medianDays: null, p25Days: null, p75Days: null });
    expect(report.falseAlarms).toEqual({ nonChurners: 0, flagged: 0, rate: null, ratePer90Days: null });
    expect(report.tierChurnRates.every((tier) => tier.rate === null)).toBe(true);
  });

  it('treats an account that churned after the grid’s last horizon, but by labelsKnownUntil, as a churner and not a false alarm', () => {
    const report = evaluateBacktest(weekly('late-churner', [20, 20, 20]), [label('late-churner', 100)], {
      ...OPTIONS,
      labelsKnownUntil: day(120),
    });
    expect(report.churners).toBe(1);
    expect(report.falseAlarms.nonChurners).toBe(0);
    // The grid ends on day 14, 86 days before the churn: no snapshot of it was 7, 14 (or 0) days
    // before the churn, so it is read at no lead, and its flags are no lead time of 86 days.
    expect(report.recall.map((entry) => entry.churners)).toEqual([0, 0]);
    expect(report.auc.positives).toBe(0);
    expect(report.leadTime.detected).toBe(0);
  });

  it('reads a churner at a lead only from a snapshot within one grid step before it', () => {
    // Weekly to day 28; churns on day 40: 7 days before is day 33, whose latest snapshot (day 28)
    // is within a step; 14 days before is day 26 (day 21, within a step too).
    const report = evaluateBacktest(weekly('near-end', [80, 80, 80, 40, 20]), [label('near-end', 40)], {
      ...OPTIONS,
      labelsKnownUntil: day(120),
    });
    expect(report.recall.map((entry) => [entry.leadDays, entry.churners, entry.flagged])).toEqual([
      [7, 1, 1],
      [14, 1, 1],
    ]);
    expect(report.leadTime).toMatchObject({ detected: 1, medianDays: 19 });
  });

  it('treats a customer without a label as a non-churner', () => {
    const report = evaluateBacktest(weekly('unlabelled', [80, 20]), [], OPTIONS);
    expect(report.falseAlarms).toMatchObject({ nonChurners: 1, flagged: 1 });
  });

  it('spreads the false-alarm rate over the grid’s span in 90-day units', () => {
    const snapshots = [...weekly('alarmed', [20]), ...weekly('quiet', [80]), snapshot('quiet', 180, 80)];
    const report = evaluateBacktest(snapshots, [], { ...OPTIONS, labelsKnownUntil: day(400) });
    expect(report.spanDays).toBe(180);
    expect(report.falseAlarms).toEqual({ nonChurners: 2, flagged: 1, rate: 0.5, ratePer90Days: 0.25 });
  });

  it('defaults to recall at 7, 14 and 30 days and the AUC at 30 days', () => {
    const report = evaluateBacktest([], [], { tiers: TIERS, horizonDays: 30, labelsKnownUntil: day(0) });
    expect(report.recall.map((entry) => entry.leadDays)).toEqual([7, 14, 30]);
    expect(report.auc.leadDays).toBe(30);
  });

  it('rejects a non-positive horizon and two labels for one customer', () => {
    expect(() => evaluateBacktest([], [], { ...OPTIONS, horizonDays: 0 })).toThrow(RangeError);
    expect(() => evaluateBacktest([], [label('twice', 3), label('twice', null)], OPTIONS)).toThrow(RangeError);
  });
});

describe('evaluateBacktest at scale', () => {
  it('scores 10,000 accounts × 26 weekly instants', () => {
    const random = mulberry32(26);
    const snapshots: SnapshotScore[] = [];
    const labels: ChurnLabel[] = [];
    for (let account = 0; account < 10_000; account += 1) {
      const customerId = `account-${account}`;
      const churnDay = random() < 0.08 ? Math.floor(random() * 200) + 1 : null;
      labels.push(label(customerId, churnDay));
      let score = 40 + random() * 60;
      for (let week = 0; week < 26; week += 1) {
        if (churnDay !== null && week * 7 >= churnDay) break;
        score = Math.min(100, Math.max(0, score + (random() - 0.55) * 12));
        snapshots.push(snapshot(customerId, week * 7, Math.round(score)));
      }
    }
    const report = evaluateBacktest(snapshots, labels, { tiers: TIERS, horizonDays: 30, labelsKnownUntil: day(240) });
    expect(report.snapshots).toBe(snapshots.length);
    expect(report.customers).toBe(10_000);
    expect(report.auc.auc).not.toBeNull();
  });
});

describe('backtestTable, the table npm run backtest prints', () => {
  const leadTimeRow = (table: string) => table.split('\n').find((line) => line.startsWith('| lead time'));

  it('gives the lead time of the churners detected, with their count', () => {
    const { snapshots, labels } = scenario();
    const report = evaluateBacktest(snapshots, labels, OPTIONS);
    expect(report.leadTime.detected).toBeGreaterThan(0);
    expect(leadTimeRow(backtestTable([{ title: 'v1', report }]))).toMatch(
      /^\| lead time median \[p25–p75\] \| [\d.]+ d \[[\d.]+ d–[\d.]+ d\] \(\d+ detected\) \|$/,
    );
  });

  it('says "none detected" for a model that detects no churner, not a row of dashes', () => {
    const report = evaluateBacktest(weekly('never-flagged', [90, 90, 90]), [label('never-flagged', 24)], OPTIONS);
    expect(report.leadTime.detected).toBe(0);
    expect(leadTimeRow(backtestTable([{ title: 'v1', report }]))).toBe('| lead time median [p25–p75] | none detected |');
  });
});
