// What a delivery says, by destination kind: the Standard Webhooks JSON payload, the Slack
// incoming-webhook message (blocks) and the email (subject, plain text, HTML) from the
// destination's templates. Pure: the worker loads the rows and sends what these return.
import { customerKey, idBeginning, isLongId, MAX_ID_BYTES_IN_HEADERS } from '../customers/customer-key';
import { escapeHtml } from '../infra/html';
import { splitEmailSender } from '../infra/input';
import { cutText } from '../infra/text-rules';
import { fillPlaceholders, PenaltyResult, placeholderNames, riskReasons, SignalResult } from '../scoring/model';
import { UnsubscribeLinks, unsubscribeUrl } from './unsubscribe-link';

/** One outreach action with what a message about it shows. */
export interface DeliveryItem {
  deliveryId: string;
  action: {
    id: string;
    playbook: string;
    action: string;
    audience: 'CUSTOMER' | 'TEAM';
    channel: string;
    trigger: string;
    fromTier: string | null;
    toTier: string | null;
    score: number | null;
    escalation: boolean;
    message: string | null;
    createdAt: string;
  };
  customer: { id: string; name: string; arrCents: number; csmOwner: string | null; contactEmail: string | null };
  /**
   * The score before the one that fired the playbook, as the action stored it when decided (its
   * message's "was"); null for a first score, and for one after a model change that scores otherwise.
   */
  previousScore: number | null;
  /** The signals and penalties of the customer's latest score. */
  signals: SignalResult[];
  penalties: PenaltyResult[];
  /** The directory entry of the CSM the action was routed to (`decidedCsmOwner`); null without one. */
  csm: { email: string | null; slackTarget: string | null } | null;
  /**
   * The account's CSM when the action was decided: the destination's filter matched it and a digest
   * is collected per this CSM, so it is who the message is for even if the account moved since.
   */
  decidedCsmOwner?: string | null;
}

export interface NegativeSignal {
  name: string;
  /** The signal's value, 0 (worst) … 1. */
  value: number;
  /** Score points the signal cost against a perfect value: effective weight × (1 − value) × 100. */
  pointsLost: number;
}

/**
 * The three signals that cost the score the most points, worst first (missing signals left out),
 * ranked as `HealthScore.reasons` ranks them.
 */
export function mostNegativeSignals(signals: readonly SignalResult[], count = 3): NegativeSignal[] {
  return riskReasons(signals, [], count).map((reason) => ({
    name: reason.name,
    value: reason.value as number,
    pointsLost: reason.pointsLost,
  }));
}

/** The red flags (penalties) applied to the latest score, costliest first. */
export function redFlags(penalties: readonly PenaltyResult[], count = 3): Array<{ name: string; pointsLost: number }> {
  return riskReasons([], penalties, count).map(({ name, pointsLost }) => ({ name, pointsLost }));
}

function dollars(arrCents: number): string {
  return `$${Math.round(arrCents / 100).toLocaleString('en-US')}`;
}

// ---- webhooks ----

/** The JSON body of a webhook delivery (documented in README "Delivering alerts"). */
export function webhookPayload(messageId: string, destination: { id: string; name: string }, items: readonly DeliveryItem[], now: Date) {
  return {
    type: items.length === 1 && items[0].deliveryId === messageId ? 'outreach.action' : 'outreach.digest',
    timestamp: now.toISOString(),
    data: {
      id: messageId,
      destination: { id: destination.id, name: destination.name },
      actions: items.map((item) => ({
        deliveryId: item.deliveryId,
        ...item.action,
        previousScore: item.previousScore,
        customer: item.customer,
        mostNegativeSignals: mostNegativeSignals(item.signals),
        redFlags: redFlags(item.penalties),
      })),
    },
  };
}

// ---- Slack ----

/** Slack mrkdwn treats &, < and > as markup. */
function slackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A CSM's Slack target as a mention: user ids `<@U…>`, channel ids `<#C…>`, anything else as written. */
export function slackMention(target: string): string {
  if (/^[UW][A-Z0-9]{2,}$/.test(target)) return `<@${target}>`;
  if (/^C[A-Z0-9]{2,}$/.test(target)) return `<#${target}>`;
  return slackText(target);
}

/** Whether the message has no earlier score to show: none, or the same as this one ("score 43 (was 43)" tells nothing). */
function noPreviousScore(item: DeliveryItem): boolean {
  return item.previousScore === null || item.previousScore === item.action.score;
}

