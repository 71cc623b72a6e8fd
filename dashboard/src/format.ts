/// <reference lib="es2023.intl" />
// How figures are written on screen (one place, so every screen agrees with the others). A count
// is grouped as money is, and what it counts is written in the singular for one (countOf).
// Money is written by one formatter, Intl.NumberFormat with grouping: a payment in its currency
// (its symbol or code, as en-US writes it: $12,500.00, €1,000.00, ¥150,000, BHD 150.000), with the
// digits of its currency's minor unit by the server's ISO 4217 table (not the runtime's, which drops
// them for HUF, IQD and others), so that the customer page and the Changes screen agree; ARR, which
// has no currency in the graph, in whole units with the same grouping and no symbol.
// Amounts are formatted from their decimal text (Intl takes it exactly, ES2023): an amount in minor
// units up to 2^53 has more digits than a double divided by 100 keeps.
import { minorUnitDigits } from '../../src/payments/minor-units';

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
const date = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium' });
const time = new Intl.DateTimeFormat('en-GB', { timeStyle: 'short' });

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** The one money formatter: grouped, `digits` decimals, in `currency` when there is one. */
function moneyFormat(currency: string | null, digits: number): Intl.NumberFormat {
  const key = `${currency ?? ''} ${digits}`;
  let format = moneyFormats.get(key);
  if (!format) {
    const style: Intl.NumberFormatOptions = currency === null ? {} : { style: 'currency', currency };
    format = new Intl.NumberFormat('en-US', { ...style, minimumFractionDigits: digits, maximumFractionDigits: digits });
    moneyFormats.set(key, format);
  }
  return format;
}

/** ARR and other amounts without a currency, stored in cents: whole units, grouped (150,000). */
export function formatCents(cents: number | null | undefined): string {
  return cents == null ? '—' : moneyFormat(null, 0).format(Math.round(cents / 100));
}

/** An amount given in `currency`'s minor unit, as its currency writes it: `$1,200.00`, `¥150,000`, `BHD 150.000`. */
export function formatAmount(minorUnits: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  // In whole digits, not by dividing: the amount stays exactly the integer it was given as.
  const written = String(Math.abs(minorUnits)).padStart(digits + 1, '0');
  const units = written.slice(0, written.length - digits);
  const fraction = digits > 0 ? `.${written.slice(written.length - digits)}` : '';
  return formatDecimalAmount(`${minorUnits < 0 ? '-' : ''}${units}${fraction}`, currency);
}

/** An amount written as a decimal (`1200.00`, digits and a point only, as the server writes a failed payment's) in `currency`. */
function formatDecimalAmount(decimal: string, currency: string): string {
  const amount = decimal as `${number}`;
  // A code Intl does not take as one (not three letters) is written after the number, as it came.
  if (!/^[A-Za-z]{3}$/.test(currency)) return `${moneyFormat(null, minorUnitDigits(currency)).format(amount)} ${currency}`;
  return moneyFormat(currency.toUpperCase(), minorUnitDigits(currency.toUpperCase())).format(amount);
}

/**
 * A failed payment's `detail` on the Changes screen (the server writes its amount and currency as
 * `1200.00 USD`, the amount in the currency's own minor unit) as the customer page writes payments;
 * any other text as it came.
 */
export function formatPaymentDetail(detail: string): string {
  const payment = /^(-?\d+(?:\.\d+)?) ([A-Z]{3})$/.exec(detail);
  return payment ? formatDecimalAmount(payment[1], payment[2]) : detail;
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

/** An instant (ms since the epoch) as a time of day: 14:05. */
export function formatTime(instantMs: number): string {
  return time.format(new Date(instantMs));
}

/** A time axis's tick as the time of day the rest of the dashboard writes: 14:05. */
export function formatAxisTime(seconds: number): string {
  return time.format(new Date(seconds * 1000));
}

/** A count, grouped as money is: 1,400. */
export function formatCount(count: number | null | undefined): string {
  return count == null ? '—' : moneyFormat(null, 0).format(count);
}

/**
 * What `count` counts, in the singular for one (`customer`), else in `plural`: the singular with an
 * s unless given (`customer matches`, `customers match`). Where the number is shown apart (an element
 * of its own), the words after it.
 */
export function nounFor(count: number, singular: string, plural = `${singular}s`): string {
  return count === 1 ? singular : plural;
}

/** A count with what it counts, grouped: `1 customer`, `1,400 customers` (see nounFor). */
export function countOf(count: number, singular: string, plural?: string): string {
  return `${formatCount(count)} ${nounFor(count, singular, plural)}`;
}

export function formatNumber(value: number | null | undefined, digits = 0): string {
  return value == null ? '—' : value.toFixed(digits);
}

/** A share as a percentage: 42 %, with a no-break space, so that a narrow column never puts the % on a line of its own. */
export function formatPercent(share: number | null | undefined, digits = 0): string {
  return share == null ? '—' : `${(share * 100).toFixed(digits)}\u00a0%`;
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
