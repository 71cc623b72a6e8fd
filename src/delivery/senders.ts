// The three ways out: a signed webhook POST (Standard Webhooks), a Slack incoming-webhook POST and
// an SMTP message (nodemailer). Each resolves when the other side accepted the message and throws
// otherwise; every attempt, on every channel, ends within the delivery timeout (the worker's lease
// on a message counts on it).
import http from 'node:http';
import https from 'node:https';
import nodemailer, { Transporter } from 'nodemailer';
import { Webhook } from 'standardwebhooks';
import { splitEmailSender } from '../infra/input';
import { checkUrlHost, guardedLookup } from './address-guard';
import { ENDPOINT_GONE_NOTE, EndpointGoneError, PermanentDeliveryError, RetryLaterError } from './delivery-errors';
import type { EmailContent } from './delivery-messages';

// node:http rather than fetch: a batch job sends hundreds of POSTs on the event loop that scoring
// runs on, and fetch (its streams and AbortSignal.timeout per request) costs far more CPU per
// request (bench/README.md). Kept-alive agents: a batch's sends to one receiver reuse connections.
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

export interface HttpSendOptions {
  /** The longest one send may take (connect, send, answer), ms. */
  timeoutMs: number;
  /** Whether the URL may reach a loopback, private or reserved address (see address-guard.ts). */
  allowPrivateNetworks: boolean;
}

/**
 * POSTs `body`; resolves on a 2xx answer (its body read to its end, or cut off at the time limit),
 * throws with the status and the answer's start otherwise (an EndpointGoneError for a 410). Redirects are not followed: a 3xx is a failure. A request that could not be written to a
 * kept-alive connection the receiver had reset while it sat idle is sent again at once, once, on
 * another connection, within the same time limit (see NotSentError); any other failure is the attempt's.
 */
async function post(url: string, body: string, headers: Record<string, string>, options: HttpSendOptions): Promise<void> {
  const target = new URL(url);
  if (!options.allowPrivateNetworks) checkUrlHost(target);
  const endsAt = Date.now() + options.timeoutMs;
  const send = () => postOnce(target, body, headers, Math.max(1, endsAt - Date.now()), options.allowPrivateNetworks);
  try {
    return await send();
  } catch (error) {
    if (!(error instanceof NotSentError) || Date.now() >= endsAt) throw error;
  }
  return send();
}

/**
 * Calls `onExpiry` once `ms` have passed, unless the returned function cancels it first. The call
 * waits one more turn of the event loop: timers run before the loop reads its sockets, so after a
 * stall (a busy process, a loaded machine) an answer that had arrived in time would be read only
 * after the attempt was given up, and a message the receiver accepted sent again. One turn lets
 * every answer already received be read first.
 */
function deadline(ms: number, onExpiry: () => void): () => void {
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    immediate = setImmediate(onExpiry);
  }, ms);
  return () => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  };
}

/**
 * The request failed as it was being written to a kept-alive connection (`request.reusedSocket`, as
 * Node's documentation advises for a connection closed while idle): the system refused the write, so
 * the receiver cannot have the whole request, and sending it again cannot repeat a message. A reset
 * once the request is written (a "socket hang up" before any answer) is a failure of the attempt,
 * retried after the backoff: the receiver may have read the message (and crashed on it), and
 * nothing on this side tells that from a connection closed while the request was on its way.
 * ('finish' is no such sign: Node emits it even when the write fails.)
 */
class NotSentError extends Error {}

function notSent(request: http.ClientRequest, error: NodeJS.ErrnoException): boolean {
  return request.reusedSocket && error.syscall === 'write' && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
}