/**
 * The account's tier move as a message says it: `healthy → critical`, `critical` when it stayed, and
 * `first scored critical` without a tier before (a first score, or one after a score on too little
 * data to compare with), not `n/a → critical`.
 */
function tierChange(item: DeliveryItem): string {
  const { fromTier, toTier } = item.action;
  if (toTier === null) return 'unscored';
  if (fromTier === null) return `first scored ${toTier}`;
  return fromTier !== toTier ? `${fromTier} → ${toTier}` : toTier;
}

function slackItemBlocks(item: DeliveryItem): unknown[] {
  const signals = mostNegativeSignals(item.signals);
  const flags = redFlags(item.penalties);
  const csm = item.csm?.slackTarget
    ? slackMention(item.csm.slackTarget)
    : item.customer.csmOwner
      ? slackText(item.customer.csmOwner)
      : 'none';
  const score = item.action.score === null ? 'n/a' : `${item.action.score}${noPreviousScore(item) ? '' : ` (was ${item.previousScore})`}`;
  return [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*${slackText(item.customer.name)}* (${slackText(item.customer.id)}): ${slackText(tierChange(item))}${item.action.escalation ? ' · *escalation*' : ''}`,
      },
      fields: [
        { type: 'mrkdwn', text: `*Score*\n${score}` },
        { type: 'mrkdwn', text: `*ARR*\n${dollars(item.customer.arrCents)}` },
        { type: 'mrkdwn', text: `*Playbook*\n${slackText(item.action.playbook)} / ${slackText(item.action.action)}` },
        { type: 'mrkdwn', text: `*CSM*\n${csm}` },
      ],
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text:
            signals.length === 0
              ? 'No negative signal.'
              : `Most negative: ${signals.map((s) => `${slackText(s.name)} ${s.value} (−${s.pointsLost} pts)`).join(', ')}`,
        },
        ...(flags.length === 0
          ? []
          : [{ type: 'mrkdwn', text: `Red flags: ${flags.map((f) => `${slackText(f.name)} (−${f.pointsLost} pts)`).join(', ')}` }]),
      ],
    },
  ];
}

/** Slack allows 50 blocks per message (three per action, a header and a tail): a digest shows this many actions and counts the rest. */
const SLACK_ITEMS_PER_MESSAGE = 15;

/** The incoming-webhook body: a header, two blocks per action, and a plain-text fallback. */
export function slackMessage(items: readonly DeliveryItem[]) {
  const shown = items.slice(0, SLACK_ITEMS_PER_MESSAGE);
  const header =
    items.length === 1
      ? `${items[0].action.trigger.replace(/_/g, ' ').toLowerCase()}: ${items[0].customer.name}`
      : `${items.length} outreach actions`;
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: cutText(header, 150) } }];
  for (const item of shown) blocks.push(...slackItemBlocks(item), { type: 'divider' });
  blocks.pop();
  if (items.length > shown.length)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${items.length - shown.length} more in the outreach log.` }] });
  // The fallback is Slack markup too (notifications show it): escaped like the blocks, so a customer
  // name cannot ping a channel or disguise a link.
  const text = items
    .map(
      (item) =>
        `${slackText(item.customer.name)}: ${slackText(tierChange(item))}, score ${item.action.score ?? 'n/a'}, ARR ${dollars(item.customer.arrCents)}`,
    )
    .join('\n');
  return { text, blocks };
}

// ---- email ----

export interface EmailTemplates {
  subject: string | null;
  text: string | null;
  html: string | null;
}

/** Placeholders an email template may use. */
export const EMAIL_PLACEHOLDERS = [
  'customerName',
  'customerId',
  'message',
  'score',
  'previousScore',
  'tier',
  'previousTier',
  'tierChange',
  'playbook',
  'action',
  'trigger',
  'arr',
  'csmOwner',
  'signals',
  'redFlags',
  'unsubscribeUrl',
] as const;

type EmailValues = Record<(typeof EMAIL_PLACEHOLDERS)[number], string>;

/**
 * What a customer-facing email may show: its own name, the playbook's message written for it, and
 * how to unsubscribe. The rest (score, tiers, signals, red flags, playbook, ARR, CSM, the internal
 * id) is the team's view of the account.
 */
