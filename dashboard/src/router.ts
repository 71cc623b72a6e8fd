// Routes live in the URL's hash (#/worklist, #/customers/<id>): the server serves one page at /,
// and every screen has a link that can be bookmarked or opened in a new tab. A link that names no
// screen (mistyped, truncated, its percent-encoding malformed) gets a not-found page, not a blank one.
import { useEffect, useState } from 'preact/hooks';

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

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const customer = /^\/customers\/(.+)$/.exec(path);
  const customerId = customer ? decodePart(customer[1]) : null;
  if (customerId !== null) return { screen: 'customer', customerId };
  return (!customer && SCREENS.get(path)) || { screen: 'not-found', path };
}

export function customerHref(customerId: string): string {
  return `#/customers/${encodeURIComponent(customerId)}`;
}

let navigated = false;

/** Whether a link was followed since the page loaded: a screen reached that way takes the focus. */
export function navigatedSinceLoad(): boolean {
  return navigated;
}

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
