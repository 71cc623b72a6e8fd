import { decodeKeysetCursor, encodeCursor, orderTag, SortKey } from '../../src/infra/pagination';

const BY_TIME: SortKey[] = [
  { expression: 't.opened_at', type: 'timestamptz' },
  { expression: 't.id', type: 'bigint' },
];
const tag = orderTag(BY_TIME, 'desc');

/** The error `read` throws, as the API answers it: its code and the argument it names. */
function refusal(read: () => unknown): unknown {
  try {
    read();
  } catch (error) {
    const { code, extensions } = error as { code: string; extensions: { argument?: string } };
    return { code, argument: extensions.argument };
  }
  return 'accepted';
}
const refused = { code: 'BAD_USER_INPUT', argument: 'after' };

it('reads back the cursor it wrote for the same order', () => {
  const cursor = encodeCursor(tag, ['2026-12-02 10:48:29.762+00', '17']);
  expect(decodeKeysetCursor(cursor, BY_TIME, 'desc')).toEqual(['2026-12-02 10:48:29.762+00', '17']);
});

it('refuses a cursor of another order or direction, and values its sort keys could not have written', () => {
  const cursor = encodeCursor(tag, ['2026-12-02 10:48:29.762+00', '17']);
  expect(refusal(() => decodeKeysetCursor(cursor, BY_TIME, 'asc'))).toEqual(refused);
  expect(refusal(() => decodeKeysetCursor(cursor, [{ expression: 'e.occurred_at', type: 'timestamptz' }, BY_TIME[1]], 'desc'))).toEqual(
    refused,
  );
  for (const values of [
    ['yesterday', '1'],
    ['2026-12-02 10:48:29+00', 'x'],
    ['2026-12-02 10:48:29+00', '99999999999999999999'],
    ['2026-12-02 10:48:29+00\u0000', '1'],
    ['2026-12-02 10:48:29+00'],
  ]) {
    expect(refusal(() => decodeKeysetCursor(encodeCursor(tag, values), BY_TIME, 'desc'))).toEqual(refused);
  }
});

it('refuses values of the right shape that PostgreSQL would not read as their type, as `after` rather than as an internal error', () => {
  for (const values of [
    ['2026-12-02 10:48:29+99', '1'],
    ['2026-12-02 10:48:29+15:60', '1'],
    ['2026-13-02 10:48:29+00', '1'],
    ['2026-02-30 10:48:29+00', '1'],
    ['2026-12-02 24:00:00+00', '1'],
    ['0000-01-01 00:00:00+00', '1'],
    ['2026-12-02 10:48:29+00', '9999999999999999999'],
    ['2026-12-02 10:48:29+00', '-9223372036854775809'],
  ]) {
    expect(refusal(() => decodeKeysetCursor(encodeCursor(tag, values), BY_TIME, 'desc'))).toEqual(refused);
  }
  for (const values of [
    ['2024-02-29 23:59:59.999999-15:59', '9223372036854775807'],
    ['1970-01-01 00:00:00+05:30', '-9223372036854775808'],
  ]) {
    expect(decodeKeysetCursor(encodeCursor(tag, values), BY_TIME, 'desc')).toEqual(values);
  }
});