export const CUSTOMER_EMAIL_PLACEHOLDERS: ReadonlyArray<(typeof EMAIL_PLACEHOLDERS)[number]> = [
  'customerName',
  'message',
  'unsubscribeUrl',
];

/**
 * The template an email of `audience` is written from: the destination's own, else the built-in one.
 * One destination may send both team and customer emails from the same templates, so a customer-facing
 * email takes the destination's own only when it uses nothing but CUSTOMER_EMAIL_PLACEHOLDERS: a
 * subject such as `{{customerName}}: {{signals}}` is for the team, and the customer gets the built-in one.
 */
function templateFor(audience: 'CUSTOMER' | 'TEAM', own: string | null, builtIn: string): string {
  if (own === null) return builtIn;
  const internal = placeholderNames(own).some((name) => !(CUSTOMER_EMAIL_PLACEHOLDERS as readonly string[]).includes(name));
  return audience === 'CUSTOMER' && internal ? builtIn : own;
}

/**
 * The built-in subject of a customer's email by the default model's actions, so that two emails of
 * one scoring (a check-in and an offer) do not arrive under one subject; other actions get the
 * customer template's.
 */
const CUSTOMER_SUBJECTS: Readonly<Record<string, string>> = {
  check_in_email: 'Checking in, {{customerName}}',
  offer: 'An offer for {{customerName}}',
  success_resources: 'Tips and guides for {{customerName}}',
  referral_request: 'Would you share your story, {{customerName}}?',
  early_access_offer: 'Early access for {{customerName}}',
};

export const DEFAULT_EMAIL_TEMPLATES: Record<'CUSTOMER' | 'TEAM', { subject: string; text: string; html: string }> = {
  CUSTOMER: {
    subject: 'Checking in, {{customerName}}',
    text: '{{message}}\n\n--\nTo stop these emails: {{unsubscribeUrl}}\n',
    html: '<p>{{message}}</p><p style="font-size:small;color:#666"><a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
  },
  TEAM: {
    subject: '{{customerName}}: {{action}} ({{tierChange}})',
    text: '{{message}}\n\nAccount: {{customerName}} ({{customerId}})\nScore: {{score}} (was {{previousScore}})\nTier: {{tierChange}}\nARR: {{arr}}\nCSM: {{csmOwner}}\nMost negative signals: {{signals}}\nRed flags: {{redFlags}}\nPlaybook: {{playbook}} / {{action}} ({{trigger}})\n',
    html:
      '<p>{{message}}</p><table><tr><th align="left">Account</th><td>{{customerName}} ({{customerId}})</td></tr>' +
      '<tr><th align="left">Score</th><td>{{score}} (was {{previousScore}})</td></tr><tr><th align="left">Tier</th><td>{{tierChange}}</td></tr>' +
      '<tr><th align="left">ARR</th><td>{{arr}}</td></tr><tr><th align="left">CSM</th><td>{{csmOwner}}</td></tr>' +
      '<tr><th align="left">Most negative signals</th><td>{{signals}}</td></tr>' +
      '<tr><th align="left">Red flags</th><td>{{redFlags}}</td></tr>' +
      '<tr><th align="left">Playbook</th><td>{{playbook}} / {{action}} ({{trigger}})</td></tr></table>',
  },
};

function emailValues(item: DeliveryItem, unsubscribeUrl: string): EmailValues {
  return {
    unsubscribeUrl,
    customerName: item.customer.name,
    customerId: item.customer.id,
    message: item.action.message ?? '',
    score: item.action.score === null ? 'n/a' : String(item.action.score),
    previousScore: item.previousScore === null ? 'n/a' : String(item.previousScore),
    tier: item.action.toTier ?? 'n/a',
    previousTier: item.action.fromTier ?? 'n/a',
    tierChange: tierChange(item),
    playbook: item.action.playbook,
    action: item.action.action,
    trigger: item.action.trigger,
    arr: dollars(item.customer.arrCents),
    csmOwner: item.customer.csmOwner ?? 'n/a',
    signals:
      mostNegativeSignals(item.signals)
        .map((s) => `${s.name} ${s.value} (−${s.pointsLost} pts)`)
        .join(', ') || 'none',
    redFlags:
      redFlags(item.penalties)
        .map((f) => `${f.name} (−${f.pointsLost} pts)`)
        .join(', ') || 'none',
  };
}

