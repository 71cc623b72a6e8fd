// What a delivery says: the three most negative signals, Slack blocks (escaped, with mentions and a
// cap on blocks), email from templates (HTML-escaped values, no header injection), recipients, and
// masked secrets.
import {
  DeliveryItem,
  digestEmailContent,
  emailContent,
  emailRecipient,
  mostNegativeSignals,
  slackMention,
  slackMessage,
  unknownPlaceholders,
  unsubscribeTargets,
  webhookPayload,
} from '../../src/delivery/delivery-messages';
import { maskSecret, maskUrl } from '../../src/delivery/destination.service';
import { hasLoneSurrogate } from '../../src/infra/text-rules';
import { createHash, createHmac } from 'node:crypto';
import { signalResult as signal } from '../scoring/model/model-factory';

function item(overrides: Partial<DeliveryItem['action']> = {}, customer: Partial<DeliveryItem['customer']> = {}): DeliveryItem {
  return {
    deliveryId: 'd-1',
    action: {
      id: '7',
      playbook: 'critical',
      action: 'csm_alert',
      audience: 'TEAM',
      channel: 'SLACK',
      trigger: 'TIER_WORSENED',
      fromTier: 'healthy',
      toTier: 'critical',
      score: 31,
      escalation: false,
      message: 'Acme <b>dropped</b>',
      createdAt: '2026-12-01T06:00:00.000Z',
      ...overrides,
    },
    customer: { id: 'cust_1', name: 'Acme & <Co>', arrCents: 12_000_000, csmOwner: 'kate', contactEmail: 'ops@acme.example', ...customer },
    previousScore: 78,
    signals: [
      signal('silence', 0, 0.3),
      signal('active_days_trend', 0.5, 0.2),
      signal('nps', 0.9, 0.1),
      signal('seats', 0.2, 0.05),
      signal('payments', null, 0.2, true),
      signal('perfect', 1, 0.15),
    ],
    penalties: [
      { name: 'team_shrinking', rawValue: 0.25, points: 20, applied: true, heldBack: false },
      { name: 'detractor', rawValue: 9, points: 25, applied: false, heldBack: false },
      { name: 'usage_halved', rawValue: 0.4, points: 15, applied: true, heldBack: false },
    ],
    csm: { email: 'kate@team.example', slackTarget: 'U024BE7LH' },
  };
}

