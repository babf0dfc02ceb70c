/**
 * The one outbound guard: which addresses pass (public unicast only, by ipaddr.js's ranges, with
 * the IPv4 inside IPv6 forms judged as IPv4), never this host's own, the allow-list, and the
 * connect-time lookup.
 */
import { expect } from 'chai';
import type { LookupAddress } from 'node:dns';
import { ValidationError } from '../../src/errors.js';
import { hostAddresses } from '../../src/runtime/outbound/address-policy.js';
import { OutboundGuard } from '../../src/runtime/outbound/outbound-guard.js';
import { loadConfig } from '../../src/runtime/config.js';

const dns =
  (table: Record<string, string[]>) =>
  async (host: string): Promise<LookupAddress[]> => {
    const addrs = table[host];
    if (!addrs) throw new Error('ENOTFOUND');
    return addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

/** the guard's refusal of `url` (fails the test when it passes) */
const refusal = async (guard: OutboundGuard, url: string): Promise<ValidationError> => {
  try {
    await guard.check(url);
  } catch (err) {
    expect(err, url).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).field, url).to.equal('url');
    return err as ValidationError;
  }
  throw new Error(`${url} was accepted`);
};

const lookupError = (guard: OutboundGuard, host: string) =>
  new Promise<Error | null>((r) => guard.lookup(host, { all: true }, (e) => r(e)));

