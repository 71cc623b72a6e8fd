// Small labels shared by the screens: tier, trend arrow, the error of a request.
import type { CombinedError } from '@urql/core';
import { errorText } from '../errors';
import { TREND_ARROWS } from '../format';

export function TierBadge({ tier }: { tier: string | null | undefined }) {
  if (!tier) return <span class="muted">unscored</span>;
  return <span class={`tier tier-${tier}`}>{tier.replace(/_/g, ' ')}</span>;
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

export function ErrorNote({ error }: { error: CombinedError | undefined }) {
  return error ? (
    <p class="error" role="alert">
      {errorText(error)}
    </p>
  ) : null;
}
