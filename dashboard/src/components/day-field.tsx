// The day filters of the list screens (the Changes' Since, the outreach log's From and To): typed in
// a date field and kept in the link. What is typed is never written back into the field while it has
// the focus: a browser typing a date segment by segment (month, day, year) starts over whenever the
// page sets the field's value. A typed day reaches the list, and the link, once it is whole and
// valid, after a pause in the typing or as the field is left (or Enter pressed): a year is typed a
// digit at a time, and each digit makes a whole day of its own (0002, 0020, 0202, 2026). One that is
// not valid (before 1970, From after To) or not whole is said so in words as the field is left, and
// the list keeps the day it had. A day refused in the link (typed into it, or shared so) is said so
// the same way, and the link rewritten to the day the list keeps.
import { useEffect, useRef, useState } from 'preact/hooks';
import { DAY_RANGE, dayInRange, formatDay } from '../days';
import { linkedDay, type ListState, type ListStateChange } from '../router';

/** How long the typing pauses before a whole, valid day is applied. */
const TYPING_PAUSE_MS = 800;

/** The days of a screen's filters by name; '' for none (the field's default). */
export type Days<Name extends string> = Record<Name, string>;

/** A day refused, and why in words. */
export interface DayRefusal<Name extends string = string> {
  name: Name;
  day: string;
  reason: string;
}

const OUT_OF_RANGE = `The day is from ${formatDay(DAY_RANGE.min)} to ${formatDay(DAY_RANGE.max)}`;
const INCOMPLETE = 'The day is not complete: type its day, month and year';

/** The refusal of the first of `names` whose day is outside DAY_RANGE, if any. */
export function dayOutOfRange<Name extends string>(days: Days<Name>, names: readonly Name[]): DayRefusal<Name> | null {
  const name = names.find((each) => days[each] !== '' && !dayInRange(days[each]));
  return name === undefined ? null : { name, day: days[name], reason: OUT_OF_RANGE };
}

type ChangeLink = (changes: Record<string, string>, how?: ListStateChange) => void;

/**
 * The days `names` of the link, as a list screen filters by them. A link's text that is no day at
 * all is left out, as any junk filter is; days that `refuse` refuses (out of range, From after To)
 * are said so, the list keeps the last valid days (none, on a link opened afresh), and the link is
 * rewritten to name them. `apply` checks a typed day the same way: it returns why it is refused, or
 * null once the link has it (a new day starts again at the first page).
 */
export function useLinkedDays<Name extends string>(
  link: ListState,
  changeLink: ChangeLink,
  names: readonly Name[],
  refuse: (days: Days<Name>) => DayRefusal<Name> | null,
): { days: Days<Name>; refusal: DayRefusal<Name> | null; apply(name: Name, day: string): string | null } {
  const linked = Object.fromEntries(names.map((name) => [name, linkedDay(link[name])])) as Days<Name>;
  const refusal = refuse(linked);
  const lastValid = useRef(Object.fromEntries(names.map((name) => [name, ''])) as Days<Name>);
  if (refusal === null) lastValid.current = linked;
  useEffect(() => {
    if (refusal !== null) changeLink({ ...lastValid.current });
  }, [refusal?.name, refusal?.day]);
  return {
    days: lastValid.current,
    refusal,
    apply(name, day) {
      const refused = refuse({ ...lastValid.current, [name]: day });
      if (refused) return refused.reason;
      changeLink({ [name]: day, page: '' });
      return null;
    },
  };
}

export function DayField({
  id,
  label,
  applied,
  refusal,
  stillUses,
  onDay,
}: {
  id: string;
  label: string;
  /** The day the list uses, shown while the field does not have the focus. */
  applied: string;
  /** This field's day refused in the link, if it was. */
  refusal: DayRefusal | null;
  /** What the list keeps meanwhile, in words ("the list still uses yesterday"). */
  stillUses: string;
  /** Applies a typed day; returns why it is refused instead, or null. */
  onDay(day: string): string | null;
}) {
  const [focused, setFocused] = useState(false);
  const [error, setError] = useState<{ day: string; reason: string } | null>(refusal);
  const field = useRef<HTMLInputElement>(null);
  /** Whether a key was typed in the field since its day was last settled: a field only passed through settles nothing. */
  const edited = useRef(false);
  const pause = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // The timer's call runs after later renders: it reads the latest props.
  const latest = useRef({ applied, onDay });
  latest.current = { applied, onDay };
  // A day applied (typed, or from the link: back, a shared link) ends a refusal; one refused in the link starts one.
  useEffect(() => setError(null), [applied]);
  useEffect(() => {
    if (refusal) setError(refusal);
  }, [refusal?.day, refusal?.reason]);
  useEffect(() => () => clearTimeout(pause.current), []);

  /**
   * Applies the day in the field if it is whole and valid; `leaving` (the field left, Enter) says why
   * not otherwise. Read from the field itself: typing a part of an empty day changes no value, and
   * so sends no input event.
   */
  const settle = (leaving: boolean) => {
    clearTimeout(pause.current);
    const input = field.current;
    if (!input || !edited.current) return;
    // A day half typed reads as no day ('') with badInput.
    const day = input.value;
    const reason = input.validity.badInput ? INCOMPLETE : day === latest.current.applied ? null : latest.current.onDay(day);
    if (reason === null || leaving) edited.current = false;
    if (reason === null) setError(null);
    else if (leaving) setError({ day, reason });
  };
  const errorId = `${id}-error`;
  return (
    <>
      <label>
        {label}
        <input
          ref={field}
          id={id}
          type="date"
          min={DAY_RANGE.min}
          max={DAY_RANGE.max}
          // Not written while the field has the focus (undefined leaves the field as it is).
          value={focused ? undefined : (error?.day ?? applied)}
          aria-invalid={error !== null}
          aria-describedby={error !== null ? errorId : undefined}
          onFocus={() => setFocused(true)}
          onInput={() => {
            edited.current = true;
            clearTimeout(pause.current);
            pause.current = setTimeout(() => settle(false), TYPING_PAUSE_MS);
          }}
          onKeyDown={(event) => {
            if (event.key === 'Enter') settle(true);
            else if (event.key !== 'Tab' && event.key !== 'Shift') edited.current = true;
          }}
          onBlur={() => {
            settle(true);
            setFocused(false);
          }}
        />
      </label>
      {error !== null && (
        <p class="error field-error" role="alert" id={errorId}>
          {error.reason}; {stillUses}.
        </p>
      )}
    </>
  );
}
