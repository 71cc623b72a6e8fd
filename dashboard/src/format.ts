// How figures are written on screen (one place, so every screen agrees with the others).
// ARR has no currency in the graph: whole units with grouping, no symbol.
const money = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
const date = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium' });

/** ARR and other amounts are stored in cents. */
export function formatCents(cents: number | null | undefined): string {
  return cents == null ? '—' : money.format(Math.round(cents / 100));
}

/**
 * The currencies whose minor unit is not two digits, as ISO 4217 states it; every other code has two.
 * The server writes the Changes screen's amounts with the same table (src/payments/minor-units.ts,
 * not exported to the dashboard; a test holds the two equal). Not Intl.NumberFormat's digits: the
 * runtime's locale data gives 0 for HUF, IDR, IQD and others whose minor unit ISO 4217 keeps.
 */
export const MINOR_DIGITS_OTHER_THAN_TWO: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/** How many digits `currency`'s minor unit has (two for a code the table does not name). */
export function minorUnitDigits(currency: string): number {
  return Object.hasOwn(MINOR_DIGITS_OTHER_THAN_TWO, currency) ? MINOR_DIGITS_OTHER_THAN_TWO[currency] : 2;
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

/** A time axis's ticks (seconds since the epoch, as uPlot gives them) as the dates the rest of the dashboard writes. */
export function formatAxisDates(ticks: number[]): string[] {
  return ticks.map((seconds) => date.format(new Date(seconds * 1000)));
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
