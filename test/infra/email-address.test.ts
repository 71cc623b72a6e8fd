// What an email address field (a customer's contactEmail, a CSM's, an EMAIL destination's) accepts:
// one mailbox that a mail server would take.
import { checkEmailAddress } from '../../src/infra/input';
import { InvalidInputError } from '../../src/infra/errors';

it('takes one mailbox, trimmed', () => {
  expect(checkEmailAddress(' kate.smith+cs@mail.example.com ', 'contactEmail')).toBe('kate.smith+cs@mail.example.com');
});

it.each([
  'kate@example..com',
  'kate@.example.com',
  '.kate@example.com',
  'kate.@example.com',
  'ka..te@example.com',
  'kate@example',
  'a@b@c.com',
])('refuses %s, naming the argument', (address) => {
  expect(() => checkEmailAddress(address, 'contactEmail')).toThrow(InvalidInputError);
  expect(() => checkEmailAddress(address, 'contactEmail')).toThrow(/contactEmail must be one email address/);
});
