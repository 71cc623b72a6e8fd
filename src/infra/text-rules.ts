// What text may hold, as plain predicates with no dependencies: the input checks (input.ts) and the
// scoring model's validation (scoring/model, which stays free of the service's modules) share them.

/** PostgreSQL text and jsonb cannot hold U+0000, and a NUL inside a statement breaks the wire protocol. */
export function hasNul(value: string): boolean {
  return value.includes('\u0000');
}

/** Half of a surrogate pair alone: not Unicode, refused by PostgreSQL's JSON and silently replaced in text. */
const LONE_SURROGATE = /\p{Cs}/u;

export function hasLoneSurrogate(value: string): boolean {
  return LONE_SURROGATE.test(value);
}

/**
 * Text from outside that is stored as it came rather than refused (a receiver's answer in a delivery's
 * error): its NULs and lone surrogates, which PostgreSQL would refuse, become U+FFFD.
 */
export function storableText(value: string): string {
  return value.replaceAll('\u0000', '\uFFFD').replace(/\p{Cs}/gu, '\uFFFD');
}

/** The first `max` UTF-16 units of `value`, one less when the cut would halve a surrogate pair (an emoji). */
export function cutText(value: string, max: number): string {
  if (value.length <= max) return value;
  return /[\uD800-\uDBFF]/.test(value[max - 1]) ? value.slice(0, max - 1) : value.slice(0, max);
}

/**
 * What no one-line label (an id, a name, an owner, an event type, a model's key) may hold: control
 * characters (tab, newline, escape, BEL…) and the line and paragraph separators, which a list, a CSV
 * cell or a terminal would show broken or act on, and the bidirectional overrides and isolates,
 * which reorder the text after them (a name that displays as another). Letters of right-to-left
 * scripts are letters, and welcome.
 */
const NOT_IN_A_LABEL = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

export function breaksALabel(value: string): boolean {
  return NOT_IN_A_LABEL.test(value);
}

/**
 * Shows nothing: white space, format characters (zero-width spaces and joiners, marks), the other
 * code points Unicode says to draw as nothing (Default_Ignorable_Code_Point: the Hangul fillers
 * U+115F, U+1160, U+3164 and U+FFA0, which are letters, variation selectors), the braille blank
 * U+2800 (a symbol that is an empty cell), and combining marks, which with no letter to sit on mark
 * nothing (a lone accent). A letter with its marks shows, as any letter.
 */
const INVISIBLE = /^[\s\p{Cf}\p{M}\p{Default_Ignorable_Code_Point}\u2800]*$/u;

export function showsNothing(value: string): boolean {
  return INVISIBLE.test(value);
}

/**
 * What a terminal would act on rather than show: control characters (C0, DEL, C1: escape sequences
 * that retitle the window, clear the screen, recolour what follows), the line and paragraph
 * separators, and the marks, embeddings, overrides and isolates that reorder the text after them.
 */
const ACTED_ON_BY_A_TERMINAL = /[\p{Cc}\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/gu;

/**
 * `value` fit for an operator's terminal: each character a terminal would act on written as its JSON
 * escape (`\u001b`), so that text from outside (a refused line's customer id) shows as it is.
 */
export function terminalText(value: string): string {
  return value.replace(ACTED_ON_BY_A_TERMINAL, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
