// The three ways out: a signed webhook POST (Standard Webhooks), a Slack incoming-webhook POST and
// an SMTP message (nodemailer). Each resolves when the other side accepted the message and throws
// otherwise; every attempt is bounded by the delivery timeout. HTTP goes through Node's fetch, whose
// agent keeps connections alive, so a batch job's sends to one receiver reuse them.
import nodemailer, { Transporter } from 'nodemailer';
import { Webhook } from 'standardwebhooks';
import type { EmailContent } from './delivery-messages';

/** A failure retrying cannot fix (no address to send to): the delivery is DEAD at once. */
export class PermanentDeliveryError extends Error {}

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'healthgraph-delivery', ...headers },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  // The body is not needed: reading a little frees the connection; an error's start explains it.
  const text = (await response.text().catch(() => '')).slice(0, 200);
  if (response.status < 200 || response.status >= 300) throw new Error(`HTTP ${response.status}${text ? `: ${text}` : ''}`);
}

/** POSTs `payload` signed with the destination's secret: `webhook-id` is `messageId` on every attempt. */
export async function sendWebhook(
  url: string,
  signingSecret: string,
  messageId: string,
  payload: unknown,
  timeoutMs: number,
): Promise<void> {
  const body = JSON.stringify(payload);
  const timestamp = new Date();
  const signature = new Webhook(signingSecret).sign(messageId, timestamp, body);
  await post(
    url,
    body,
    { 'webhook-id': messageId, 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)), 'webhook-signature': signature },
    timeoutMs,
  );
}

export async function sendSlack(url: string, message: unknown, timeoutMs: number): Promise<void> {
  await post(url, JSON.stringify(message), {}, timeoutMs);
}

/** One SMTP transport per worker, from SMTP_URL: a connection per message (several at once from a batch job). */
export function createMailer(smtpUrl: string | undefined, timeoutMs: number): Transporter | null {
  if (!smtpUrl) return null;
  return nodemailer.createTransport({ url: smtpUrl, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs });
}

export async function sendEmail(
  mailer: Transporter | null,
  from: string,
  to: string,
  messageId: string,
  content: EmailContent,
): Promise<void> {
  if (!mailer) throw new Error('SMTP_URL is not set: email cannot be sent');
  await mailer.sendMail({
    from,
    to,
    subject: content.subject,
    text: content.text,
    html: content.html,
    // The same id on every attempt lets a mailbox or a relay drop a duplicate.
    messageId: `<${messageId}@healthgraph>`,
  });
}
