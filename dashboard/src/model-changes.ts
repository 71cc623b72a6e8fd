// Where a customer's score history changed model: the chart marks a change only where the model
// changed how it scores (its scoringVersion), not where a version changed only playbook settings,
// whose scores the server compares as one version's.

export interface ScorePoint {
  asOf: string;
  score: number;
  modelVersion: number;
  /** The first version of the run of versions that score alike that modelVersion belongs to (HealthScore.scoringVersion). */
  scoringVersion: number;
}

export interface ModelChange {
  index: number;
  point: ScorePoint;
  /** The model version of the point before. */
  from: number;
}

/** Where the way of scoring differs from the previous point's (oldest first). */
export function modelChanges(points: readonly ScorePoint[]): ModelChange[] {
  const changes: ModelChange[] = [];
  points.forEach((point, index) => {
    if (index > 0 && point.scoringVersion !== points[index - 1].scoringVersion)
      changes.push({ index, point, from: points[index - 1].modelVersion });
  });
  return changes;
}

/** The chart's caption, for keyboards and screen readers: the changes marked, or what held throughout. */
export function modelChangesInWords(
  points: readonly ScorePoint[],
  changes: readonly ModelChange[],
  formatDate: (iso: string) => string,
): string {
  if (changes.length > 0)
    return changes.map((change) => `v${change.from} → v${change.point.modelVersion} on ${formatDate(change.point.asOf)}`).join('; ');
  const first = points[0].modelVersion;
  const last = points[points.length - 1].modelVersion;
  return first === last
    ? `Model version ${last} throughout.`
    : `Scored alike throughout: model versions ${first} to ${last} changed only playbook settings.`;
}