describe('outbound guard', () => {
  const resolve = dns({
    'public.example': ['93.184.215.14'],
    'mixed.example': ['93.184.215.14', '10.1.2.3'],
    'v6.example': ['fd00::1'],
    'doc.example': ['192.0.2.2'],
    'mapped.example': ['::ffff:169.254.169.254'],
  });
  /** a guard on a host whose only (non-loopback) address is public: 203.0.113 is refused anyway */
  const guard = (allowlist: string[] = [], own: string[] = []) =>
    new OutboundGuard(allowlist, { resolve, ownAddresses: () => own });

  it('refuses private, loopback, link-local, unique-local, multicast, reserved and special IPv4 addresses', async () => {
    for (const url of [
      'http://10.0.0.1/x',
      'http://127.0.0.1/x',
      'http://127.1/x', // the URL parser reads it as 127.0.0.1
      'http://2130706433/', // ditto, as one number
      'http://169.254.169.254/',
      'http://192.168.1.1/',
      'http://172.16.5.4/',
      'http://100.64.0.1/', // carrier-grade NAT
      'http://224.0.0.1/',
      'http://0.0.0.0/',
      'http://255.255.255.255/',
      'http://240.0.0.1/',
      'http://198.18.0.1/', // benchmarking
      'http://192.0.0.8/', // IETF protocol assignments
      'http://192.88.99.1/', // 6to4 relay anycast
    ])
      await refusal(guard(), url);
  });

  it('refuses the documentation ranges 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24', async () => {
    for (const url of [
      'http://192.0.2.2/',
      'http://198.51.100.7/',
      'http://203.0.113.9/',
      'http://doc.example/',
    ])
      expect((await refusal(guard(), url)).message, url).to.match(/reserved or documentation/);
  });

  it('refuses IPv6 loopback, unspecified, link-local, unique-local, site-local, multicast and documentation', async () => {
    for (const url of [
      'http://[::1]/',
      'http://[::]/',
      'http://[fe80::1]/',
      'http://[fd00::1]/',
      'http://[fc00::5]/',
      'http://[fec0::1]/',
      'http://[ff02::1]/',
      'http://[2001:db8::1]/',
      'http://[100::1]/', // discard-only
      'http://[4000::1]/', // not in the global unicast block 2000::/3
      'http://v6.example/',
    ])
      await refusal(guard(), url);
  });

  it('judges IPv6 forms that carry an IPv4 address by that address', async () => {
    for (const [url, carried] of [
      ['http://[::127.0.0.1]/', '127.0.0.1'], // IPv4-compatible
      ['http://[::7f00:1]/', '127.0.0.1'], // the same, in hex
      ['http://[::a00:1]/', '10.0.0.1'],
      ['http://[::ffff:127.0.0.1]/', '127.0.0.1'], // IPv4-mapped
      ['http://[::ffff:a9fe:a9fe]/', '169.254.169.254'],
      ['http://[::ffff:0:7f00:1]/', '127.0.0.1'], // IPv4-translated
      ['http://[64:ff9b::7f00:1]/', '127.0.0.1'], // NAT64
      ['http://[64:ff9b::c000:202]/', '192.0.2.2'],
      ['http://[2002:7f00:1::]/', '127.0.0.1'], // 6to4
      ['http://[2002:a9fe:a9fe::1]/', '169.254.169.254'],
      ['http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', '127.0.0.1'], // Teredo, client 127.0.0.1 (bits flipped)
      ['http://[2001:0:a00:1::]/', '10.0.0.1'], // Teredo, server 10.0.0.1
      ['http://mapped.example/', '169.254.169.254'],
    ] as const)
      expect((await refusal(guard(), url)).message, url).to.contain(carried);
    await refusal(guard(), 'http://[64:ff9b:1::5db8:d70e]/'); // a local-use NAT64 prefix: private translation
  });

  it('lets through public addresses, also inside NAT64, 6to4 and IPv4-mapped forms', async () => {
    for (const url of [
      'https://public.example/hook',
      'http://93.184.215.14/',
      'http://[2606:4700::1111]/',
      'http://[::ffff:93.184.215.14]/',
      'http://[64:ff9b::5db8:d70e]/', // NAT64 of 93.184.215.14, as DNS64 hands out on IPv6-only hosts
      'http://[2002:5db8:d70e::1]/',
    ])
      await guard().check(url);
  });

  it('refuses this host’s own addresses, public or not; the real interfaces by default', async () => {
    const own = ['93.184.215.14', '2606:4700::1111'];
    for (const url of [
      'http://93.184.215.14/',
      'http://[2606:4700::1111]/',
      'http://[::ffff:93.184.215.14]/',
    ])
      expect((await refusal(guard([], own), url)).message, url).to.match(/address of this host/);
    await refusal(guard([], own), 'http://public.example/');
    const real = new OutboundGuard([], { resolve });
    const mine = hostAddresses().filter((a) => !a.startsWith('fe80'));
    expect(mine).to.have.length.greaterThan(0);
    for (const a of mine) await refusal(real, a.includes(':') ? `http://[${a}]/` : `http://${a}/`);
  });

  it('refuses other schemes, credentials in the URL, names that do not resolve, and names with any bad address', async () => {
    for (const url of [
      'ftp://public.example/',
      'file:///etc/passwd',
      'http://user:pw@public.example/',
      'http://nowhere.example/',
      'http://mixed.example/',
      'not a url',
    ])
      await refusal(guard(), url);
  });

  it('resolves names with the system resolver: localhost is refused', async () => {
    await refusal(new OutboundGuard([]), 'http://localhost/x');
  });

  it('lets allow-listed hosts, addresses and CIDRs through, and nothing next to them', async () => {
    const g = guard(['127.0.0.1', '10.0.0.0/8', 'v6.example', '192.0.2.0/24', 'fd00::/8'], ['192.0.2.2']);
    for (const url of [
      'http://127.0.0.1:8080/x',
      'http://[::ffff:127.0.0.1]/',
      'http://10.9.9.9/',
      'http://mixed.example/',
      'http://v6.example/',
      'http://192.0.2.2/', // allow-listed, though it is this host's
      'http://[fd12::1]/',
    ])
      await g.check(url);
    for (const url of ['http://127.0.0.2/', 'http://[::1]/', 'http://172.16.0.1/']) await refusal(g, url);
  });

  it('reads its allow-list from SINAS_OUTBOUND_ALLOWLIST, and still from the older SINAS_WEBHOOK_ALLOWLIST', () => {
    const c = loadConfig({
      SINAS_OUTBOUND_ALLOWLIST: '10.0.0.0/8, hooks.internal',
      SINAS_WEBHOOK_ALLOWLIST: '127.0.0.1',
    });
    expect(c.outbound.allowlist).to.deep.equal(['10.0.0.0/8', 'hooks.internal', '127.0.0.1']);
    for (const name of ['SINAS_OUTBOUND_ALLOWLIST', 'SINAS_WEBHOOK_ALLOWLIST'])
      expect(() => loadConfig({ [name]: 'hooks.internal,10.0.0.0/40' }), name)
        .to.throw(ValidationError, /not a CIDR/)
        .with.property('field', name);
  });

  it('names the setting in its refusal, and refuses a malformed CIDR in it', async () => {
    expect((await refusal(guard(), 'http://10.0.0.1/')).message).to.contain('SINAS_OUTBOUND_ALLOWLIST');
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', 'fd00::/129', 'nonsense/8'])
      expect(() => new OutboundGuard([bad]), bad).to.throw(ValidationError, /not a CIDR/);
  });

  it('checks again at connect time: a host that now resolves privately gets no address', async () => {
    const table: Record<string, string[]> = { 'rebind.example': ['93.184.215.14'] };
    const g = new OutboundGuard([], { resolve: dns(table), ownAddresses: () => [] });
    await g.check('http://rebind.example/');
    expect(await lookupError(g, 'rebind.example')).to.equal(null);
    for (const address of ['127.0.0.1', '::ffff:10.0.0.1', '2002:7f00:1::', '192.0.2.2']) {
      table['rebind.example'] = [address];
      expect(await lookupError(g, 'rebind.example'), address).to.be.instanceOf(ValidationError);
    }
  });
});
