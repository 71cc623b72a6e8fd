// The backtest report as a plain-text table, one column per model: what `npm run backtest` and the
// benchmark print, and what the README's "Does it predict churn?" shows.
import type { BacktestReport } from './evaluate';

const percent = (value: number | null) => (value === null ? '—' : `${(100 * value).toFixed(1)} %`);
const days = (value: number | null) => (value === null ? '—' : `${value.toFixed(1)} d`);

function rows(report: BacktestReport): Array<[string, string]> {
  const recall = (lead: number) => report.recall.find((r) => r.leadDays === lead);
  const lines: Array<[string, string]> = [
    ['accounts / churners', `${report.customers} / ${report.churners}`],
    ['snapshots', String(report.snapshots)],
    ...[7, 14, 30].map((lead): [string, string] => {
      const r = recall(lead);
      return [`recall @${lead} d`, r ? `${percent(r.recall)} (${r.flagged}/${r.churners})` : '—'];
    }),
    [
      `precision (${report.horizonDays} d)`,
      `${percent(report.precision.precision)} (${report.precision.truePositives}/${report.precision.flaggedSnapshots})`,
    ],
    [`AUC @${report.auc.leadDays} d`, report.auc.auc === null ? '—' : report.auc.auc.toFixed(3)],
    [
      'lead time median [p25–p75]',
      report.leadTime.detected === 0
        ? 'none detected'
        : `${days(report.leadTime.medianDays)} [${days(report.leadTime.p25Days)}–${days(report.leadTime.p75Days)}] (${report.leadTime.detected} detected)`,
    ],
    [
      'false alarms (per 90 d)',
      `${percent(report.falseAlarms.rate)} (${percent(report.falseAlarms.ratePer90Days)}) of ${report.falseAlarms.nonChurners}`,
    ],
    ...report.tierChurnRates.map((t): [string, string] => [`churn rate: ${t.tierKey}`, `${percent(t.rate)} of ${t.snapshots}`]),
  ];
  return lines;
}

/** A Markdown table: a row per figure, a column per model. */
export function backtestTable(columns: Array<{ title: string; report: BacktestReport }>): string {
  const byColumn = columns.map((c) => new Map(rows(c.report)));
  const labels = [...new Set(columns.flatMap((c) => rows(c.report).map(([label]) => label)))];
  const header = `| figure | ${columns.map((c) => c.title).join(' | ')} |`;
  const rule = `|---|${columns.map(() => '---').join('|')}|`;
  return [header, rule, ...labels.map((label) => `| ${label} | ${byColumn.map((m) => m.get(label) ?? '—').join(' | ')} |`)].join('\n');
}
