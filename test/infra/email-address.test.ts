// What an email address field (a customer's contactEmail, a CSM's, an EMAIL destination's) accepts:
// one mailbox that a mail server would take.
import { checkEmailAddress } from '../../src/infra/input';
import { InvalidInputError } from '../../src/infra/errors';

it('takes one mailbox, trimmed', () => {
  expect(checkEmailAddress(' kate.smith+cs@mail.example.com ', 'contactEmail')).toBe('kate.smith+cs@mail.example.com');
  expect(checkEmailAddress('ops_team@my-company2.example.co.uk', 'contactEmail')).toBe('ops_team@my-company2.example.co.uk');
});

it.each([
  'kate@example..com',
  'kate@.example.com',
  '.kate@example.com',
  'kate.@example.com',
  'ka..te@example.com',
  'kate@example',
  'a@b@c.com',
  // The domain is a host name: letters, digits and inner hyphens in each label.
  'ops@p5_b1.example',
  'ops@-example.com',
  'ops@example-.com',
  `ops@${'a'.repeat(64)}.com`,
  'ops@exa!mple.com',
  // An all-numeric top-level label is no host name: an IP address is not a mail domain.
  'a@1.2.3.4',
  'ops@example.123',
  'ops@example.\u0663\u0664',
])('refuses %s, naming the argument', (address) => {
  expect(() => checkEmailAddress(address, 'contactEmail')).toThrow(InvalidInputError);
  expect(() => checkEmailAddress(address, 'contactEmail')).toThrow(/contactEmail must be one email address/);
});

// A control character, a direction override or an invisible character is no part of any mailbox:
// no mail server takes `ka<BEL>te@…`, and `kate@exa<U+202E>mple.com` or a zero-width space shows as
// another address in the lists that print it.
it.each([
  ['a BEL', 'ka\u0007te@example.com'],
  ['DEL', 'kate\u007f@example.com'],
  ['a C1 control', 'kate@exa\u0085mple.com'],
  ['a right-to-left override', 'kate@exa\u202emple.com'],
  ['an isolate', '\u2066kate@example.com'],
  ['a zero-width space', 'kate@exa\u200bmple.com'],
  ['a zero-width joiner', 'ka\u200dte@example.com'],
  ['a soft hyphen', 'ka\u00adte@example.com'],
])('refuses an address holding %s', (_what, address) => {
  expect(() => checkEmailAddress(address, 'emailTo')).toThrow(/emailTo must be one email address/);
});

it('takes digits in a domain, the top-level label excepted', () => {
  expect(checkEmailAddress('ops@123.example.com', 'contactEmail')).toBe('ops@123.example.com');
  expect(checkEmailAddress('ops@example.xn--p1ai', 'contactEmail')).toBe('ops@example.xn--p1ai');
});

it('takes an address in another script (SMTPUTF8)', () => {
  expect(checkEmailAddress('кейт@пример.рф', 'email')).toBe('кейт@пример.рф');
});

it('takes a local part of 64 bytes and refuses a longer one, as RFC 5321 does', () => {
  expect(checkEmailAddress(`${'k'.repeat(64)}@example.com`, 'contactEmail')).toBe(`${'k'.repeat(64)}@example.com`);
  for (const local of ['k'.repeat(65), 'к'.repeat(33)]) {
    expect(() => checkEmailAddress(`${local}@example.com`, 'contactEmail')).toThrow(
      'contactEmail: the part before the @ is longer than 64 bytes, the most an email address may have (RFC 5321)',
    );
  }
});
