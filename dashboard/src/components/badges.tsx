// Small labels shared by the screens: tier, trend arrow, the arrow of a change, the error of a request.
import type { CombinedError } from '@urql/core';
import type { Ref } from 'preact';
import { errorText } from '../errors';
import { TREND_ARROWS } from '../format';

/** A tier's key as words: at risk; unscored for none. */
export function tierName(tier: string | null | undefined): string {
  return tier ? tier.replace(/_/g, ' ') : 'unscored';
}

export function TierBadge({ tier }: { tier: string | null | undefined }) {
  if (!tier) return <span class="muted">{tierName(tier)}</span>;
  return <span class={`tier tier-${tier}`}>{tierName(tier)}</span>;
}

export function TrendArrow({ trend }: { trend: string | null | undefined }) {
  const shown = trend ? TREND_ARROWS[trend] : undefined;
  if (!shown) return <span class="muted">—</span>;
  return (
    <span class={`trend trend-${trend!.toLowerCase()}`} title={shown.label}>
      <span aria-hidden="true">{shown.arrow}</span>
      <span class="visually-hidden">{shown.label}</span>
    </span>
  );
}

/** The note standing in for what is asked for until it comes, said to screen readers. */
export function Loading() {
  return (
    <p class="loading" role="status">
      Loading…
    </p>
  );
}

/** The arrow between what a change was and what it became ("healthy → critical"), read as "to". */
export function ToArrow() {
  return (
    <>
      {' '}
      <span role="img" aria-label="to">
        →
      </span>{' '}
    </>
  );
}

/** A failed request in words; `noteRef` makes the note focusable, for a list whose pager it replaces (pager.tsx). */
export function ErrorNote({ error, noteRef }: { error: CombinedError | undefined; noteRef?: Ref<HTMLParagraphElement> }) {
  return error ? (
    <p class="error" role="alert" ref={noteRef} tabIndex={noteRef ? -1 : undefined}>
      {errorText(error)}
    </p>
  ) : null;
}
