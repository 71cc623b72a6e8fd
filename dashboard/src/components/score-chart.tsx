// A customer's score over time (uPlot), with a dashed line where the model changed how it scores
// (model-changes.ts: not where a version changed only playbook settings). The time axis and the
// changes' labels follow chart-axis.ts: ticks in hours within a day, labels joined where they would
// overlap. The same changes are listed in text under the chart (with their time: several may fall
// on one day) for keyboards and screen readers; every score, paged, is in a table under it
// (score-table.tsx), the chart's text alternative beyond its summary. The chart shows a window of
// days, and draws the last score of each minute, hour or day where there are many (chart-points.ts).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { changeLabels, TIME_TICKS, timeAxisLabels, timeAxisRange } from '../chart-axis';
import { drawnPoints, type DrawnPer } from '../chart-points';
import { countOf, formatCount, formatDate, formatDateTime } from '../format';
import { modelChanges, modelChangesInWords, type ModelChange, type ScorePoint } from '../model-changes';

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

/** The window the chart shows: its days, and how many scores fall in it (more than it was given when they were many). */
export interface ChartWindow {
  days: number;
  scores: number;
}

/** What the chart shows, said to screen readers: its scores, the span they cover, and how they were drawn. */
function chartSummary(points: readonly ChartPoint[], window: ChartWindow, per: DrawnPer): string {
  const shown = `${countOf(points.length, 'score')} ${spanInWords(points[0].asOf, points[points.length - 1].asOf)}`;
  const of =
    points.length < window.scores ? `, the latest of ${formatCount(window.scores)} in the last ${countOf(window.days, 'day')}` : '';
  const drawn = per === 'score' ? '' : `, drawn as the last score of each ${per}`;
  return `Score history: ${shown}${of}${drawn}, latest ${points[points.length - 1].score}`;
}

/** The same, in a line under the chart for everyone: the window, how the scores were drawn, and where every score is. */
function chartNote(points: readonly ChartPoint[], window: ChartWindow, per: DrawnPer): string {
  const scores =
    points.length < window.scores ? `the latest ${formatCount(points.length)} of its ${formatCount(window.scores)} scores` : 'its scores';
  const drawn = per === 'score' ? '' : `, drawn as the last score of each ${per}`;
  return `The last ${countOf(window.days, 'day')}: ${scores}${drawn}. Every score, older ones too, is in the table under the chart.`;
}

/** Scores (oldest first) of the last `window.days`; past a hundred or so, the last of each minute, hour or day is drawn (chart-points.ts). */
export function ScoreChart({ points, window, scoredBefore }: { points: ChartPoint[]; window: ChartWindow; scoredBefore: boolean }) {
  const container = useRef<HTMLDivElement>(null);
  // Model changes from every score, not the drawn ones: the last of a day may be scored by a model changed earlier that day.
  const changes = modelChanges(points);
  const { points: drawn, per } = drawnPoints(points);
  useEffect(() => {
    const element = container.current;
    if (!element || drawn.length === 0) return;
    const times = drawn.map((point) => Date.parse(point.asOf) / 1000);
    const data: uPlot.AlignedData = [times, drawn.map((point) => point.score)];
    const plot = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height: 220,
        scales: { x: { time: true, range: timeRange(times) }, y: { range: [0, 100] } },
        series: [{}, { label: 'score', stroke: '#2563eb', width: 2, points: { show: drawn.length < 60 } }],
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
  if (points.length === 0)
    return <p class="muted">{scoredBefore ? `No score in the last ${countOf(window.days, 'day')}.` : 'Not scored yet.'}</p>;
  return (
    <figure class="chart">
      <div ref={container} role="img" aria-label={chartSummary(points, window, per)} />
      <figcaption data-testid="model-changes">{modelChangesInWords(points, changes, formatDateTime)}</figcaption>
      <p class="muted" data-testid="chart-note">
        {chartNote(points, window, per)}
      </p>
    </figure>
  );
}
