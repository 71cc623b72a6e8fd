// A customer's score over time (uPlot), with a dashed line where the model changed how it scores
// (model-changes.ts: not where a version changed only playbook settings). The time axis and the
// changes' labels follow chart-axis.ts: ticks in hours within a day, labels joined where they would
// overlap. The same changes are listed in text under the chart (with their time: several may fall
// on one day) for keyboards and screen readers, and every score is in a table under it (closed until
// asked for: a year of daily scores is long), the chart's text alternative beyond its summary.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { changeLabels, TIME_TICKS, timeAxisLabels, timeAxisRange } from '../chart-axis';
import { countOf, formatDate, formatDateTime } from '../format';
import { modelChanges, modelChangesInWords, type ModelChange, type ScorePoint } from '../model-changes';
import { TierBadge } from './badges';
import { TableScroll } from './table-scroll';

/** A score of the chart, with the tier it put the account in. */
export type ChartPoint = ScorePoint & { tier: string };

/** The time axis's range for scores at `times` (seconds, oldest first): see timeAxisRange. */
function timeRange(times: number[]): uPlot.Range.Function {
  return () => timeAxisRange(times[0], times[times.length - 1]);
}

/** A dashed line at each model change, and labels naming the versions, joined where they would overlap. */
function markVersionChanges(changes: readonly ModelChange[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (plot) => {
        const { ctx } = plot;
        ctx.save();
        ctx.strokeStyle = '#7c3aed';
        ctx.fillStyle = '#5b21b6';
        ctx.setLineDash([4, 4]);
        ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
        // As changeLabels measures them: from their left edge (uPlot leaves the canvas aligned as its axes were).
        ctx.textAlign = 'left';
        ctx.textBaseline = 'alphabetic';
        const marks = changes.map((change) => ({
          x: plot.valToPos(Date.parse(change.point.asOf) / 1000, 'x', true),
          version: change.point.modelVersion,
        }));
        for (const { x } of marks) {
          ctx.beginPath();
          ctx.moveTo(x, plot.bbox.top);
          ctx.lineTo(x, plot.bbox.top + plot.bbox.height);
          ctx.stroke();
        }
        const bounds = { left: plot.bbox.left, right: plot.bbox.left + plot.bbox.width };
        const labels = changeLabels(marks, (text) => ctx.measureText(text).width, {
          bounds,
          offset: 4 * devicePixelRatio,
          gap: 8 * devicePixelRatio,
        });
        for (const label of labels) ctx.fillText(label.text, label.left, plot.bbox.top + 14 * devicePixelRatio);
        ctx.restore();
      },
    },
  };
}

/** How the chart's description names the span of the scores: by day, or by time when they fall on one day. */
function spanInWords(first: string, last: string): string {
  const sameDay = formatDate(first) === formatDate(last);
  return sameDay && first !== last
    ? `from ${formatDateTime(first)} to ${formatDateTime(last)}`
    : `from ${formatDate(first)} to ${formatDate(last)}`;
}

export function ScoreChart({ points }: { points: ChartPoint[] }) {
  const container = useRef<HTMLDivElement>(null);
  const changes = modelChanges(points);
  useEffect(() => {
    const element = container.current;
    if (!element || points.length === 0) return;
    const times = points.map((point) => Date.parse(point.asOf) / 1000);
    const data: uPlot.AlignedData = [times, points.map((point) => point.score)];
    const plot = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height: 220,
        scales: { x: { time: true, range: timeRange(times) }, y: { range: [0, 100] } },
        series: [{}, { label: 'score', stroke: '#2563eb', width: 2, points: { show: points.length < 60 } }],
        // Dates and times as the rest of the dashboard writes them (6 Dec 2026, 14:00), not uPlot's
        // US-style 12/6 and 2pm; ticks in minutes or hours within a day, spaced for the longer label.
        axes: [
          { values: (_plot, ticks, _axis, _space, step) => timeAxisLabels(ticks, step), incrs: [...TIME_TICKS], space: 90 },
          { values: (_plot, ticks) => ticks.map(String) },
        ],
        legend: { show: false },
        plugins: [markVersionChanges(changes)],
      },
      data,
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, element.clientWidth), height: 220 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [points]);
  if (points.length === 0) return <p class="muted">Not scored yet.</p>;
  return (
    <>
      <figure class="chart">
        <div
          ref={container}
          role="img"
          aria-label={`Score history: ${countOf(points.length, 'score')} ${spanInWords(points[0].asOf, points[points.length - 1].asOf)}, latest ${points[points.length - 1].score}`}
        />
        <figcaption data-testid="model-changes">{modelChangesInWords(points, changes, formatDateTime)}</figcaption>
      </figure>
      <ScoreTable points={points} />
    </>
  );
}

/** The chart's scores as a table, latest first. */
function ScoreTable({ points }: { points: readonly ChartPoint[] }) {
  return (
    <details class="score-table">
      <summary>Show the scores as a table</summary>
      <TableScroll label="Scores">
        <table data-testid="score-table">
          <caption>Scores, latest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col" class="number">
                Score
              </th>
              <th scope="col">Tier</th>
              <th scope="col" class="number">
                Model
              </th>
            </tr>
          </thead>
          <tbody>
            {[...points].reverse().map((point) => (
              <tr key={point.asOf}>
                <th scope="row">{formatDateTime(point.asOf)}</th>
                <td class="number">{point.score}</td>
                <td>
                  <TierBadge tier={point.tier} />
                </td>
                <td class="number">v{point.modelVersion}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </details>
  );
}
