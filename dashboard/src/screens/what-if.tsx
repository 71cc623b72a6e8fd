// What-if (admin): change signal weights of the active model and see, without writing anything,
// how many accounts each tier would hold and which accounts would move (previewScoringModel), the
// accounts paged as the API pages them. A weight left empty, or outside what the server takes, is
// refused in words before anything is asked. While the preview runs, its button stays focusable
// (aria-disabled, a press ignored): a disabled button would drop the keyboard focus to the
// document's start. The status line says when it is ready. Pressed again with the same weights
// (after a failure), Preview asks again.
import { createRequest } from '@urql/core';
import { useQuery } from '@urql/preact';
import { useRef, useState } from 'preact/hooks';
import { ErrorNote, TierBadge, ToArrow } from '../components/badges';
import { Pager, PageStatus, usePages, type PageState } from '../components/pager';
import { TableScroll } from '../components/table-scroll';
import { countOf, formatCents, formatCount, nounFor } from '../format';
import { graphql } from '../gql';
import type { PreviewScoringModelQuery } from '../gql/graphql';
import { customerHref } from '../router';

const PreviewQuery = graphql(`
  query PreviewScoringModel($config: JSON!, $first: Int!, $after: String) {
    previewScoringModel(config: $config, first: $first, after: $after) {
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
      changesPageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

/** The accounts that would move, listed a page at a time. */
const PAGE_SIZE = 50;
/** The largest weight the server takes (src/scoring/model/validate-model.ts). */
const MAX_WEIGHT = 1_000_000;

type Preview = NonNullable<PreviewScoringModelQuery['previewScoringModel']>;

interface EditableConfig {
  components: Array<{ name: string; signals: Array<{ name: string; weight: number }> }>;
}

/** A weight as typed, or null when the server would not take it (empty, not a number, out of range). */
function parseWeight(typed: string): number | null {
  if (typed.trim() === '') return null;
  const weight = Number(typed);
  return Number.isFinite(weight) && weight >= 0 && weight <= MAX_WEIGHT ? weight : null;
}

/** The list of changes asked for with `config`: its pages' cursors are remembered under it. */
function listOf(config: unknown): string {
  return config === null ? '' : String(createRequest(PreviewQuery, { config, first: PAGE_SIZE, after: null }).key);
}

export function WhatIfPanel({ config }: { config: unknown }) {
  const model = config as EditableConfig;
  const signals = model.components.flatMap((component) => component.signals);
  const [typed, setTyped] = useState<Record<string, string>>({});
  const textOf = (signal: { name: string; weight: number }) => typed[signal.name] ?? String(signal.weight);
  // Whether the last Preview pressed was refused: the weights then refused are marked until corrected.
  const [refused, setRefused] = useState(false);
  const invalid = refused ? signals.filter((signal) => parseWeight(textOf(signal)) === null).map((signal) => signal.name) : [];
  const form = useRef<HTMLFormElement>(null);
  const [submitted, setSubmitted] = useState<unknown>(null);
  const pages = usePages(listOf(submitted));
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: PreviewQuery,
    variables: { config: submitted, first: PAGE_SIZE, after: pages.after ?? null },
    pause: submitted === null,
  });
  const withWeights = (): unknown => ({
    ...(config as object),
    components: model.components.map((component) => ({
      ...component,
      signals: component.signals.map((signal) => ({ ...signal, weight: parseWeight(textOf(signal)) })),
    })),
  });
  const preview = () => {
    const refusedNow = signals.filter((signal) => parseWeight(textOf(signal)) === null);
    setRefused(refusedNow.length > 0);
    if (refusedNow.length > 0)
      return form.current?.querySelector<HTMLInputElement>(`input[name="${CSS.escape(refusedNow[0].name)}"]`)?.focus();
    const asked = withWeights();
    // The same weights again ask no other request: asked again, for a preview that failed.
    if (listOf(asked) === listOf(submitted)) reexecute({ requestPolicy: 'network-only' });
    else setSubmitted(asked);
  };
  const result = data?.previewScoringModel;
  return (
    <section class="card wide" aria-labelledby="what-if-title">
      <h2 id="what-if-title">What if (preview, writes nothing)</h2>
      <form
        class="weights"
        ref={form}
        // Refused in words below, as the other fields of the dashboard are, not by the browser's own tooltip.
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (!fetching) preview();
        }}
      >
        {signals.map((signal) => (
          <label key={signal.name}>
            {signal.name}
            <input
              type="number"
              name={signal.name}
              min={0}
              max={MAX_WEIGHT}
              step={1}
              value={textOf(signal)}
              aria-invalid={invalid.includes(signal.name)}
              aria-describedby={invalid.includes(signal.name) ? 'weight-error' : undefined}
              onInput={(event) => setTyped({ ...typed, [signal.name]: event.currentTarget.value })}
            />
          </label>
        ))}
        <button type="submit" aria-disabled={fetching}>
          {fetching ? 'Previewing…' : 'Preview'}
        </button>
      </form>
      {invalid.length > 0 && (
        <p class="error field-error" role="alert" id="weight-error">
          Enter a weight from 0 to {formatCount(MAX_WEIGHT)} for {invalid.join(', ')}: nothing was previewed.
        </p>
      )}
      <p role="status" class="muted" data-testid="preview-status">
        {fetching ? 'Previewing…' : !refused && result && `Preview ready: ${countOf(result.changed, 'account')} would change tier.`}
      </p>
      <ErrorNote error={error} />
      {result && <PreviewResult preview={result} pages={pages} listed={!fetching} />}
    </section>
  );
}

/** The tiers now and proposed, and a page of the accounts that would move (while `listed`: not while another page is asked for). */
function PreviewResult({ preview, pages, listed }: { preview: Preview; pages: PageState; listed: boolean }) {
  const changesPage = { totalCount: preview.changed, edges: preview.changes };
  return (
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
                <td class="number">{formatCount(tier.count)}</td>
                <td class="number">{formatCount(preview.proposed.find((proposed) => proposed.tier === tier.tier)?.count ?? 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <PageStatus page={pages.page} pageSize={PAGE_SIZE} connection={listed ? changesPage : undefined} />
      {/* The status line says "Previewing…" meanwhile: this note is not said again. */}
      {!listed && <p class="loading">Loading…</p>}
      {listed && (
        <>
          <ul class="wrapping-list" data-testid="preview-changes">
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
          <Pager
            pages={pages}
            pageSize={PAGE_SIZE}
            shown={preview.changes.length}
            totalCount={preview.changed}
            hasNextPage={preview.changesPageInfo.hasNextPage}
            endCursor={preview.changesPageInfo.endCursor}
            label="Accounts that would change tier"
          />
        </>
      )}
    </div>
  );
}
