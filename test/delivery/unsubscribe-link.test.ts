// Only the exact text of a link the service wrote opts an account out: not another spelling of the
// same bytes (base64url's last character has unused low bits), nor a link signed for another account.
import { UNSUBSCRIBE_PATH, unsubscribeUrl, verifiedTarget } from '../../src/delivery/unsubscribe-link';

const links = { baseUrl: 'https://hg.example.com', secret: 'a-secret-of-at-least-thirty-two-characters' };
const tokenOf = (customerId: string) => unsubscribeUrl(links, customerId).split(UNSUBSCRIBE_PATH)[1];
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Every token that differs from `token` in its character at `index` alone. */
function alteredAt(token: string, index: number): string[] {
  return [...BASE64URL].filter((c) => c !== token[index]).map((c) => token.slice(0, index) + c + token.slice(index + 1));
}

describe('verifiedTarget', () => {
  it('names the account of a link it wrote, in either form', () => {
    expect(verifiedTarget(links.secret, tokenOf('cust_a1'))).toEqual({ customerId: 'cust_a1' });
    const long = '漢'.repeat(100);
    expect(tokenOf(long)).toMatch(/^k\.[0-9a-f]{32}\./);
    expect(verifiedTarget(links.secret, tokenOf(long))).toEqual({ customerKey: tokenOf(long).split('.')[1] });
  });

  it('refuses every change to the last character of the signature, of the id, or of a key link', () => {
    const token = tokenOf('cust_a1');
    const idEnd = token.indexOf('.') - 1;
    for (const altered of [...alteredAt(token, token.length - 1), ...alteredAt(token, idEnd)]) {
      expect(verifiedTarget(links.secret, altered)).toBeNull();
    }
    const keyed = tokenOf('漢'.repeat(100));
    for (const altered of alteredAt(keyed, keyed.length - 1)) expect(verifiedTarget(links.secret, altered)).toBeNull();
  });

  it('refuses a link signed under another secret', () => {
    expect(verifiedTarget(`${links.secret}!`, tokenOf('cust_a1'))).toBeNull();
  });
});