/** Unknown `{{placeholders}}` in an admin's template, for a clear error when it is saved. */
export function unknownPlaceholders(template: string): string[] {
  return placeholderNames(template).filter((name) => !(EMAIL_PLACEHOLDERS as readonly string[]).includes(name));
}

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

/**
 * One action's email from the destination's templates (or the audience's defaults; see templateFor
 * for a customer's); `unsubscribe`
 * is what `{{unsubscribeUrl}}` shows (the first of unsubscribeTargets; empty in a team alert).
 * Without an earlier score to show, a part in parentheses holding `{{previousScore}}` is left out
 * ("Score: 43", not "Score: 43 (was n/a)").
 */
export function emailContent(item: DeliveryItem, templates: EmailTemplates, unsubscribe: readonly string[] = []): EmailContent {
  const { audience } = item.action;
  const builtIn = DEFAULT_EMAIL_TEMPLATES[audience];
  const defaults =
    audience === 'CUSTOMER' && Object.hasOwn(CUSTOMER_SUBJECTS, item.action.action)
      ? { ...builtIn, subject: CUSTOMER_SUBJECTS[item.action.action] }
      : builtIn;
  const values = emailValues(item, unsubscribe[0] ?? '');
  const absent = noPreviousScore(item) ? ['previousScore'] : [];
  return {
    // A header cannot carry a line break.
    subject: cutText(
      fillPlaceholders(templateFor(audience, templates.subject, defaults.subject), values, undefined, absent).replace(/[\r\n]+/g, ' '),
      998,
    ),
    text: fillPlaceholders(templateFor(audience, templates.text, defaults.text), values, undefined, absent),
    // Values are HTML-escaped in the HTML part only.
    html: fillPlaceholders(templateFor(audience, templates.html, defaults.html), values, escapeHtml, absent),
  };
}

/** A digest email: every action's own email, one after the other. */
export function digestEmailContent(items: readonly DeliveryItem[], templates: EmailTemplates): EmailContent {
  const parts = items.map((item) => emailContent(item, templates));
  // The CSM the digest was collected for, not whoever owns its first account now.
  const first = items[0];
  const owner = first?.decidedCsmOwner !== undefined ? first.decidedCsmOwner : first?.customer.csmOwner;
  return {
    subject: `${items.length} outreach action${items.length === 1 ? '' : 's'}${owner ? ` for ${owner}` : ''}`,
    text: parts.map((part) => `${part.subject}\n\n${part.text}`).join('\n\n----\n\n'),
    html: parts.map((part) => `<h3>${escapeHtml(part.subject)}</h3>${part.html}`).join('<hr>'),
  };
}

/**
 * The List-Unsubscribe targets (RFC 2369) of an action's email, for customer-facing ones only (a team
 * alert is internal), so that a mailbox offers the customer an unsubscribe button: the account's
 * signed one-click link when the service has a public address (RFC 8058: a POST to it opts the
 * account out), and a mail to the sender, its subject naming the account, which someone reading that
 * mailbox records (`setCommunicationOptOut`; the service reads no mail). Opting out is per account.
 */
export function unsubscribeTargets(item: DeliveryItem, from: string, links: UnsubscribeLinks | null): string[] {
  if (item.action.audience !== 'CUSTOMER') return [];
  // The sender's address alone: a display name is no part of a mailto: URL.
  const mail = `mailto:${splitEmailSender(from).address}?subject=${encodeURIComponent(`unsubscribe ${accountInSubject(item.customer.id)}`)}`;
  return links ? [unsubscribeUrl(links, item.customer.id), mail] : [mail];
}

/**
 * How the mail's subject names the account: its id, or for an id too long for a header line (see
 * customer-key) its beginning, an ellipsis and its key, both of which `customers(search:)` finds.
 */
function accountInSubject(customerId: string): string {
  return isLongId(customerId) ? `${idBeginning(customerId, MAX_ID_BYTES_IN_HEADERS / 2)}… ${customerKey(customerId)}` : customerId;
}

/** Who gets an action's email: the customer's contact for customer-facing actions, else the CSM (or the destination's team address). */
export function emailRecipient(item: DeliveryItem, teamAddress: string | null): string | null {
  if (item.action.audience === 'CUSTOMER') return item.customer.contactEmail;
  return item.csm?.email ?? teamAddress;
}
