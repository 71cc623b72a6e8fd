// How the dashboard writes figures: payment amounts in their currency's own minor unit (ISO 4217),
// by the same rule as the server's `detail` of a failed payment on the Changes screen.
import { formatAmount, formatAxisDay, formatDate } from '../../dashboard/src/format';
import { minorDigitsSql, MINOR_DIGITS_OTHER_THAN_TWO, minorUnitDigits } from '../../src/payments/minor-units';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';

it("writes an amount in its currency's own minor unit, as the README's examples do", () => {
  expect(formatAmount(120000, 'USD')).toBe('1200.00 USD');
  expect(formatAmount(150000, 'JPY')).toBe('150000 JPY');
  expect(formatAmount(150000, 'BHD')).toBe('150.000 BHD');
  expect(formatAmount(12345, 'CLF')).toBe('1.2345 CLF');
});

it('writes small, negative and odd amounts exactly, and an unknown code with two digits', () => {
  expect(formatAmount(5, 'EUR')).toBe('0.05 EUR');
  expect(formatAmount(1005, 'KWD')).toBe('1.005 KWD');
  expect(formatAmount(-250, 'USD')).toBe('-2.50 USD');
  expect(formatAmount(0, 'JPY')).toBe('0 JPY');
  expect(formatAmount(Number.MAX_SAFE_INTEGER, 'USD')).toBe('90071992547409.91 USD');
  expect(() => formatAmount(100, 'XYZ')).not.toThrow();
  expect(formatAmount(100, 'XYZ')).toBe('1.00 XYZ');
  expect(formatAmount(100, 'toString')).toBe('1.00 toString');
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
});