function postOnce(
  target: URL,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  allowPrivateNetworks: boolean,
): Promise<void> {
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<void>((resolve, reject) => {
    let answered = false;
    // A 2xx status is the receiver's acceptance, whatever follows it: a body too slow to end within
    // the time limit, or cut off, must not turn a message received into a failure sent again.
    let accepted = false;
    let settled = false;
    // The outcome is decided once; the request may go on after it (its answer's body being read).
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve();
    };
    const request = client.request(
      target,
      {
        method: 'POST',
        agent: agents[target.protocol as keyof typeof agents],
        // The address is checked as it is resolved, so the checked address is the one connected to.
        ...(allowPrivateNetworks ? {} : { lookup: guardedLookup }),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'healthgraph-delivery',
          ...headers,
        },
      },
      (response) => {
        answered = true;
        const status = response.statusCode ?? 0;
        accepted = status >= 200 && status < 300;
        const retryAfter = RETRY_AFTER_STATUSES.has(status) ? retryAfterMs(response.headers['retry-after'], Date.now()) : null;
        const failure = (text: string) => {
          const message = `HTTP ${status}${text ? `: ${text.slice(0, ERROR_ANSWER_LENGTH)}` : ''}`;
          if (status === GONE) return new EndpointGoneError(`${message} (${ENDPOINT_GONE_NOTE})`);
          return retryAfter === null ? new Error(message) : new RetryLaterError(message, retryAfter);
        };
        // The answer is read to its end within the time limit, so that its connection is kept for
        // the next send; the start of a failure's explains it, and is all a failure waits for.
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (accepted || text.length >= ERROR_ANSWER_LENGTH) return;
          text += chunk;
          if (text.length >= ERROR_ANSWER_LENGTH) settle(failure(text));
        });
        response.on('end', () => {
          cancelDeadline();
          settle(accepted ? undefined : failure(text));
        });
        response.on('error', (error) => settle(accepted ? undefined : error));
      },
    );
    const cancelDeadline = deadline(timeoutMs, () => {
      const error = new Error(`no answer within ${timeoutMs} ms`);
      settle(accepted ? undefined : error);
      request.destroy(error);
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      cancelDeadline();
      settle(accepted ? undefined : !answered && notSent(request, error) ? new NotSentError(error.message, { cause: error }) : error);
    });
    request.end(body);
  });
}

/** How much of a failed answer's body its error quotes. */
const ERROR_ANSWER_LENGTH = 200;

/** The answer of an endpoint that no longer exists: retrying it for a day would only be refused again. */
const GONE = 410;

/** The refusals whose Retry-After is honoured: too many requests (RFC 6585), unavailable for now (RFC 9110). */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

/**
 * The wait a Retry-After header asks for, ms from `now`: delta-seconds, or an HTTP date (RFC 9110
 * 10.2.3; a date already past asks for none). Null when absent or unreadable: the backoff decides.
 */
export function retryAfterMs(header: string | undefined, now: number): number | null {
  const value = header?.trim() ?? '';
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // The three HTTP date forms begin with the day's name (`Sun, 06 Nov 1994 08:49:37 GMT`).
  const date = /^[A-Za-z]{3}/.test(value) ? Date.parse(value) : NaN;
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** POSTs `payload` signed with the destination's secret: `webhook-id` is `messageId` on every attempt. */
export async function sendWebhook(
  url: string,
  signingSecret: string,
  messageId: string,
  payload: unknown,
  options: HttpSendOptions,
): Promise<void> {
  const body = JSON.stringify(payload);
  const timestamp = new Date();
  const signature = new Webhook(signingSecret).sign(messageId, timestamp, body);
  await post(
    url,
    body,
    { 'webhook-id': messageId, 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)), 'webhook-signature': signature },
    options,
  );
}

export async function sendSlack(url: string, message: unknown, options: HttpSendOptions): Promise<void> {
  await post(url, JSON.stringify(message), {}, options);
}

/** The worker's SMTP transport and the longest one message may take on it (connect to acceptance), ms. */
export interface Mailer {
  transport: Transporter;
  timeoutMs: number;
}

/**
 * One SMTP transport per worker, from SMTP_URL: a connection per message (several at once from a
 * batch job). nodemailer's timeouts bound each step, not a message: a server that answers each step
 * just in time would hold one for several times `timeoutMs`. So sendEmail cuts the whole message off
 * at `timeoutMs`, and that limit alone decides once the message is on its way: nodemailer's idle
 * limit (`socketTimeout`) is left at its default, minutes, because its timer, like any, fires before
 * the loop reads the server's reply, and after a stall would give up a message the server had just
 * accepted (see `deadline`). Connecting and the greeting, before anything is sent, keep theirs.
 */
