// The one-click unsubscribe endpoint (RFC 8058) behind the link of a customer-facing email. No API
// key: the link's signature is what lets it opt its one account out. A POST (what a mailbox's
// unsubscribe button sends, body `List-Unsubscribe=One-Click`) opts out, and the audit log says so;
// a GET (a person following the link, or a scanner that opens every link in a message) only shows a
// button that POSTs, so that opening a message never unsubscribes anyone. As the API does, it refuses
// a request carrying another site's Origin, and no other page may frame it.
import type http from 'node:http';
import type { AppServices } from '../context';
import { recordAudit } from '../auth/audit-log.service';
import { checkOrigin } from '../auth/origin';
import { customerIdByKey, optOutIfNotAlready } from '../customers/customer.service';
import { NotFoundError } from '../infra/errors';
import { escapeHtml } from '../infra/html';
import type { Db } from '../infra/sql';
import { UNSUBSCRIBE_PATH, UnsubscribeTarget, verifiedTarget } from './unsubscribe-link';

/** The audit log's actor for an opt-out made by a link. */
export const UNSUBSCRIBE_ACTOR = 'unsubscribe-link';

/**
 * The page runs nothing and loads nothing; it posts its form to itself, and no other page may frame
 * it (a framed button could be clicked under a decoy). `same-origin`, not `no-referrer`: no other
 * site learns the link, and the form's POST carries the page's own Origin, which a browser sends as
 * `null` under `no-referrer` and the check below would refuse.
 */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'content-security-policy': "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
};

function answer(res: http.ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...PAGE_HEADERS, ...headers });
  res.end(`<!doctype html><meta charset="utf-8"><title>Unsubscribe</title>${html}`);
}

/** The account a signed link names: its id, or the one account whose id has the link's key. */
function linkedCustomerId(db: Db, target: UnsubscribeTarget): Promise<string | null> {
  return 'customerId' in target ? Promise.resolve(target.customerId) : customerIdByKey(db, target.customerKey);
}

/**
 * Whether a request carrying an Origin comes from another site's page. A mailbox's one-click POST
 * (RFC 8058) is sent by the provider's servers, with no Origin; the page's own button sends the
 * origin the page was served from: this server's Host, or the public address the links name
 * (UNSUBSCRIBE_BASE_URL), when a reverse proxy in front rewrites the Host.
 */
function foreignOrigin(services: AppServices, req: http.IncomingMessage): boolean {
  const links = services.config.unsubscribeLinks;
  const allowed = links ? [...services.config.corsOrigins, new URL(links.baseUrl).origin] : services.config.corsOrigins;
  return checkOrigin(req, allowed) === 'refused';
}

/**
 * Answers `/unsubscribe/<token>`; its body (the one-click form field) is not needed and not read.
 * `clientAddress` is the client's as the audit log names it (behind TRUST_PROXY, the one forwarded).
 */
export async function serveUnsubscribe(
  services: AppServices,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
  clientAddress: string | null,
): Promise<void> {
  req.resume();
  if (foreignOrigin(services, req)) return answer(res, 403, '<p>This page cannot be used from another site.</p>');
  const links = services.config.unsubscribeLinks;
  const target = links ? verifiedTarget(links.secret, path.slice(UNSUBSCRIBE_PATH.length)) : null;
  if (target === null) return answer(res, 404, '<p>This unsubscribe link is not valid.</p>');
  if (req.method === 'GET' || req.method === 'HEAD') {
    return answer(
      res,
      200,
      `<p>Stop these emails?</p><form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">` +
        `<button type="submit">Unsubscribe</button></form>`,
    );
  }
  if (req.method !== 'POST') return answer(res, 405, '<p>Use the unsubscribe button.</p>', { allow: 'GET, HEAD, POST' });
  const db = services.orm.em.fork({ clear: true }) as Db;
  const customerId = await linkedCustomerId(db, target);
  if (customerId === null) return answer(res, 404, '<p>This unsubscribe link is not valid.</p>');
  let changed: boolean;
  let name: string;
  try {
    ({ changed, name } = await optOutIfNotAlready(db, customerId));
  } catch (error) {
    if (error instanceof NotFoundError) return answer(res, 404, '<p>This unsubscribe link is not valid.</p>');
    throw error;
  }
  // The same link POSTed again (a mailbox retrying, a second click, anyone holding it) answers the
  // same, and adds nothing to the audit log: only the change is an event.
  if (changed) {
    await recordAudit(db, {
      actor: UNSUBSCRIBE_ACTOR,
      action: 'customer.optOut',
      target: customerId,
      details: { optedOut: true },
      clientAddress,
    });
    services.logger.info({ customerId }, 'customer opted out by an unsubscribe link');
  }
  // The name the customer knows itself by; the id is an internal key.
  answer(res, 200, `<p>You are unsubscribed: ${escapeHtml(name)} will get no more of these emails.</p>`);
}