describe('delivery messages', () => {
  it('names the three signals that cost the most points, leaving out missing and perfect ones', () => {
    expect(mostNegativeSignals(item().signals)).toEqual([
      { name: 'silence', value: 0, pointsLost: 30 },
      { name: 'active_days_trend', value: 0.5, pointsLost: 10 },
      { name: 'seats', value: 0.2, pointsLost: 4 },
    ]);
  });

  it('names the red flags applied, costliest first, in the webhook payload, Slack and the team email', () => {
    const flags = [
      { name: 'team_shrinking', pointsLost: 20 },
      { name: 'usage_halved', pointsLost: 15 },
    ];
    expect(webhookPayload('d-1', { id: '1', name: 'crm' }, [item()], new Date()).data.actions[0].redFlags).toEqual(flags);
    expect(JSON.stringify(slackMessage([item()]).blocks)).toContain('Red flags: team_shrinking (−20 pts), usage_halved (−15 pts)');
    const email = emailContent(item(), { subject: null, text: null, html: null });
    expect(email.text).toContain('Red flags: team_shrinking (−20 pts), usage_halved (−15 pts)');
    // Both parts name the CSM: a mail client showing the HTML part must not lose it.
    expect(email.text).toContain('CSM: kate');
    expect(email.html).toContain('<th align="left">CSM</th><td>kate</td>');
    const calm = { ...item(), penalties: [] };
    expect(JSON.stringify(slackMessage([calm]).blocks)).not.toContain('Red flags');
    expect(emailContent(calm, { subject: null, text: null, html: null }).text).toContain('Red flags: none');
  });

  it('builds the webhook payload with the delivery id as message id', () => {
    const payload = webhookPayload('d-1', { id: '1', name: 'crm' }, [item()], new Date('2026-12-01T06:00:02Z'));
    expect(payload.type).toBe('outreach.action');
    expect(payload.data.id).toBe('d-1');
    expect(payload.data.actions[0]).toEqual(expect.objectContaining({ deliveryId: 'd-1', previousScore: 78, customer: item().customer }));
    expect(webhookPayload('digest-9', { id: '1', name: 'crm' }, [item(), item()], new Date()).type).toBe('outreach.digest');
  });

  it('escapes Slack markup in account names, in the blocks and the notification text, and mentions user and channel ids', () => {
    const message = slackMessage([item()]);
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('Acme &amp; &lt;Co&gt;');
    const hostile = slackMessage([item({}, { name: '<!channel> <http://evil.example|Reset password>' })]);
    expect(hostile.text).toContain('&lt;!channel&gt; &lt;http://evil.example|Reset password&gt;');
    expect(hostile.text).not.toMatch(/<!channel>|<http/);
    expect(text).toContain('<@U024BE7LH>');
    expect(text).toContain('$120,000');
    expect(text).toContain('healthy → critical');
    expect(slackMention('C0123ABC')).toBe('<#C0123ABC>');
    expect(slackMention('@kate <x>')).toBe('@kate &lt;x&gt;');
  });

  it("cuts the Slack header at Slack's 150 characters and an email subject at 998 without halving a character", () => {
    // "tier worsened: " is 15 characters: the emoji is the header's 150th and 151st UTF-16 units.
    const header = (slackMessage([item({}, { name: `${'x'.repeat(134)}😀 Inc` })]).blocks[0] as any).text.text as string;
    expect(header).toBe(`tier worsened: ${'x'.repeat(134)}`);
    const subject = emailContent(item({}, { name: `${'x'.repeat(197)}😀` }), {
      subject: `${'s'.repeat(800)}{{customerName}}`,
      text: null,
      html: null,
    }).subject;
    expect(subject).toBe(`${'s'.repeat(800)}${'x'.repeat(197)}`);
    expect(hasLoneSurrogate(header + subject)).toBe(false);
  });

  it("keeps a digest within Slack's 50 blocks and counts the actions left out", () => {
    const message = slackMessage(Array.from({ length: 60 }, () => item()));
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(message.blocks.at(-1))).toContain('…and 45 more');
  });

  it('renders email from an admin template: values escaped in HTML only, no line break in the subject', () => {
    const content = emailContent(item({}, { name: 'Evil\r\nBcc: x@y.z' }), {
      subject: 'Alert: {{customerName}} {{score}}',
      text: '{{message}} / {{arr}}',
      html: '<p>{{message}}</p>',
    });
    expect(content.subject).toBe('Alert: Evil Bcc: x@y.z 31');
    expect(content.text).toBe('Acme <b>dropped</b> / $120,000');
    expect(content.html).toBe('<p>Acme &lt;b&gt;dropped&lt;/b&gt;</p>');
    const customer = emailContent(item({ audience: 'CUSTOMER' }), { subject: null, text: null, html: null }, [
      'mailto:cs@vendor.example?subject=unsubscribe%20cust_1',
    ]);
    expect(customer.text).toBe('Acme <b>dropped</b>\n\n--\nTo stop these emails: mailto:cs@vendor.example?subject=unsubscribe%20cust_1\n');
    expect(customer.html).toContain('<a href="mailto:cs@vendor.example?subject=unsubscribe%20cust_1">Unsubscribe</a>');
    expect(digestEmailContent([item(), item()], { subject: null, text: null, html: null }).subject).toBe('2 outreach actions for kate');
    expect(unknownPlaceholders('{{customerName}} {{password}} {{ score }}')).toEqual(['password']);
  });

  it("writes a customer's email from the destination's templates only where they show nothing internal, else from the built-in ones", () => {
    const templates = {
      subject: '{{customerName}}: {{signals}}',
      text: 'Dear {{customerName}}, {{message}} ({{unsubscribeUrl}})',
      html: '<p>{{message}}</p><p>Score {{score}}, {{tier}}, CSM {{csmOwner}}, id {{customerId}}</p>',
    };
    const unsubscribe = ['https://healthgraph.example.com/unsubscribe/Y3VzdF8x.c2lnbmVk'];
    const customer = emailContent(item({ audience: 'CUSTOMER' }), templates, unsubscribe);
    expect(customer.subject).toBe('Checking in, Acme & <Co>');
    expect(customer.text).toBe(`Dear Acme & <Co>, Acme <b>dropped</b> (${unsubscribe[0]})`);
    expect(customer.html).toBe(
      `<p>Acme &lt;b&gt;dropped&lt;/b&gt;</p><p style="font-size:small;color:#666"><a href="${unsubscribe[0]}">Unsubscribe</a></p>`,
    );
    for (const part of [customer.subject, customer.text, customer.html]) {
      for (const internal of ['silence', '31', 'critical', 'kate', 'cust_1']) expect(part).not.toContain(internal);
    }
    // The team's email of the same destination is written from them all.
    const team = emailContent(item(), templates);
    expect(team.subject).toBe('Acme & <Co>: silence 0 (−30 pts), active_days_trend 0.5 (−10 pts), seats 0.2 (−4 pts)');
    expect(team.html).toBe('<p>Acme &lt;b&gt;dropped&lt;/b&gt;</p><p>Score 31, critical, CSM kate, id cust_1</p>');
  });

  it('gives the default customer actions subjects of their own: a check-in and an offer of one scoring do not read alike', () => {
    const none = { subject: null, text: null, html: null };
    const subjects = ['check_in_email', 'offer', 'success_resources', 'referral_request', 'early_access_offer'].map(
      (action) => emailContent(item({ audience: 'CUSTOMER', action }, { name: 'Acme' }), none).subject,
    );
    expect(subjects[0]).toBe('Checking in, Acme');
    expect(subjects[1]).toBe('An offer for Acme');
    expect(new Set(subjects).size).toBe(subjects.length);
  });

  it('says "first scored critical" of an account without a tier before, not "n/a → critical"', () => {
    const none = { subject: null, text: null, html: null };
    const first = item({ fromTier: null });
    const email = emailContent(first, none);
    expect(email.subject).toBe('Acme & <Co>: csm_alert (first scored critical)');
    expect(email.text).toContain('Tier: first scored critical\n');
    expect(email.html).toContain('<td>first scored critical</td>');
    expect(`${email.subject}${email.text}${email.html}`).not.toContain('n/a');
    expect(slackMessage([first]).text).toContain('first scored critical');
    expect(emailContent(item(), none).text).toContain('Tier: healthy → critical\n');
    expect(emailContent(item({ fromTier: 'critical' }), none).text).toContain('Tier: critical\n');
  });

  it('shows the score before only when there is one and it differs: no "(was n/a)" nor "43 (was 43)"', () => {
    const none = { subject: null, text: null, html: null };
    const withPrevious = emailContent(item(), none);
    expect(withPrevious.text).toContain('Score: 31 (was 78)\n');
    expect(withPrevious.html).toContain('<td>31 (was 78)</td>');
    expect(JSON.stringify(slackMessage([item()]).blocks)).toContain('*Score*\\n31 (was 78)');
    for (const previousScore of [null, 31]) {
      const first = { ...item(), previousScore };
      const email = emailContent(first, none);
      expect(email.text).toContain('Score: 31\n');
      expect(email.html).toContain('<td>31</td>');
      expect(JSON.stringify(slackMessage([first]).blocks)).toContain('*Score*\\n31"');
      // An admin's template: the part in parentheses goes; the placeholder elsewhere still says something.
      const own = emailContent(first, {
        subject: '{{customerName}} at {{score}} (before: {{previousScore}})',
        text: 'Before: {{previousScore}}',
        html: null,
      });
      expect(own.subject).toBe('Acme & <Co> at 31');
      expect(own.text).toBe(`Before: ${previousScore ?? 'n/a'}`);
    }
  });

  describe('List-Unsubscribe targets', () => {
    const links = { baseUrl: 'https://healthgraph.example.com', secret: 'a-secret-of-at-least-thirty-two-characters' };
    const customerItem = (id: string) => item({ audience: 'CUSTOMER' }, { id });

    it('names a short id whole, exactly as before: the base64url id and its HMAC, and the id in the subject', () => {
      const hmac = createHmac('sha256', links.secret).update('healthgraph-unsubscribe\0cust_abc123').digest('base64url');
      expect(unsubscribeTargets(customerItem('cust_abc123'), 'care@vendor.example', links)).toEqual([
        `https://healthgraph.example.com/unsubscribe/${Buffer.from('cust_abc123').toString('base64url')}.${hmac}`,
        'mailto:care@vendor.example?subject=unsubscribe%20cust_abc123',
      ]);
      // A sender with a display name: the mail goes to its address alone.
      expect(unsubscribeTargets(customerItem('cust_abc123'), 'healthgraph care <care@vendor.example>', null)).toEqual([
        'mailto:care@vendor.example?subject=unsubscribe%20cust_abc123',
      ]);
      // 96 bytes is still short.
      const id = 'c'.repeat(96);
      expect(unsubscribeTargets(customerItem(id), 'care@vendor.example', null)).toEqual([
        `mailto:care@vendor.example?subject=unsubscribe%20${id}`,
      ]);
    });

    it('names a long id by its key, and its beginning in the subject, so every target stays short whatever the id', () => {
      const ids = ['😀🌏'.repeat(100), '漢'.repeat(200), 'c'.repeat(97), '%'.repeat(200), 'e\u0301'.repeat(100)];
      for (const id of ids) {
        const key = createHash('sha256').update(id, 'utf8').digest('hex').slice(0, 32);
        const [link, mail] = unsubscribeTargets(customerItem(id), 'care@vendor.example', links);
        expect(link).toMatch(new RegExp(`^https://healthgraph\\.example\\.com/unsubscribe/k\\.${key}\\.[A-Za-z0-9_-]{43}$`));
        expect(mail.length).toBeLessThanOrEqual(250);
        const subject = decodeURIComponent(mail.slice(mail.indexOf('?subject=') + '?subject='.length));
        const [, beginning, shownKey] = /^unsubscribe (.+)… ([0-9a-f]{32})$/su.exec(subject) ?? [];
        expect(shownKey).toBe(key);
        expect(id.startsWith(beginning)).toBe(true);
        expect(Buffer.byteLength(beginning)).toBeLessThanOrEqual(48);
      }
      // Cut between whole characters: an accent stays with its letter.
      const accented = unsubscribeTargets(customerItem('e\u0301'.repeat(100)), 'care@vendor.example', null)[0];
      expect(decodeURIComponent(accented)).toContain(`unsubscribe ${'e\u0301'.repeat(16)}… `);
    });
  });

  it("sends customer-facing email to the contact and team alerts to the CSM, else the destination's address", () => {
    expect(emailRecipient(item({ audience: 'CUSTOMER' }), 'team@x.example')).toBe('ops@acme.example');
    expect(emailRecipient(item(), 'team@x.example')).toBe('kate@team.example');
    expect(emailRecipient({ ...item(), csm: null }, 'team@x.example')).toBe('team@x.example');
    expect(emailRecipient({ ...item(), csm: null }, null)).toBeNull();
  });

  it('masks secrets to a prefix and the last four characters', () => {
    expect(maskUrl('https://hooks.slack.com/services/T000/B000/XXXXabcd')).toBe('https://hooks.slack.com/…abcd');
    expect(maskSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBe('whsec_…LaSw');
  });
});