export function createMailer(smtpUrl: string | undefined, timeoutMs: number): Mailer | null {
  if (!smtpUrl) return null;
  return {
    transport: nodemailer.createTransport({
      url: smtpUrl,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
    }),
    timeoutMs,
  };
}

/**
 * Whether the SMTP server refused this recipient or this message with a permanent (5xx) reply
 * (RFC 5321: the same request will fail again): no such mailbox, content rejected. A refusal of
 * the connection, the login or the sender is the server's setup, which an operator may yet fix,
 * and is retried like a temporary (4xx) one.
 */
function refusedForGood(error: unknown): boolean {
  const { command, responseCode } = error as { command?: unknown; responseCode?: unknown };
  return (command === 'RCPT TO' || command === 'DATA') && typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
}

/**
 * The right-hand side of a Message-ID: the sender's domain, as RFC 5322 advises (a bare word such as
 * `healthgraph`, no domain at all, counts against a message in some spam filters). `from` as stored
 * (see checkEmailSender), a display name and all.
 */
export function messageIdDomain(from: string): string {
  const { address } = splitEmailSender(from);
  const domain = address.slice(address.lastIndexOf('@') + 1).trim();
  return /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(domain) ? domain.toLowerCase() : 'healthgraph.invalid';
}

/**
 * Sends one message from `from` as a destination stores it (an address, or a name and one: see
 * checkEmailSender), with a List-Unsubscribe header when `unsubscribe` names targets (and
 * List-Unsubscribe-Post for a one-click link); throws unless the server accepted it within the mailer's timeout. Past it, the
 * send is aborted and its connection closed, so no attempt outlasts the timeout, as no webhook or
 * Slack attempt does; an acceptance received by then is read first (see `deadline`). A server that
 * takes the whole message and answers only after the timeout has it, and will get it again.
 */
export async function sendEmail(
  mailer: Mailer | null,
  from: string,
  to: string,
  messageId: string,
  content: EmailContent,
  unsubscribe: readonly string[] = [],
): Promise<void> {
  if (!mailer) throw new Error('SMTP_URL is not set: email cannot be sent');
  const abort = new AbortController();
  const cancelDeadline = deadline(mailer.timeoutMs, () => abort.abort());
  try {
    const sender = splitEmailSender(from);
    await mailer.transport.sendMail({
      // Parts rather than the text: nodemailer quotes or encodes the name as the header needs.
      from: sender.name === null ? sender.address : { name: sender.name, address: sender.address },
      to,
      subject: content.subject,
      text: content.text,
      html: content.html,
      // The same id on every attempt lets a mailbox or a relay drop a duplicate.
      messageId: `<${messageId}@${messageIdDomain(from)}>`,
      // One header naming every target (nodemailer: an array inside the array); two would be two headers.
      ...(unsubscribe.length > 0 ? { list: { unsubscribe: [[...unsubscribe]] } } : {}),
      // RFC 8058: an https target takes a POST that unsubscribes at once, without a page to visit.
      ...(unsubscribe.some((target) => target.startsWith('https:'))
        ? { headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }
        : {}),
      signal: abort.signal,
    });
  } catch (error) {
    if (abort.signal.aborted) throw new Error(`not accepted within ${mailer.timeoutMs} ms`, { cause: error });
    const replyCode = (error as { responseCode?: unknown }).responseCode;
    if (typeof replyCode !== 'number') throw error;
    // The server's reply code first, as an HTTP failure has its status: what a key without the
    // admin scope reads of it (delivery-errors.ts), the server's own words being an admin's.
    const message = `SMTP ${replyCode}: ${(error as Error).message}`;
    throw refusedForGood(error) ? new PermanentDeliveryError(message, { cause: error }) : new Error(message, { cause: error });
  } finally {
    cancelDeadline();
  }
}
