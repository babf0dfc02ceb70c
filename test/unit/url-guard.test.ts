/** SSRF rules for webhook URLs: literals, every resolved address, the allow-list, and the connect-time lookup. */
import { expect } from 'chai';
import type { LookupAddress } from 'node:dns';
import { ValidationError } from '../../src/errors.js';
import { UrlGuard } from '../../src/runtime/webhooks/url-guard.js';

const dns =
  (table: Record<string, string[]>) =>
  async (host: string): Promise<LookupAddress[]> => {
    const addrs = table[host];
    if (!addrs) throw new Error('ENOTFOUND');
    return addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const refused = async (guard: UrlGuard, url: string) => {
  try {
    await guard.check(url);
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).field).to.equal('url');
    return;
  }
  throw new Error(`${url} was accepted`);
};

describe('webhook url guard', () => {
  const resolve = dns({
    'public.example': ['93.184.215.14'],
    'mixed.example': ['93.184.215.14', '10.1.2.3'],
    'v6.example': ['fd00::1'],
  });

  it('refuses private, loopback, link-local, unique-local, multicast and mapped addresses', async () => {
    const guard = new UrlGuard([], resolve);
    for (const url of [
      'http://10.0.0.1/x',
      'http://127.0.0.1/x',
      'http://169.254.169.254/',
      'http://192.168.1.1/',
      'http://172.16.5.4/',
      'http://224.0.0.1/',
      'http://0.0.0.0/',
      'http://[::1]/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://[ff02::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://mixed.example/',
      'http://v6.example/',
      'http://nowhere.example/',
      'ftp://public.example/',
      'http://user:pw@public.example/',
    ])
      await refused(guard, url);
  });

  it('resolves names with the system resolver: localhost is refused', async () => {
    await refused(new UrlGuard([]), 'http://localhost/x');
  });

  it('accepts public targets, and allow-listed hosts and CIDRs', async () => {
    const guard = new UrlGuard(['127.0.0.1', '10.0.0.0/8', 'v6.example'], resolve);
    for (const url of [
      'https://public.example/hook',
      'http://127.0.0.1:8080/x',
      'http://10.9.9.9/',
      'http://mixed.example/',
      'http://v6.example/',
    ])
      await guard.check(url);
    await refused(guard, 'http://127.0.0.2/');
  });

  it('checks again at connect time: a host that now resolves privately gets no address', async () => {
    const table: Record<string, string[]> = { 'rebind.example': ['93.184.215.14'] };
    const guard = new UrlGuard([], dns(table));
    await guard.check('http://rebind.example/');
    table['rebind.example'] = ['127.0.0.1'];
    const err = await new Promise<Error | null>((r) => guard.lookup('rebind.example', {}, (e) => r(e)));
    expect(err).to.be.instanceOf(ValidationError);
  });
});
