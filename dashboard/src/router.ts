// Routes live in the URL's hash (#/worklist, #/customers/<id>): the server serves one page at /,
// and every screen has a link that can be bookmarked or opened in a new tab. A link that names no
// screen (mistyped, truncated, its percent-encoding malformed) gets a not-found page, not a blank one.
// A list screen keeps its page and filters in the hash too (#/worklist?page=2&tier=critical), so
// that browser back, a reload and a shared link find the same list again.
import { useEffect, useState } from 'preact/hooks';
import type { PagePosition } from './components/pager';

export type Route =
  | { screen: 'overview' }
  | { screen: 'worklist' }
  | { screen: 'customer'; customerId: string }
  | { screen: 'outreach' }
  | { screen: 'changes' }
  | { screen: 'model' }
  | { screen: 'not-found'; path: string };

const SCREENS: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['/', { screen: 'overview' }],
  ['/worklist', { screen: 'worklist' }],
  ['/outreach', { screen: 'outreach' }],
  ['/changes', { screen: 'changes' }],
  ['/model', { screen: 'model' }],
]);

/** A percent-encoded part of a link as text, or null when its encoding is malformed ("50%off"). */
function decodePart(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

/** The hash without its "#", split at the first "?" into the screen's path and its list state. */
function splitHash(hash: string): { path: string; query: string } {
  const full = hash.replace(/^#/, '') || '/';
  const mark = full.indexOf('?');
  return mark < 0 ? { path: full, query: '' } : { path: full.slice(0, mark) || '/', query: full.slice(mark + 1) };
}

export function parseRoute(hash: string): Route {
  const full = hash.replace(/^#/, '') || '/';
  // A customer id is percent-encoded in its link, so a "?" in it is part of the id, not a list state.
  const customer = /^\/customers\/(.+)$/.exec(full);
  const customerId = customer ? decodePart(customer[1]) : null;
  if (customerId !== null) return { screen: 'customer', customerId };
  const { path } = splitHash(hash);
  return (!customer && SCREENS.get(path)) || { screen: 'not-found', path: full };
}

export function customerHref(customerId: string): string {
  return `#/customers/${encodeURIComponent(customerId)}`;
}

let navigated = false;

/** Whether a link was followed since the page loaded: a screen reached that way takes the focus. */
export function navigatedSinceLoad(): boolean {
  return navigated;
}

/** The key form was sent and its button is gone: the screen it opens takes the focus as one reached by a link does. */
export function focusScreenOnceOpened(): void {
  navigated = true;
}

/** Told when a screen rewrites its own list state in the hash (no hashchange event comes of that). */
const listStateListeners = new Set<() => void>();

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => {
      navigated = true;
      setRoute(parseRoute(location.hash));
    };
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export type ListState = Readonly<Record<string, string>>;

function readListState(): ListState {
  return Object.fromEntries(new URLSearchParams(splitHash(location.hash).query));
}

/**
 * The list state in the hash of the screen shown (its page and filters, as text), and a function
 * that changes some of it. An empty value is left out of the link, so the defaults make no noise.
 * The change replaces the history entry rather than adding one: back leaves the list, as before,
 * but finds it as it was left.
 */
export function useListState(): [ListState, (changes: Record<string, string>) => void] {
  const [state, setState] = useState(readListState);
  useEffect(() => {
    const onChange = () => setState(readListState());
    addEventListener('hashchange', onChange);
    listStateListeners.add(onChange);
    return () => {
      removeEventListener('hashchange', onChange);
      listStateListeners.delete(onChange);
    };
  }, []);
  const change = (changes: Record<string, string>) => {
    const params = new URLSearchParams(splitHash(location.hash).query);
    for (const [name, value] of Object.entries(changes)) {
      if (value === '') params.delete(name);
      else params.set(name, value);
    }
    const query = params.toString();
    history.replaceState(history.state, '', `#${splitHash(location.hash).path}${query ? `?${query}` : ''}`);
    listStateListeners.forEach((listener) => listener());
  };
  return [state, change];
}

/** The page of a list screen as its link keeps it: `page`, numbered from 1 as shown, absent for the first. */
export function linkedPage(state: ListState, change: (changes: Record<string, string>) => void): PagePosition {
  const shown = Number(state.page);
  return {
    page: Number.isSafeInteger(shown) && shown >= 1 ? shown - 1 : 0,
    setPage: (page) => change({ page: page > 0 ? String(page + 1) : '' }),
  };
}

/** A day kept in a link (yyyy-mm-dd, as a date field gives it) if it is one; '' for anything else. */
export function linkedDay(text: string | undefined): string {
  return text !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00`)) ? text : '';
}
