// A customer's score over time (uPlot), with a dashed line where the model changed how it scores
// (model-changes.ts: not where a version changed only playbook settings).
// The same changes are listed in text under the chart for keyboards and screen readers.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatAxisDates, formatDate } from '../format';
import { modelChanges, modelChangesInWords, type ModelChange, type ScorePoint } from '../model-changes';

const DAY_SECONDS = 86_400;
/** The steps between the time axis's ticks: whole days, weeks, months (about), years. */
const DAY_TICKS = [1, 2, 7, 14, 30, 61, 91, 182, 365, 730].map((days) => days * DAY_SECONDS);
/** How far either side of a lone score the time axis reaches. */
const LONE_SCORE_DAYS = 3;

/**
 * The time axis's range for scores at `times` (seconds, oldest first): their own, but a few days
 * either side of a lone instant, which uPlot would widen to some 1,000 days after it (its "one day"
 * for a time scale is 86,400 divided by its unit, 0.001 for times in seconds).
 */
function timeRange(times: number[]): uPlot.Range.Function {
  const first = times[0];
  const last = times[times.length - 1];
  return (_plot, min, max) => (first === last ? [first - LONE_SCORE_DAYS * DAY_SECONDS, last + LONE_SCORE_DAYS * DAY_SECONDS] : [min, max]);
}

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
        for (const change of changes) {
          const x = plot.valToPos(Date.parse(change.point.asOf) / 1000, 'x', true);
          ctx.beginPath();
          ctx.moveTo(x, plot.bbox.top);
          ctx.lineTo(x, plot.bbox.top + plot.bbox.height);
          ctx.stroke();
          ctx.fillText(`v${change.point.modelVersion}`, x + 4, plot.bbox.top + 14 * devicePixelRatio);
        }
        ctx.restore();
      },
    },
  };
}

export function ScoreChart({ points }: { points: ScorePoint[] }) {
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
        // Dates as the rest of the dashboard writes them (6 Dec 2026), not uPlot's US-style 12/6;
        // scores are daily, so ticks fall on whole days, spaced for the longer label.
        axes: [
          { values: (_plot, ticks) => formatAxisDates(ticks), incrs: DAY_TICKS, space: 90 },
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
    <figure class="chart">
      <div
        ref={container}
        role="img"
        aria-label={`Score history: ${points.length} ${points.length === 1 ? 'score' : 'scores'} from ${formatDate(points[0].asOf)} to ${formatDate(points[points.length - 1].asOf)}, latest ${points[points.length - 1].score}`}
      />
      <figcaption data-testid="model-changes">{modelChangesInWords(points, changes, formatDate)}</figcaption>
    </figure>
  );
}
