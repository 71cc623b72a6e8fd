// Why an account is at risk, in a few words: its applied penalties (largest first), then the
// signals that cost it most — weight × (1 − normalised value) — among those that were observed.
export interface ExplainedScore {
  signals: Array<{ name: string; weight: number; value?: number | null; missing: boolean }>;
  penalties: Array<{ name: string; points: number; applied: boolean }>;
}

export interface Reason {
  name: string;
  /** Points taken by a penalty, or the signal's normalised value 0–1. */
  detail: string;
}

export function topNegativeSignals(score: ExplainedScore | null | undefined, count = 3): Reason[] {
  if (!score) return [];
  const penalties = score.penalties
    .filter((penalty) => penalty.applied && penalty.points > 0)
    .sort((a, b) => b.points - a.points)
    .map((penalty) => ({ name: penalty.name, detail: `−${penalty.points}` }));
  const signals = score.signals
    .filter((signal) => !signal.missing && signal.value != null && signal.value < 1)
    .map((signal) => ({ signal, lost: signal.weight * (1 - (signal.value ?? 0)) }))
    .sort((a, b) => b.lost - a.lost)
    .map(({ signal }) => ({ name: signal.name, detail: `${Math.round((signal.value ?? 0) * 100)} %` }));
  return [...penalties, ...signals].slice(0, count);
}
