// A batch sorts its events in memory into the order PostgreSQL's "C" collation gives the same keys
// (UTF-8 bytes), the order every other writer inserts them in (KEY_ORDER): in another order, two
// writers of the same keys could each hold one the other waits for.
import { compareText } from '../../src/engagement/engagement.service';

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

it('orders keys as their UTF-8 bytes, characters past U+FFFF after U+E000–U+FFFF', () => {
  const keys = ['a', 'ab', '', 'é', '\u{E000}', '\u{FFFD}', '\u{FFFF}', '😀', '😀a', '\u{10000}', 'k-\u{E000}', 'k-😀', '\u{D7FF}', 'Z'];
  const sorted = [...keys].sort(compareText);
  expect(sorted).toEqual([...keys].sort(byBytes));
  expect(Math.sign(compareText('\u{E000}', '😀'))).toBe(-1);
  expect(Math.sign(compareText('😀', '\u{FFFF}'))).toBe(1);
});
