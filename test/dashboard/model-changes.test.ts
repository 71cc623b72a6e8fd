// The score chart marks a model change only where the model changed how it scores: a version that
// changed only playbook settings scores as the one before, and the server compares its points as one.
import { modelChanges, modelChangesInWords, type ScorePoint } from '../../dashboard/src/model-changes';

const at = (day: number, modelVersion: number, scoringVersion: number): ScorePoint => ({
  asOf: `2026-12-0${day}T00:00:00.000Z`,
  score: 80,
  modelVersion,
  scoringVersion,
});
const day = (iso: string) => iso.slice(0, 10);

it('marks no change where a version changed only playbook settings', () => {
  const points = [at(1, 1, 1), at(2, 2, 1), at(3, 3, 1)];
  expect(modelChanges(points)).toEqual([]);
  expect(modelChangesInWords(points, [], day)).toBe('Scored alike throughout: model versions 1 to 3 changed only playbook settings.');
  expect(modelChangesInWords([at(1, 4, 4)], [], day)).toBe('Model version 4 throughout.');
});

it('marks a change where the model scores otherwise, a rollback to an earlier model included', () => {
  // 2 changed only playbook settings; 3 scored otherwise; 4 is 2's config again; 5 changed 4's playbooks.
  const points = [at(1, 1, 1), at(2, 2, 1), at(3, 3, 3), at(4, 4, 4), at(5, 5, 4)];
  const changes = modelChanges(points);
  expect(changes.map((change) => [change.index, change.from, change.point.modelVersion])).toEqual([
    [2, 2, 3],
    [3, 3, 4],
  ]);
  expect(modelChangesInWords(points, changes, day)).toBe('v2 → v3 on 2026-12-03; v3 → v4 on 2026-12-04');
});
