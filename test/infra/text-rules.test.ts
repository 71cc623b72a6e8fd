// What a label may hold and when it counts as blank (src/infra/text-rules.ts).
import { showsNothing } from '../../src/infra/text-rules';

describe('a label that shows nothing', () => {
  it.each([
    ['nothing', ''],
    ['white space', ' \t\u3000'],
    ['zero-width characters', '\u200b\u200d\ufeff'],
    ['Hangul fillers', '\u115f\u1160\u3164\uffa0'],
    ['a braille blank', '\u2800'],
    ['a lone combining accent', '\u0301'],
    ['combining marks and format characters only', '\u0308\u200b\u093e\u20dd'],
  ])('is %s', (_label, value) => expect(showsNothing(value)).toBe(true));

  it.each([
    ['a letter with its accent', 'e\u0301'],
    ['an accent before a letter', '\u0301x'],
    ['a Devanagari syllable with its vowel sign', '\u0915\u093e'],
    ['a braille letter', '\u2801'],
    ['an emoji', '👩‍💻'],
    ['a dot', '.'],
  ])('is not %s', (_label, value) => expect(showsNothing(value)).toBe(false));
});
