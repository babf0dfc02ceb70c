/**
 * SSRF protection for outbound webhooks (DESIGN §9): only http/https, and never a private, loopback,
 * link-local, unique-local, multicast or otherwise non-public address, unless the host name or a
 * CIDR holding the address is allow-listed (SINAS_WEBHOOK_ALLOWLIST). A host name is resolved and
 * every address it resolves to is checked; delivery connects through `lookup`, which resolves and
 * checks again and hands the socket only a checked address, so DNS rebinding between the check and
 * the connection gains nothing.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { ValidationError } from '../../errors.js';

/** Address ranges no webhook may reach unless allow-listed. */
const BLOCKED: readonly (readonly [string, number, 'ipv4' | 'ipv6'])[] = [
  ['0.0.0.0', 8, 'ipv4'], // "this network"
  ['10.0.0.0', 8, 'ipv4'], // private
  ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
  ['127.0.0.0', 8, 'ipv4'], // loopback
  ['169.254.0.0', 16, 'ipv4'], // link-local (cloud metadata)
  ['172.16.0.0', 12, 'ipv4'], // private
  ['192.0.0.0', 24, 'ipv4'], // IETF protocol assignments
  ['192.168.0.0', 16, 'ipv4'], // private
  ['198.18.0.0', 15, 'ipv4'], // benchmarking
  ['224.0.0.0', 4, 'ipv4'], // multicast
  ['240.0.0.0', 4, 'ipv4'], // reserved, broadcast
  ['::', 128, 'ipv6'], // unspecified
  ['::1', 128, 'ipv6'], // loopback
  ['::ffff:0:0', 96, 'ipv6'], // IPv4-mapped: would bypass the IPv4 ranges
  ['64:ff9b::', 96, 'ipv6'], // NAT64: ditto
  ['fc00::', 7, 'ipv6'], // unique-local
  ['fe80::', 10, 'ipv6'], // link-local
  ['fec0::', 10, 'ipv6'], // site-local (deprecated)
  ['ff00::', 8, 'ipv6'], // multicast
];

// one list per family: a BlockList matches IPv4 addresses against IPv4-mapped IPv6 rules too
const blocked = { ipv4: new BlockList(), ipv6: new BlockList() };
for (const [net, prefix, family] of BLOCKED) blocked[family].addSubnet(net, prefix, family);

export type Resolve = (host: string) => Promise<readonly LookupAddress[]>;

const systemResolve: Resolve = (host) => dnsLookup(host, { all: true, verbatim: true });

export class UrlGuard {
  private readonly hosts: ReadonlySet<string>;
  private readonly allowed = new BlockList();

  /** `allowlist`: host names (exact, case-insensitive), IP addresses and CIDRs */
  constructor(
    allowlist: readonly string[],
    private readonly resolve: Resolve = systemResolve,
  ) {
    const hosts = new Set<string>();
    for (const raw of allowlist) {
      const entry = raw.trim().toLowerCase();
      const [addr, bits] = entry.split('/');
      const family = isIP(addr ?? '');
      if (family === 0) {
        hosts.add(entry);
        continue;
      }
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) this.allowed.addAddress(addr!, type);
      else this.allowed.addSubnet(addr!, Number(bits), type);
    }
    this.hosts = hosts;
  }

  /** Throws a ValidationError naming `field` unless `url` is a webhook target we may call. */
  async check(url: string, field = 'url'): Promise<URL> {
    const u = parse(url, field);
    const host = hostOf(u);
    if (this.hosts.has(host)) return u;
    if (isIP(host) !== 0) {
      this.assertPublic(host, field);
      return u;
    }
    let addresses: readonly LookupAddress[];
    try {
      addresses = await this.resolve(host);
    } catch {
      throw new ValidationError(`the host '${host}' of the url does not resolve`, field);
    }
    if (addresses.length === 0) throw new ValidationError(`the host '${host}' has no address`, field);
    for (const a of addresses) this.assertPublic(a.address, field);
    return u;
  }

  /**
   * A `lookup` for http.request: resolves, refuses the connection unless every address passes, and
   * returns the checked addresses, so the socket connects to exactly what was checked.
   */
  readonly lookup = (
    hostname: string,
    options: { all?: boolean },
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const host = hostname.toLowerCase();
    const literal = isIP(host);
    const resolved: Promise<readonly LookupAddress[]> =
      literal !== 0 ? Promise.resolve([{ address: host, family: literal }]) : this.resolve(host);
    resolved
      .then((addresses) => {
        if (!this.hosts.has(host)) for (const a of addresses) this.assertPublic(a.address, 'url');
        if (options.all) return callback(null, [...addresses]);
        const first = addresses[0];
        if (!first) return callback(new Error(`the host '${host}' has no address`), '');
        callback(null, first.address, first.family);
      })
      .catch((err: Error) => callback(err, ''));
  };

  private assertPublic(address: string, field: string): void {
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (this.allowed.check(address, type)) return;
    if (blocked[type].check(address, type))
      throw new ValidationError(
        `the url points at a private, loopback, link-local or multicast address (${address}); allow-list it in SINAS_WEBHOOK_ALLOWLIST to use it`,
        field,
      );
  }
}

function parse(url: string, field: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ValidationError('the url is not a valid URL', field);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ValidationError('the url must be http or https', field);
  if (u.username || u.password) throw new ValidationError('the url must not carry credentials', field);
  return u;
}

/** the host without IPv6 brackets, lower-case */
export function hostOf(u: URL): string {
  return u.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}
