// DateTime output: PostgreSQL's UTC timestamp strings are rewritten without a Date, and must give
// exactly what going through a Date gives; anything else still goes through a Date and its checks.
import { DateTimeISOResolver } from 'graphql-scalars';
import { mulberry32 } from '../../src/demo/seeded-random';
import { GraphQLInt, Kind } from 'graphql';
import { DATE_TIME_FORMAT, DateTimeScalar, SafeIntScalar, serializeDateTime } from '../../src/infra/scalars';
import { parseEventLine } from '../../src/ingest/event-import';

const throughDate = (text: string): unknown => DateTimeISOResolver.serialize(new Date(text));

it('writes PostgreSQL UTC timestamps, from text columns and from JSON, exactly as a Date would', () => {
  const samples = [
    '2026-01-15 09:30:00+00',
    '2026-01-15T09:30:00+00:00',
    '2026-01-15 09:30:00.5+00',
    '2026-01-15T09:30:00.05+00:00',
    '2026-01-15 09:30:00.123456+00',
    '2026-05-13T08:00:00.654321+00:00',
    '2026-12-31 23:59:59.999999+00',
    '0099-01-15T09:30:00+00:00',
  ];
  for (const text of samples) expect([text, serializeDateTime(text)]).toEqual([text, throughDate(text)]);
  // And over a spread of instants with microseconds, in both of PostgreSQL's forms (seeded, so a
  // failure is reproducible).
  const random = mulberry32(20261130);
  for (let i = 0; i < 2000; i++) {
    const ms = Date.UTC(1990, 0, 1) + Math.floor(random() * 60 * 365 * 86_400_000);
    const micros = String(Math.floor(random() * 1_000_000))
      .padStart(6, '0')
      .replace(/0+$/, '');
    const [day, time] = new Date(ms).toISOString().slice(0, 19).split('T');
    const fraction = micros ? `.${micros}` : '';
    for (const text of [`${day} ${time}${fraction}+00`, `${day}T${time}${fraction}+00:00`])
      expect([text, serializeDateTime(text)]).toEqual([text, throughDate(text)]);
  }
});

it('takes Dates and other offsets through a Date, and rejects what is not a date-time', () => {
  expect(serializeDateTime(new Date('2026-01-15T09:30:00.123Z'))).toBe('2026-01-15T09:30:00.123Z');
  expect(serializeDateTime('2026-01-15T10:30:00+01:00')).toBe('2026-01-15T09:30:00.000Z');
  expect(() => serializeDateTime('infinity')).toThrow('DateTime cannot represent an invalid Date instance');
  expect(() => serializeDateTime(new Date(Number.NaN))).toThrow('DateTime cannot represent an invalid Date instance');
});

it('quotes a value SafeInt refuses as graphql-js quotes one for Int: a string "100" is not the number 100', () => {
  for (const value of ['100', '', 1.5, true, [1], { amount: 1 }]) {
    const intMessage = (() => {
      try {
        GraphQLInt.parseValue(value);
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(intMessage).toMatch(/^Int cannot represent non-integer value: /);
    if (typeof value !== 'object') expect(() => SafeIntScalar.parseValue(value)).toThrow(intMessage!.replace(/^Int/, 'SafeInt'));
  }
  expect(() => SafeIntScalar.parseValue('100')).toThrow('SafeInt cannot represent non-integer value: "100"');
  expect(() => SafeIntScalar.parseValue({ amount: 1 })).toThrow('SafeInt cannot represent non-integer value: {"amount":1}');
  expect(() => SafeIntScalar.parseValue(2 ** 53)).toThrow('SafeInt cannot represent unsafe integer value: 9007199254740992');
  expect(SafeIntScalar.parseValue(2 ** 53 - 1)).toBe(2 ** 53 - 1);
});

describe('a DateTime input', () => {
  it('is an RFC 3339 date-time: seconds and an offset, any fraction, T or t, Z or z', () => {
    for (const [text, iso] of [
      ['2026-11-24T09:30:00Z', '2026-11-24T09:30:00.000Z'],
      ['2026-11-24T11:30:00+02:00', '2026-11-24T09:30:00.000Z'],
      ['2026-11-24T06:00:00.25-03:30', '2026-11-24T09:30:00.250Z'],
      ['2026-11-24t09:30:00z', '2026-11-24T09:30:00.000Z'],
    ])
      expect([text, (DateTimeScalar.parseValue(text) as Date).toISOString()]).toEqual([text, iso]);
  });

  it('refuses the other ISO 8601 forms, saying seconds and an offset are required, with an example', () => {
    const refusal = `DateTime must be ${DATE_TIME_FORMAT}`;
    expect(refusal).toMatch(/seconds and an offset \(Z or one like \+02:00\): e\.g\. 2026-11-24T09:30:00Z/);
    for (const text of [
      '2026-11-24T09:30:00', // no offset
      '2026-11-24T09:30Z', // no seconds
      '2026-11-24T09:30:00+0100',
      '2026-11-24T09:30:00+01',
      '2026-11-24', // a date alone
      '2026-11-24 09:30:00Z', // a space for the T
      '2016-12-31T23:59:60Z', // a leap second
      '20261124T093000Z', // the basic format
    ]) {
      expect(() => DateTimeScalar.parseValue(text)).toThrow(refusal);
      expect(() => DateTimeScalar.parseLiteral({ kind: Kind.STRING, value: text }, {})).toThrow(refusal);
    }
    expect(() => DateTimeScalar.parseValue(12)).toThrow(refusal);
  });

  it('is refused in the same words by the bulk import', () => {
    const line = JSON.stringify({ customerId: 'cust_a', eventType: 'login', occurredAt: '2026-11-24T09:30:00' });
    expect(() => parseEventLine(line, new Date())).toThrow(`occurredAt must be ${DATE_TIME_FORMAT}`);
  });
});
