// Offline GraphQL IDE: serves Ruru (a GraphiQL distribution) to browsers that open /graphql, with
// every asset served by this process from the `ruru` package's static/ folder — no CDN, so the
// playground works air-gapped and leaks no traffic to third parties.
import { readFileSync, statSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { type RuruClientConfig, ruruHTML } from 'ruru/server';
import { escapeHtml } from './html';
import { allowOnlyGetAndHead, IMMUTABLE_CACHE, SAFE_FILE_NAME, sendRefusal, sendStaticFile, STATIC_CONTENT_TYPES } from './static-files';

/** URL path under which Ruru's static assets are served (must end with a slash). */
export const PLAYGROUND_STATIC_PREFIX = '/graphql/ruru-static/';

export interface PlaygroundHtmlOptions {
  /** Path or absolute http(s) URL of the GraphQL endpoint, e.g. `/graphql`. */
  endpoint: string;
  /**
   * Path (e.g. `/graphql`) or absolute ws(s):// or http(s):// URL of the graphql-ws endpoint.
   * Default: `endpoint`. A path is turned into `ws(s)://<location.host><path>` by Ruru in the
   * browser, so the page works whatever host, port or TLS terminator it was opened through.
   */
  subscriptionEndpoint?: string;
  /** Browser tab title. Default `healthgraph · GraphQL playground`. */
  title?: string;
}

/** Ruru's assets: the package's static/ folder and its version (used to version asset URLs). */
interface RuruAssets {
  dir: string;
  version: string;
}

let ruruAssets: RuruAssets | undefined;

/**
 * Locates ruru's static/ folder from the exported `ruru/server` entry (dist/server.js), since the
 * package's `exports` expose neither package.json nor static/. Resolved once, lazily.
 */
function getRuruAssets(): RuruAssets {
  if (ruruAssets) return ruruAssets;
  const packageDir = path.resolve(path.dirname(require.resolve('ruru/server')), '..');
  const dir = path.join(packageDir, 'static');
  if (!statSync(path.join(dir, 'ruru.js'), { throwIfNoEntry: false })?.isFile()) {
    throw new Error(`ruru static assets not found in ${dir}`);
  }
  // Read with fs rather than require(): package.json is not in the package's `exports`.
  const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  ruruAssets = { dir, version };
  return ruruAssets;
}

/**
 * Asset URLs carry ruru's version (`/graphql/ruru-static/v2.0.2/ruru.js`): Ruru's chunk files are
 * named by id, not by content hash, so this is what makes them safe to cache as immutable — an
 * upgrade changes every URL instead of mixing cached old chunks with new ones.
 */
/** Ruru's client configuration: only the debug tools are set (none). */
const HIDDEN_DEBUG_TOOLS: Partial<RuruClientConfig> = { debugTools: [] };

function versionedStaticPath(): string {
  return `${PLAYGROUND_STATIC_PREFIX}v${getRuruAssets().version}/`;
}

/** Full HTML page of the playground. Cheap to render; callers may cache it per options. */
export function renderPlaygroundHtml(options: PlaygroundHtmlOptions): string {
  const title = options.title ?? 'healthgraph · GraphQL playground';
  return ruruHTML({
    // A leading-slash staticPath also makes Ruru load its Monaco workers same-origin.
    staticPath: versionedStaticPath(),
    endpoint: options.endpoint,
    subscriptionEndpoint: options.subscriptionEndpoint ?? options.endpoint,
    // "explain"/"plan" are Grafast (PostGraphile) tools; this server is Apollo, so hide them. The cast:
    // ruru's client-config type is derived from GraphiQL/React prop types that resolve incompletely
    // without React's types installed, making every optional prop look required.
    clientConfig: HIDDEN_DEBUG_TOOLS as RuruClientConfig,
    htmlParts: {
      // No icon to fetch: a browser would ask for /favicon.ico, a 404 in its console.
      titleTag: `<title>${escapeHtml(title)}</title><link rel="icon" href="data:," />`,
      // After Ruru's configuration, before its own scripts, which pick up the patched fetch and WebSocket.
      headerScripts: (original) => API_KEY_SCRIPT + URL_QUERY_SCRIPT + original,
      bodyContent: (original) => original + API_KEY_FIELD,
    },
  });
}

/** Where the playground keeps the API key a user entered (this browser, this origin). */
const API_KEY_STORAGE = 'healthgraph:apiKey';

/**
 * The playground's API key field. Once keys exist, every request needs one: the key entered here is
 * added as `Authorization: Bearer <key>` to the playground's requests to the endpoint, and as
 * `authorization` to the graphql-ws `connection_init` payload of its subscriptions (Ruru's socket
 * sends the headers of its editor there too, but only the ones typed into that tab). Without a key
 * nothing is added: a client on this machine is admin while no key exists at all.
 */
const API_KEY_SCRIPT = `<script>
(() => {
  const key = () => localStorage.getItem(${JSON.stringify(API_KEY_STORAGE)}) || '';
  const nativeFetch = window.fetch.bind(window);
  window.fetch = (input, init = {}) => {
    const url = new URL(typeof input === 'string' ? input : input.url, location.href);
    const headers = new Headers(init.headers || (typeof input === 'string' ? undefined : input.headers));
    if (key() && url.origin === location.origin && !headers.has('authorization')) headers.set('authorization', 'Bearer ' + key());
    return nativeFetch(input, { ...init, headers });
  };
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    send(data) {
      if (key() && typeof data === 'string' && data.includes('connection_init')) {
        const message = JSON.parse(data);
        if (message.type === 'connection_init') {
          message.payload = { authorization: 'Bearer ' + key(), ...(message.payload || {}) };
          data = JSON.stringify(message);
        }
      }
      super.send(data);
    }
  };
})();
</script>`;

/**
 * A link to `/graphql?query=…&variables=…` opens the playground with that query and those variables
 * in its editor (a new tab when the editor holds others), as GraphiQL's own links do; nothing runs
 * until the user runs it. Read in the browser from its own URL, never written into the page by the
 * server: no text of the URL can end up in the page's markup. A link whose query holds a mutation is
 * not opened, and the page says why: the editor sends the stored API key, so a crafted link would
 * stage a change (deleting a destination, revoking a key) one click from an admin running it. Any
 * `mutation` standing as a GraphQL name counts, in a comment or a string too: a name has no escapes,
 * so no mutation operation can hide from the test, and a query that merely mentions one is pasted by
 * hand.
 */
const URL_QUERY_SCRIPT = `<script>
(() => {
  const params = new URLSearchParams(location.search);
  const query = params.get('query');
  if (query === null) return;
  if (/(^|[^_0-9A-Za-z])mutation(?![_0-9A-Za-z])/.test(query)) {
    document.addEventListener('DOMContentLoaded', () => {
      const notice = document.createElement('p');
      notice.id = 'hg-link-refused';
      notice.setAttribute('role', 'alert');
      notice.style.cssText = 'position:fixed;left:50%;top:12px;transform:translateX(-50%);z-index:10;margin:0;padding:8px 12px;border-radius:6px;background:#fff3cd;color:#533f03;font:13px system-ui,sans-serif';
      notice.textContent = "This link's operation was not opened: it holds a mutation, which would run with your API key. Paste it yourself if you mean to run it.";
      document.body.append(notice);
    });
    return;
  }
  RURU_CONFIG.initialQuery = query;
  if (params.has('variables')) RURU_CONFIG.initialVariables = params.get('variables');
})();
</script>`;

const API_KEY_FIELD = `<form id="hg-api-key" style="position:fixed;right:12px;bottom:12px;z-index:10;display:flex;gap:6px;align-items:center;padding:6px 8px;border-radius:6px;background:rgba(127,127,127,.18);font:12px system-ui,sans-serif">
  <label for="hg-api-key-input">API key</label>
  <input id="hg-api-key-input" type="password" autocomplete="off" spellcheck="false" placeholder="hg_…" style="width:16em;font:inherit">
  <button type="submit" style="font:inherit">Use</button>
  <button type="button" id="hg-api-key-forget" style="font:inherit">Forget</button>
</form>
<script>
(() => {
  const storage = ${JSON.stringify(API_KEY_STORAGE)};
  const input = document.getElementById('hg-api-key-input');
  input.value = localStorage.getItem(storage) || '';
  // A reload re-fetches the schema with the new key.
  document.getElementById('hg-api-key').addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value.trim()) localStorage.setItem(storage, input.value.trim());
    else localStorage.removeItem(storage);
    location.reload();
  });
  document.getElementById('hg-api-key-forget').addEventListener('click', () => {
    localStorage.removeItem(storage);
    location.reload();
  });
})();
</script>`;

// Unversioned URLs (hand-typed, or a page rendered before an upgrade) may change content in place.
const SHORT_CACHE = 'public, max-age=300';

/**
 * Serves a Ruru asset if `urlPath` (a request URL, query string allowed) is under
 * {@link PLAYGROUND_STATIC_PREFIX}; returns false without touching `res` otherwise. For paths
 * under the prefix it always answers (404 for unknown files, 405 for methods other than GET/HEAD).
 * Request headers (If-None-Match, Accept-Encoding) are read from `res.req`.
 */
export function servePlaygroundAsset(urlPath: string, res: http.ServerResponse): boolean {
  const pathname = urlPath.split(/[?#]/, 1)[0] ?? '';
  if (!pathname.startsWith(PLAYGROUND_STATIC_PREFIX)) return false;
  const req = res.req;
  if (!allowOnlyGetAndHead(req, res)) return true;
  let relative: string;
  try {
    relative = decodeURIComponent(pathname.slice(PLAYGROUND_STATIC_PREFIX.length));
  } catch {
    sendRefusal(res, 400, 'BAD_REQUEST', 'the file name is not valid percent-encoding');
    return true;
  }
  const { dir, version } = getRuruAssets();
  const versionSegment = `v${version}/`;
  const versioned = relative.startsWith(versionSegment);
  // Ruru's static/ folder is flat.
  const fileName = versioned ? relative.slice(versionSegment.length) : relative;
  const known = SAFE_FILE_NAME.test(fileName) && STATIC_CONTENT_TYPES[path.extname(fileName)] !== undefined;
  const sent =
    known &&
    sendStaticFile(req, res, {
      filePath: path.join(dir, fileName),
      cacheControl: versioned ? IMMUTABLE_CACHE : SHORT_CACHE,
      etagPrefix: version,
    });
  if (!sent) sendRefusal(res, 404, 'NOT_FOUND', 'not found');
  return true;
}

/**
 * True for a browser navigating to the endpoint: GET/HEAD whose Accept header prefers HTML over
 * JSON. A `query` in the URL does not change that: a browser opening a link to
 * `/graphql?query=…` gets the playground with that query in its editor (see URL_QUERY_SCRIPT), not
 * run; a navigation carries no key, so running it could only be refused. Does not look at the path;
 * route on that first.
 */
export function wantsPlayground(req: http.IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const accept = parseAccept(req.headers.accept);
  const html = accept.get('text/html') ?? 0;
  // Wildcards are ignored on purpose: `*/*` (curl, fetch defaults) must keep getting GraphQL answers.
  const json = Math.max(
    accept.get('application/json') ?? 0,
    accept.get('application/graphql-response+json') ?? 0,
    accept.get('application/graphql+json') ?? 0,
  );
  return html > 0 && html >= json;
}

/** Media type → q-value of an Accept header (no wildcard expansion). */
function parseAccept(header: string | undefined): Map<string, number> {
  const result = new Map<string, number>();
  for (const range of (header ?? '').split(',')) {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (!type) continue;
    let q = 1;
    for (const param of params) {
      if (param.startsWith('q=')) {
        const value = Number(param.slice(2));
        q = Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0;
      }
    }
    result.set(type, Math.max(q, result.get(type) ?? 0));
  }
  return result;
}
