// How many digits a currency's minor unit has, as ISO 4217 states it: an amount in minor units is
// shown as written on an invoice (JPY 1500, USD 15.00, BHD 1.500). Not the runtime's locale data
// (`Intl.NumberFormat`'s maximumFractionDigits), which is how amounts are usually *displayed*, and
// gives 0 for HUF, IDR, IQD and others whose minor unit ISO 4217 keeps.

// Imported by the dashboard too (dashboard/src/format.ts), so it imports nothing.

/** The currencies whose minor unit is not two digits (ISO 4217, list one); every other code has two. */
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

/** SQL: the minor-unit digits of the currency code in `column`. */
export function minorDigitsSql(column: string): string {
  const cases = Object.entries(MINOR_DIGITS_OTHER_THAN_TWO).map(([currency, digits]) => `when '${currency}' then ${digits}`);
  return `(case ${column} ${cases.join(' ')} else 2 end)`;
}
