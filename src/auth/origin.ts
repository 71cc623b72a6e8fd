// Which browser pages may talk to the API. Browsers send an Origin header with every WebSocket
// upgrade and every cross-origin request, and let any page open a WebSocket to any host: without
// this check a page on any site could drive a local or keyed session (cross-site WebSocket
// hijacking). Accepted: no Origin (not a browser), the server's own origin (the playground), and
// the origins listed in CORS_ORIGINS, which also get CORS headers on HTTP.
import type http from 'node:http';

export type OriginVerdict = 'none' | 'same-origin' | 'allowed' | 'refused';

export function checkOrigin(request: http.IncomingMessage, allowed: readonly string[]): OriginVerdict {
  const origin = request.headers.origin;
  if (origin === undefined) return 'none';
  if (allowed.includes(origin)) return 'allowed';
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    return 'refused';
  }
  // The Host the browser connected to is the page's own host: same origin (the scheme is whatever
  // TLS terminator sits in front; the host and port are what a foreign page cannot fake).
  return host !== '' && host === request.headers.host ? 'same-origin' : 'refused';
}

/**
 * Sets an allowed origin's CORS headers on an answer, whatever its route and status: a page that
 * cannot read a 401 cannot ask for a key again, nor one that cannot read a 503 when to retry. Only
 * the routes that take a key refuse the other origins (see AccessControl.admitHttp). With origins
 * listed, every answer varies on Origin, the answers without CORS headers too (no Origin, the
 * server's own): a shared cache would otherwise keep a same-origin load of a year-long asset and
 * hand it, without its CORS header, to a listed origin, whose load fails until it expires.
 */
export function setCorsHeaders(request: http.IncomingMessage, response: http.ServerResponse, allowed: readonly string[]): void {
  if (allowed.length > 0) response.setHeader('vary', 'Origin');
  for (const [name, value] of Object.entries(corsHeaders(request, checkOrigin(request, allowed)))) response.setHeader(name, value);
}

/** CORS response headers for an allowed cross-origin request (none for the others). */
export function corsHeaders(request: http.IncomingMessage, verdict: OriginVerdict): Record<string, string> {
  if (verdict !== 'allowed') return {};
  return {
    'access-control-allow-origin': request.headers.origin as string,
    vary: 'Origin',
    // What a browser client needs to read: the id to report, when to retry, how to authenticate.
    'access-control-expose-headers': 'x-request-id, retry-after, www-authenticate',
  };
}

/** A header name (an HTTP token): what a preflight's list of request headers may hold. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** The headers every client of the API sends beyond the CORS-safelisted ones. */
const API_REQUEST_HEADERS = ['authorization', 'content-type', 'apollo-require-preflight', 'x-apollo-operation-name'];

/**
 * The answer to a CORS preflight from an allowed origin, for a path answering `methods`. The
 * headers the page asks to send are allowed as well as the API's own: browser clients add their
 * own (Apollo Client's `apollographql-client-name`, the trace headers of Sentry and OpenTelemetry),
 * and a preflight refusing one fails the whole request. The origin is trusted by configuration and
 * the key is still checked; what varies the answer is named in `vary`, for caches.
 */
export function preflightHeaders(request: http.IncomingMessage, methods: string): Record<string, string> {
  const requested = (request.headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => HEADER_NAME.test(name));
  return {
    ...corsHeaders(request, 'allowed'),
    vary: 'Origin, Access-Control-Request-Headers',
    'access-control-allow-methods': methods,
    'access-control-allow-headers': [...new Set([...API_REQUEST_HEADERS, ...requested])].join(', '),
    'access-control-max-age': '600',
  };
}
