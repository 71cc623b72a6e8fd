// Small labels shared by the screens: tier, trend arrow, the arrow of a change, the error of a request.
import type { CombinedError } from '@urql/core';
import type { Ref } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { AskingAgain } from '../ask-again';
import { errorText } from '../errors';
import { TREND_ARROWS } from '../format';

/** A tier's key as words: at risk; unscored for none. */
export function tierName(tier: string | null | undefined): string {
  return tier ? tier.replace(/_/g, ' ') : 'unscored';
}

/** A tier as a badge, coloured by its key and named by `label` (the model's) when given, else by its key. */
export function TierBadge({ tier, label }: { tier: string | null | undefined; label?: string }) {
  if (!tier) return <span class="muted">{tierName(tier)}</span>;
  return <span class={`tier tier-${tier}`}>{label ?? tierName(tier)}</span>;
}

/**
 * A customer's tier, or "churned" (muted, as "unscored") for one CHURNED (cancelled, or silent past the
 * churn window): it keeps its last tier but is in none of the book's (healthSummary, `customers(tier:)`).
 */
export function CustomerTierBadge({
  tier,
  lifecycleStage,
}: {
  tier: string | null | undefined;
  lifecycleStage: string | null | undefined;
}) {
  if (lifecycleStage === 'CHURNED') return <span class="muted">churned</span>;
  return <TierBadge tier={tier} />;
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

/**
 * A failed request in words; `noteRef` makes the note focusable, for a list whose pager it replaces
 * (pager.tsx). With `askingAgain` (a request the page asks again by itself) it says when, and offers
 * Try again.
 */
export function ErrorNote({
  error,
  askingAgain,
  noteRef,
  keepFocusOnAnswer = true,
}: {
  error: CombinedError | undefined;
  askingAgain?: AskingAgain;
  noteRef?: Ref<HTMLParagraphElement>;
  /** False where another element takes the focus once the request is answered (a list's pager). */
  keepFocusOnAnswer?: boolean;
}) {
  if (!error) return null;
  return (
    <div class="error-note">
      <p class="error" role="alert" ref={noteRef} tabIndex={noteRef ? -1 : undefined}>
        {errorText(error, askingAgain)}
      </p>
      {askingAgain && <TryAgainButton onPress={askingAgain.now} keepFocusOnAnswer={keepFocusOnAnswer} />}
    </div>
  );
}

/**
 * Asks a failed request again at once. It goes with the error once the request is answered: the
 * focus it held then goes to the screen's heading rather than to the document's start.
 */
function TryAgainButton({ onPress, keepFocusOnAnswer }: { onPress(): void; keepFocusOnAnswer: boolean }) {
  const button = useRef<HTMLButtonElement>(null);
  const keepFocus = useRef(keepFocusOnAnswer);
  keepFocus.current = keepFocusOnAnswer;
  useEffect(
    () => () => {
      // Run as it unmounts, while it is still in the document and may still hold the focus.
      if (keepFocus.current && button.current && document.activeElement === button.current)
        setTimeout(() => {
          if (focusLost()) document.querySelector<HTMLElement>('main h1')?.focus();
        });
    },
    [],
  );
  return (
    <button type="button" ref={button} onClick={onPress}>
      Try again
    </button>
  );
}

/** Whether the keyboard focus is nowhere: on the document's body, as when the element holding it went away. */
export function focusLost(): boolean {
  return document.activeElement === null || document.activeElement === document.body;
}
