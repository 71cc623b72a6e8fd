// What-if (admin): change signal weights of the active model and see, without writing anything,
// how many accounts each tier would hold and which accounts would move (previewScoringModel). While
// the preview runs, its button stays focusable (aria-disabled, a press ignored): a disabled button
// would drop the keyboard focus to the document's start. The status line says when it is ready.
import { useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { ErrorNote, TierBadge, ToArrow } from '../components/badges';
import { TableScroll } from '../components/table-scroll';
import { countOf, formatCents, formatCount, nounFor } from '../format';
import { graphql } from '../gql';
import { customerHref } from '../router';

const PreviewQuery = graphql(`
  query PreviewScoringModel($config: JSON!) {
    previewScoringModel(config: $config, first: 50) {
      changed
      current {
        tier
        label
        count
      }
      proposed {
        tier
        label
        count
      }
      changes {
        customerId
        name
        arrCents
        fromTier
        toTier
        toScore
      }
    }
  }
`);

interface EditableConfig {
  components: Array<{ name: string; signals: Array<{ name: string; weight: number }> }>;
}

export function WhatIfPanel({ config }: { config: unknown }) {
  const [weights, setWeights] = useState<Record<string, number>>({});
  const [submitted, setSubmitted] = useState<unknown>(null);
  const [{ data, error, fetching }] = useQuery({ query: PreviewQuery, variables: { config: submitted }, pause: submitted === null });
  const model = config as EditableConfig;
  const withWeights = (): unknown => ({
    ...(config as object),
    components: model.components.map((component) => ({
      ...component,
      signals: component.signals.map((signal) => ({ ...signal, weight: weights[signal.name] ?? signal.weight })),
    })),
  });
  const preview = data?.previewScoringModel;
  return (
    <section class="card wide" aria-labelledby="what-if-title">
      <h2 id="what-if-title">What if (preview, writes nothing)</h2>
      <form
        class="weights"
        onSubmit={(event) => {
          event.preventDefault();
          if (!fetching) setSubmitted(withWeights());
        }}
      >
        {model.components.flatMap((component) =>
          component.signals.map((signal) => (
            <label key={signal.name}>
              {signal.name}
              <input
                type="number"
                min={0}
                step={1}
                value={weights[signal.name] ?? signal.weight}
                onInput={(event) => setWeights({ ...weights, [signal.name]: Number(event.currentTarget.value) })}
              />
            </label>
          )),
        )}
        <button type="submit" aria-disabled={fetching}>
          {fetching ? 'Previewing…' : 'Preview'}
        </button>
      </form>
      <p role="status" class="muted" data-testid="preview-status">
        {fetching ? 'Previewing…' : preview && `Preview ready: ${countOf(preview.changed, 'account')} would change tier.`}
      </p>
      <ErrorNote error={error} />
      {preview && (
        <div data-testid="preview">
          <p>
            <strong data-testid="preview-changed">{formatCount(preview.changed)}</strong> {nounFor(preview.changed, 'account')} would change
            tier.
          </p>
          <TableScroll label="Tiers now and proposed">
            <table>
              <thead>
                <tr>
                  <th scope="col">Tier</th>
                  <th scope="col" class="number">
                    Now
                  </th>
                  <th scope="col" class="number">
                    Proposed
                  </th>
                </tr>
              </thead>
              <tbody>
                {preview.current.map((tier) => (
                  <tr key={tier.tier}>
                    <th scope="row">{tier.label}</th>
                    <td class="number">{tier.count}</td>
                    <td class="number">{preview.proposed.find((proposed) => proposed.tier === tier.tier)?.count ?? 0}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          <ul class="wrapping-list">
            {preview.changes.map((change) => (
              <li key={change.customerId}>
                <a href={customerHref(change.customerId)}>
                  <bdi>{change.name}</bdi>
                </a>{' '}
                ({formatCents(change.arrCents)}): <TierBadge tier={change.fromTier} />
                <ToArrow />
                <TierBadge tier={change.toTier} /> at {change.toScore}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
