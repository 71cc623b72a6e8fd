// What the dashboard says to screen readers of its own accord: live tier changes, in a polite status
// region of their own rather than through the lists that show them. A scoring run moves hundreds of
// tiers in seconds: said one by one they would leave a screen reader nothing else to read, so they
// are gathered and said as one sentence, at most once every few seconds.
import { useEffect, useRef, useState } from 'preact/hooks';
import { countOf } from '../format';
import type { LiveTierChangeFragment } from '../gql/graphql';
import { tierName } from './badges';
import type { LiveUpdates } from '../live';

/** A burst of tier changes is gathered this long before it is said. */
const GATHER_MS = 1000;
/** At most one announcement of tier changes this often. */
const ANNOUNCE_INTERVAL_MS = 5000;

/** A sentence said, numbered so that the same words said again are a new announcement. */
export interface Said {
  text: string;
  sequence: number;
}

function useSay(): [Said | null, (text: string) => void] {
  const [said, setSaid] = useState<Said | null>(null);
  return [said, (text) => setSaid((before) => ({ text, sequence: (before?.sequence ?? 0) + 1 }))];
}

/**
 * A polite status region, on the page before its first sentence (screen readers miss what a region
 * added with its text says), visually hidden: what it says is on the page already. Each sentence is
 * a new node, so that one said before is said again.
 */
export function Announcement({ said, testId }: { said: Said | null; testId: string }) {
  return (
    <p role="status" class="visually-hidden" data-testid={testId}>
      {said && <span key={said.sequence}>{said.text}</span>}
    </p>
  );
}

/** The tier changes that arrived since the last announcement, in one sentence. */
function tierChangesInWords(count: number, first: LiveTierChangeFragment): string {
  if (count === 1) return `${first.customer.name}: ${tierName(first.fromTier)} to ${tierName(first.toTier)}`;
  return countOf(count, 'tier change');
}

/** The live tier changes (and those caught up after a reconnect), as the Overview says them. */
export function useTierChangesSaid(live: LiveUpdates): Said | null {
  const [said, say] = useSay();
  const sayNow = useRef(say);
  sayNow.current = say;
  useEffect(() => {
    let waiting: { count: number; first: LiveTierChangeFragment } | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastSaidAt = Number.NEGATIVE_INFINITY;
    const sayWaiting = () => {
      timer = undefined;
      if (waiting) sayNow.current(tierChangesInWords(waiting.count, waiting.first));
      waiting = null;
      lastSaidAt = Date.now();
    };
    const stop = live.onTierChanges((changes) => {
      if (changes.length === 0) return;
      waiting = { count: (waiting?.count ?? 0) + changes.length, first: waiting?.first ?? changes[0] };
      timer ??= setTimeout(sayWaiting, Math.max(GATHER_MS, lastSaidAt + ANNOUNCE_INTERVAL_MS - Date.now()));
    });
    return () => {
      stop();
      clearTimeout(timer);
    };
  }, [live]);
  return said;
}

/** The tier of the account a page shows, said when it changes while the page is open (a live refetch). */
export function useTierChangeSaid(tier: string | null | undefined): Said | null {
  const [said, say] = useSay();
  // undefined while the account is not loaded: its first tier is no change.
  const shown = useRef(tier);
  useEffect(() => {
    if (tier === undefined) return;
    if (shown.current !== undefined && shown.current !== tier) say(`Tier changed from ${tierName(shown.current)} to ${tierName(tier)}`);
    shown.current = tier;
  }, [tier]);
  return said;
}
