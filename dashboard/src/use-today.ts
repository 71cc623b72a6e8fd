// Today, as a page left open follows it (days.ts says what a day is).
import { useEffect, useState } from 'preact/hooks';
import { today } from './days';

/** Milliseconds from now to the next local midnight. */
function untilTomorrow(): number {
  const midnight = new Date();
  midnight.setHours(24, 0, 0, 0);
  return midnight.getTime() - Date.now();
}

/**
 * Today's day, rendered again when the day changes: a page left open overnight moves the windows
 * counted from today (the NPS period, yesterday as the Changes' default) with it.
 */
export function useToday(): string {
  const [day, setDay] = useState(today);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waitForTomorrow = () => {
      // A second past midnight, and again should the timer fire early.
      timer = setTimeout(() => (today() === day ? waitForTomorrow() : setDay(today())), untilTomorrow() + 1000);
    };
    waitForTomorrow();
    return () => clearTimeout(timer);
  }, [day]);
  return day;
}
