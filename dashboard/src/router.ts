// Routes live in the URL's hash (#/worklist, #/customers/<id>): the server serves one page at /,
// and every screen has a link that can be bookmarked or opened in a new tab.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { screen: 'overview' }
  | { screen: 'worklist' }
  | { screen: 'customer'; customerId: string }
  | { screen: 'outreach' }
  | { screen: 'changes' }
  | { screen: 'model' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const customer = /^\/customers\/(.+)$/.exec(path);
  if (customer) return { screen: 'customer', customerId: decodeURIComponent(customer[1]) };
  switch (path) {
    case '/worklist':
      return { screen: 'worklist' };
    case '/outreach':
      return { screen: 'outreach' };
    case '/changes':
      return { screen: 'changes' };
    case '/model':
      return { screen: 'model' };
    default:
      return { screen: 'overview' };
  }
}

export function customerHref(customerId: string): string {
  return `#/customers/${encodeURIComponent(customerId)}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
