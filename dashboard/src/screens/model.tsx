// Model page: the active model (version, tiers, signal weights) and the tier presets for everyone;
// for admin keys also the what-if preview of changed weights, activating a preset, and the backtest
// ("does it predict churn?"). Without admin those controls are not shown at all.
import { Fragment } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { useMutation } from '@urql/preact';
import { ErrorNote, Loading, TierBadge } from '../components/badges';
import { ScreenHeading } from '../components/screen-heading';
import { TableScroll } from '../components/table-scroll';
import { formatDateTime } from '../format';
import { graphql } from '../gql';
import type { ModelPageQuery } from '../gql/graphql';
import { useLiveQuery, useSession } from '../live-query';
import { isAdmin } from '../session';
import { BacktestPanel } from './backtest';
import { WhatIfPanel } from './what-if';

const ModelQuery = graphql(`
  query ModelPage {
    scoringModel {
      version
      createdAt
      config
      tiers {
        key
        label
        lowerBound
        severity
      }
    }
    scoringModelPresets {
      name
      isDefault
      active
      tiers {
        key
        label
        lowerBound
      }
    }
  }
`);

const ActivatePresetMutation = graphql(`
  mutation ActivateTierPreset($tierPreset: String!) {
    updateScoringModel(input: { tierPreset: $tierPreset }) {
      version
    }
  }
`);

export function ModelScreen() {
  const { viewer } = useSession();
  const admin = isAdmin(viewer);
  const { data, error, askingAgain, refetch } = useLiveQuery(ModelQuery, {});
  const model = data?.scoringModel;
  const signals = useMemo(() => {
    const config = (model?.config ?? {}) as { components?: Array<{ name: string; signals: Array<{ name: string; weight: number }> }> };
    return (config.components ?? []).flatMap((component) => component.signals.map((signal) => ({ component: component.name, ...signal })));
  }, [model?.config]);
  if (error)
    return (
      <section aria-labelledby="model-title">
        <ScreenHeading id="model-title" title="Scoring model" />
        <ErrorNote error={error} askingAgain={askingAgain} />
      </section>
    );
  if (!data || !model) return <Loading />;
  return (
    <section aria-labelledby="model-title">
      <ScreenHeading id="model-title" title="Scoring model">
        Scoring model <span data-testid="model-version">v{model.version}</span>
      </ScreenHeading>
      <p class="muted">Active since {formatDateTime(model.createdAt)}.</p>
      <div class="cards">
        <article class="card">
          <h2>Tiers</h2>
          <TableScroll label="Tiers">
            <table data-testid="model-tiers">
              <thead>
                <tr>
                  <th scope="col">Tier</th>
                  <th scope="col" class="number">
                    From score
                  </th>
                </tr>
              </thead>
              <tbody>
                {[...model.tiers]
                  .sort((a, b) => a.severity - b.severity)
                  .map((tier) => (
                    <tr key={tier.key}>
                      <th scope="row">
                        <TierBadge tier={tier.key} /> {tier.label}
                      </th>
                      <td class="number">{tier.lowerBound}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </TableScroll>
        </article>
        <article class="card">
          <h2>Signal weights</h2>
          <TableScroll label="Signal weights">
            <table data-testid="model-signals">
              <thead>
                <tr>
                  <th scope="col">Signal</th>
                  <th scope="col">Component</th>
                  <th scope="col" class="number">
                    Weight
                  </th>
                </tr>
              </thead>
              <tbody>
                {signals.map((signal) => (
                  <tr key={signal.name}>
                    <th scope="row">
                      <SnakeCaseName name={signal.name} />
                    </th>
                    <td>
                      <SnakeCaseName name={signal.component} />
                    </td>
                    <td class="number">{signal.weight}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </article>
      </div>
      {/* Outside the grid: a card spanning every track keeps the empty ones from collapsing, which
          leaves the two cards above one narrow track each. */}
      <TierPresets presets={data.scoringModelPresets ?? []} admin={admin} version={model.version} onActivated={refetch} />
      {admin ? (
        <>
          <WhatIfPanel config={model.config} />
          <BacktestPanel />
        </>
      ) : (
        <p class="muted" data-testid="admin-only-note">
          The what-if preview, activating a preset and the backtest need an admin key.
        </p>
      )}
    </section>
  );
}

type Preset = NonNullable<ModelPageQuery['scoringModelPresets']>[number];

/**
 * The tier presets, each with its Activate button for an admin. The page is asked again as soon as an
 * activation is answered: the live events that refetch it come only from the rescoring run after it,
 * seconds later or never (an activation that moves no account's tier). Until the page shows the new
 * version, the buttons do nothing and the old preset is not offered as one to activate. They are
 * marked unavailable (aria-disabled) rather than disabled, which would drop the keyboard focus
 * of the button pressed to the document's start; the status line says what is happening.
 */
function TierPresets({
  presets,
  admin,
  version,
  onActivated,
}: {
  presets: readonly Preset[];
  admin: boolean;
  version: number;
  onActivated(): void;
}) {
  const [activation, activate] = useMutation(ActivatePresetMutation);
  const [activated, setActivated] = useState<{ preset: string; version: number } | null>(null);
  const [activating, setActivating] = useState<string | null>(null);
  const showing = activated !== null && version >= activated.version;
  const busy = activation.fetching || (activated !== null && !showing);
  const activatePreset = async (preset: string) => {
    if (
      busy ||
      !confirm(
        `Activate the ${preset} tiers? Every account is rescored; tiers the model has keep their playbooks, new ones get the preset's.`,
      )
    )
      return;
    setActivated(null);
    setActivating(preset);
    const answer = (await activate({ tierPreset: preset })).data?.updateScoringModel;
    setActivating(null);
    if (!answer) return;
    setActivated({ preset, version: answer.version });
    onActivated();
  };
  return (
    <article class="card wide">
      <h2>Tier presets</h2>
      <ul class="presets" data-testid="presets">
        {presets.map((preset) => (
          <li key={preset.name} data-preset={preset.name}>
            <strong>{preset.name}</strong>
            {preset.isDefault && <span class="muted"> (default)</span>}
            {preset.active && !admin && <span class="muted"> (active)</span>}:{' '}
            {preset.tiers.map((tier) => `${tier.label} ≥ ${tier.lowerBound}`).join(', ')}
            {admin &&
              (preset.active ? (
                // The model's tiers already: activating it again would change nothing. The same
                // button as the Activate it was, so that the focus stays on it once activated.
                <button type="button" aria-label={`${preset.name} is active`} aria-disabled="true" data-testid="active-preset">
                  Active
                </button>
              ) : (
                <button
                  type="button"
                  // Every preset has its button: the name says which, where a screen reader lists the buttons.
                  aria-label={`Activate ${preset.name}`}
                  aria-disabled={busy}
                  onClick={() => void activatePreset(preset.name)}
                >
                  Activate
                </button>
              ))}
          </li>
        ))}
      </ul>
      <ErrorNote error={activation.error} />
      <p role="status" class="muted" data-testid="activation-status">
        {activating !== null && `Activating ${activating}…`}
        {showing && `Activated ${activated.preset}: the model is v${activated.version}, and every account is being rescored.`}
      </p>
    </article>
  );
}

/**
 * A snake_case name that may break after its underscores: unbroken, two such names leave the
 * Weight column no room in a card as narrow as the grid lets one be.
 */
function SnakeCaseName({ name }: { name: string }) {
  return (
    <>
      {name.split('_').map((part, index) =>
        index === 0 ? (
          part
        ) : (
          <Fragment key={index}>
            _<wbr />
            {part}
          </Fragment>
        ),
      )}
    </>
  );
}
