// How figures are written on screen (one place, so every screen agrees with the others).
// ARR has no currency in the graph: whole units with grouping, no symbol.
const money = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
const date = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium' });

/** ARR and other amounts are stored in cents. */
export function formatCents(cents: number | null | undefined): string {
  return cents == null ? '—' : money.format(Math.round(cents / 100));
}

/** Amounts in another currency than the ARR's: minor units with the ISO code. */
export function formatAmount(cents: number, currency: string): string {
  return `${(cents / 100).toFixed(2)} ${currency}`;
}

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? date.format(new Date(iso)) : '—';
}

export function formatNumber(value: number | null | undefined, digits = 0): string {
  return value == null ? '—' : value.toFixed(digits);
}

export function formatPercent(share: number | null | undefined, digits = 0): string {
  return share == null ? '—' : `${(share * 100).toFixed(digits)} %`;
}

/** ARR at risk, as the worklist ranks it: ARR × (100 − score) %. */
export function arrAtRiskCents(arrCents: number, score: number | null | undefined): number {
  return Math.round((arrCents * (100 - (score ?? 100))) / 100);
}

export const TREND_ARROWS: Readonly<Record<string, { arrow: string; label: string }>> = {
  IMPROVING: { arrow: '↑', label: 'improving' },
  STABLE: { arrow: '→', label: 'stable' },
  DECLINING: { arrow: '↓', label: 'declining' },
};

export function humanise(key: string): string {
  return key.replace(/_/g, ' ').toLowerCase();
}
