// How the dashboard writes figures: money by one formatter (Intl.NumberFormat, grouped), payment
// amounts in their currency with its own minor unit (ISO 4217), by the same rule as the server's
// `detail` of a failed payment on the Changes screen, which is written the same way; ARR, which has
// no currency, grouped in whole units; counts grouped the same way, with what they count in the
// singular for one.
import {
  countOf,
  formatAmount,
  formatAxisDay,
  formatCents,
  formatCount,
  formatDate,
  formatPaymentDetail,
  formatPercent,
  nounFor,
} from '../../dashboard/src/format';
import { minorDigitsSql, MINOR_DIGITS_OTHER_THAN_TWO, minorUnitDigits } from '../../src/payments/minor-units';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';

// Intl separates a currency code from the number with a no-break space.
const NBSP = '\u00a0';

it("writes an amount in its currency, grouped, with its currency's own minor unit", () => {
  expect(formatAmount(1250000, 'USD')).toBe('$12,500.00');
  expect(formatAmount(120000, 'EUR')).toBe('€1,200.00');
  expect(formatAmount(150000, 'JPY')).toBe('¥150,000');
  expect(formatAmount(150000, 'BHD')).toBe(`BHD${NBSP}150.000`);
  expect(formatAmount(12345, 'CLF')).toBe(`CLF${NBSP}1.2345`);
  // ISO 4217 keeps two digits for HUF and three for IQD, where the runtime's own data keeps none.
  expect(formatAmount(150000, 'HUF')).toBe(`HUF${NBSP}1,500.00`);
  expect(formatAmount(1500000, 'IQD')).toBe(`IQD${NBSP}1,500.000`);
});

it('writes small, negative, huge and odd amounts exactly, and an unknown code with two digits', () => {
  expect(formatAmount(5, 'EUR')).toBe('€0.05');
  expect(formatAmount(1005, 'KWD')).toBe(`KWD${NBSP}1.005`);
  expect(formatAmount(-250, 'USD')).toBe('-$2.50');
  expect(formatAmount(-50, 'USD')).toBe('-$0.50');
  expect(formatAmount(0, 'JPY')).toBe('¥0');
  expect(formatAmount(Number.MAX_SAFE_INTEGER, 'USD')).toBe('$90,071,992,547,409.91');
  expect(formatAmount(100, 'XYZ')).toBe(`XYZ${NBSP}1.00`);
  expect(formatAmount(100, 'toString')).toBe('1.00 toString');
});

it('writes ARR, which has no currency, in whole units with the same grouping', () => {
  expect(formatCents(15_000_000)).toBe('150,000');
  expect(formatCents(12_345_678_950)).toBe('123,456,790');
  expect(formatCents(0)).toBe('0');
  expect(formatCents(null)).toBe('—');
});

it('writes counts grouped as ARR is, and what they count in the singular for one', () => {
  expect([0, 1, 2, 1400, 11_875_900].map(formatCount)).toEqual(['0', '1', '2', '1,400', '11,875,900']);
  expect(formatCount(null)).toBe('—');
  expect([0, 1, 2, 1400].map((count) => countOf(count, 'customer'))).toEqual([
    '0 customers',
    '1 customer',
    '2 customers',
    '1,400 customers',
  ]);
  expect([1, 3].map((count) => countOf(count, 'customer matches', 'customers match'))).toEqual(['1 customer matches', '3 customers match']);
  expect([1, 7].map((count) => nounFor(count, 'event'))).toEqual(['event', 'events']);
});

it('keeps a percentage on one line: a no-break space before its sign, so that a narrow column never wraps 100 % as 10 / 0 %', () => {
  expect(formatPercent(1)).toBe(`100${NBSP}%`);
  expect(formatPercent(0.1234, 1)).toBe(`12.3${NBSP}%`);
  expect(formatPercent(null)).toBe('—');
});

it("writes the score chart's axis days as the rest of the dashboard does (6 Dec 2026), not US-style 12/6", () => {
  const noon = Date.UTC(2026, 11, 6, 12);
  expect([noon / 1000, (noon + 86_400_000) / 1000].map(formatAxisDay)).toEqual(['6 Dec 2026', '7 Dec 2026']);
  expect(formatAxisDay(noon / 1000)).toBe(formatDate(new Date(noon).toISOString()));
});

describe("against the server's rule", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('dashboard_format');
  });
  afterAll(() => database?.drop());

  it("gives every currency the same minor-unit digits in SQL (the Changes detail) as in the dashboard's code", async () => {
    const codes = [...new Set([...Intl.supportedValuesOf('currency'), ...Object.keys(MINOR_DIGITS_OTHER_THAN_TWO), 'XYZ'])];
    const rows = await sql<{ currency: string; digits: number }>(
      database,
      `select c.currency, ${minorDigitsSql('c.currency')} as digits from unnest($1::text[]) as c(currency)`,
      [codes],
    );
    const server = Object.fromEntries(rows.map((row) => [row.currency, Number(row.digits)]));
    expect(Object.fromEntries(codes.map((code) => [code, minorUnitDigits(code)]))).toEqual(server);
  });

  it("writes a failed payment's detail on the Changes screen (the server's words) as the customer page writes the payment", async () => {
    const payments: Array<[number, string]> = [
      [1250000, 'USD'],
      [5, 'EUR'],
      [150000, 'JPY'],
      [150000, 'BHD'],
      [150000, 'HUF'],
      [12345, 'CLF'],
      [Number.MAX_SAFE_INTEGER, 'EUR'],
    ];
    // The expression of the Changes feed's failed payments (src/changes/change.service.ts).
    const rows = await sql<{ detail: string }>(
      database,
      `select round(p.amount_cents / power(10::numeric, ${minorDigitsSql('p.currency')}), ${minorDigitsSql('p.currency')})::text || ' ' || p.currency as detail
       from unnest($1::bigint[], $2::text[]) with ordinality as p(amount_cents, currency, n) order by n`,
      [payments.map(([minorUnits]) => minorUnits), payments.map(([, currency]) => currency)],
    );
    expect(rows.map((row) => formatPaymentDetail(row.detail))).toEqual(
      payments.map(([minorUnits, currency]) => formatAmount(minorUnits, currency)),
    );
    // Any other detail (a ticket's subject, an NPS score) as it came.
    expect(formatPaymentDetail('URGENT: export fails 12.50 USD twice')).toBe('URGENT: export fails 12.50 USD twice');
    expect(formatPaymentDetail('3')).toBe('3');
  });
});
