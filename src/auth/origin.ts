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

/** The answer to a CORS preflight from an allowed origin. */
export function preflightHeaders(request: http.IncomingMessage): Record<string, string> {
  return {
    ...corsHeaders(request, 'allowed'),
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': 'authorization, content-type, apollo-require-preflight, x-apollo-operation-name',
    'access-control-max-age': '600',
  };
}
