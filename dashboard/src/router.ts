// Routes live in the URL's hash (#/worklist, #/customers/<id>): the server serves one page at /,
// and every screen has a link that can be bookmarked or opened in a new tab. A link that names no
// screen (mistyped, truncated, its percent-encoding malformed) gets a not-found page, not a blank one.
// A list screen keeps its page and filters in the hash too (#/worklist?page=2&tier=critical), so
// that browser back, a reload and a shared link find the same list again; paging adds a history
// entry (back returns to the page before), a filter replaces it.
import { useEffect, useState } from 'preact/hooks';
import type { PagePosition } from './components/pager';
import { isDay } from './days';

export type Route =
  | { screen: 'overview' }
  | { screen: 'worklist' }
  | { screen: 'customers' }
  | { screen: 'customer'; customerId: string }
  | { screen: 'outreach' }
  | { screen: 'changes' }
  | { screen: 'model' }
  | { screen: 'not-found'; path: string };

const SCREENS: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['/', { screen: 'overview' }],
  ['/worklist', { screen: 'worklist' }],
  ['/customers', { screen: 'customers' }],
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

/** How a change of the list state goes into the browser's history. */
export interface ListStateChange {
  /**
   * A new history entry, so that back returns to the state before (paging with Next and Previous);
   * otherwise the change replaces the entry (a filter, a page corrected by the list itself). Default: false.
   */
  newEntry?: boolean;
}

/**
 * The list state in the hash of the screen shown (its page and filters, as text), and a function
 * that changes some of it. An empty value is left out of the link, so the defaults make no noise.
 * A filter replaces the history entry: back leaves the list, as before, but finds it as it was left;
 * a page turned by Next or Previous is a new entry, so that back returns to the page before.
 */
export function useListState(): [ListState, (changes: Record<string, string>, how?: ListStateChange) => void] {
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
  const change = (changes: Record<string, string>, { newEntry = false }: ListStateChange = {}) => {
    const params = new URLSearchParams(splitHash(location.hash).query);
    for (const [name, value] of Object.entries(changes)) {
      if (value === '') params.delete(name);
      else params.set(name, value);
    }
    const query = params.toString();
    const hash = `#${splitHash(location.hash).path}${query ? `?${query}` : ''}`;
    if (hash === location.hash) return;
    if (newEntry) history.pushState(null, '', hash);
    else history.replaceState(history.state, '', hash);
    listStateListeners.forEach((listener) => listener());
  };
  return [state, change];
}

/** The 0-based page a link's `page` names (numbered from 1 as shown); the first for anything that is no page number. */
function linkedPageIndex(text: string | undefined): number {
  const shown = Number(text);
  return text !== undefined && /^\d+$/.test(text) && Number.isSafeInteger(shown) && shown >= 1 ? shown - 1 : 0;
}

/**
 * The page of a list screen as its link keeps it: `page`, numbered from 1 as shown, absent for the
 * first. A link whose `page` is no page number (`abc`, `-1`, `1.5`, `0`) opens the first page and is
 * rewritten to say so, as is one that writes a page otherwise (`page=1`, `page=02`).
 */
export function useLinkedPage(state: ListState, change: (changes: Record<string, string>, how?: ListStateChange) => void): PagePosition {
  const page = linkedPageIndex(state.page);
  const written = page > 0 ? String(page + 1) : '';
  useEffect(() => {
    if ((state.page ?? '') !== written) change({ page: written });
  }, [state.page]);
  return {
    page,
    setPage: (next, how) => change({ page: next > 0 ? String(next + 1) : '' }, how),
  };
}

/** A day kept in a link (yyyy-mm-dd, as a date field gives it) if it is one; '' for anything else. */
export function linkedDay(text: string | undefined): string {
  return text !== undefined && isDay(text) ? text : '';
}
