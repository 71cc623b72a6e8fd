// How figures are written on screen (one place, so every screen agrees with the others).
// ARR has no currency in the graph: whole units with grouping, no symbol.
// A payment's amount in its currency's minor unit, by the server's ISO 4217 table: the Changes
// screen's `detail` (written by the server) and the customer page then agree.
import { minorUnitDigits } from '../../src/payments/minor-units';

const money = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
const date = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium' });
const time = new Intl.DateTimeFormat('en-GB', { timeStyle: 'short' });

/** ARR and other amounts are stored in cents. */
export function formatCents(cents: number | null | undefined): string {
  return cents == null ? '—' : money.format(Math.round(cents / 100));
}

/** An amount given in `currency`'s minor unit, as written on an invoice: `1200.00 USD`, `150000 JPY`, `150.000 BHD`. */
export function formatAmount(minorUnits: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  // In whole digits, not by dividing: the amount stays exactly the integer it was given as.
  const written = String(Math.abs(minorUnits)).padStart(digits + 1, '0');
  const units = written.slice(0, written.length - digits);
  const fraction = digits > 0 ? `.${written.slice(written.length - digits)}` : '';
  return `${minorUnits < 0 ? '-' : ''}${units}${fraction} ${currency}`;
}

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? date.format(new Date(iso)) : '—';
}

/** A time axis's tick (seconds since the epoch, as uPlot gives it) as the day the rest of the dashboard writes: 6 Dec 2026. */
export function formatAxisDay(seconds: number): string {
  return date.format(new Date(seconds * 1000));
}

/** A time axis's tick as the time of day the rest of the dashboard writes: 14:05. */
export function formatAxisTime(seconds: number): string {
  return time.format(new Date(seconds * 1000));
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
