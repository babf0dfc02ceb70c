/**
 * The one outbound guard (DESIGN §9): every call the platform makes to a URL someone gave it (event
 * webhooks today; connectors, spec URLs and content-part URLs as they come) asks it first. Only
 * http/https without credentials in the URL, to addresses the address policy lets through; a host
 * name is resolved and every address it resolves to must pass. Connections go through `lookup`,
 * which resolves and judges again and hands the socket only what passed, so a name that resolves
 * elsewhere by the time of the connection (DNS rebinding) gains nothing. Allow-listed host names
 * (exact), addresses and CIDRs pass whatever they are (SINAS_OUTBOUND_ALLOWLIST).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ValidationError } from '../../errors.js';
import { hostAddresses, judgeAddress, parseAddress, type AddressRules } from './address-policy.js';

export type Resolve = (host: string) => Promise<readonly LookupAddress[]>;

const systemResolve: Resolve = (host) => dnsLookup(host, { all: true, verbatim: true });

export interface OutboundGuardOptions {
  /** how host names are resolved (default: the system resolver) */
  readonly resolve?: Resolve;
  /** this host's own addresses (default: its network interfaces, asked at each check) */
  readonly ownAddresses?: () => Iterable<string>;
  /** the setting the refusal names as the way to allow a target */
  readonly allowlistSetting?: string;
}

type LookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void;

export class OutboundGuard {
  private readonly hosts: ReadonlySet<string>;
  private readonly rules: AddressRules;
  private readonly resolve: Resolve;
  private readonly setting: string;

  /** `allowlist`: host names (exact, case-insensitive), IP addresses and CIDRs */
  constructor(allowlist: readonly string[], options: OutboundGuardOptions = {}) {
    this.setting = options.allowlistSetting ?? 'SINAS_OUTBOUND_ALLOWLIST';
    const hosts = new Set<string>();
    const allowed: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
    for (const raw of allowlist) {
      const entry = raw.trim().toLowerCase();
      if (!entry) continue;
      const network = networkOf(entry, this.setting);
      if (network) allowed.push(network);
      else hosts.add(entry);
    }
    this.hosts = hosts;
    this.rules = { allowed, ownAddresses: options.ownAddresses ?? hostAddresses };
    this.resolve = options.resolve ?? systemResolve;
  }

  /** Throws a ValidationError naming `field` unless `url` is a target the platform may call. */
  async check(url: string | URL, field = 'url'): Promise<URL> {
    const u = parseTarget(url, field);
    const host = hostOf(u);
    if (this.hosts.has(host)) return u;
    if (isIP(host) !== 0) {
      this.assertPasses(host, field);
      return u;
    }
    let addresses: readonly LookupAddress[];
    try {
      addresses = await this.resolve(host);
    } catch {
      throw new ValidationError(`the host '${host}' of the url does not resolve`, field);
    }
    if (addresses.length === 0) throw new ValidationError(`the host '${host}' has no address`, field);
    for (const a of addresses) this.assertPasses(a.address, field);
    return u;
  }

  /**
   * A `lookup` for http.request and net.connect: resolves, refuses the connection unless every
   * address passes, and returns the checked addresses, so the socket connects to exactly what was
   * checked. (Node calls no lookup for an IP literal: `check` judges those.)
   */
  readonly lookup = (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const literal = isIP(host);
    const resolved: Promise<readonly LookupAddress[]> =
      literal !== 0 ? Promise.resolve([{ address: host, family: literal }]) : this.resolve(host);
    resolved
      .then((addresses) => {
        if (!this.hosts.has(host)) for (const a of addresses) this.assertPasses(a.address, 'url');
        if (options.all) return callback(null, [...addresses]);
        const first = addresses[0];
        if (!first) return callback(new Error(`the host '${host}' has no address`), '');
        callback(null, first.address, first.family);
      })
      .catch((err: Error) => callback(err, ''));
  };

  private assertPasses(address: string, field: string): void {
    const verdict = judgeAddress(address, this.rules);
    if (!verdict.ok)
      throw new ValidationError(
        `the url points at an address outbound calls may not reach: ${verdict.why}; allow-list it in ${this.setting} to use it`,
        field,
      );
  }
}

/** Throws a ValidationError naming `setting` for an entry that looks like a CIDR but is none. */
export function checkAllowlist(allowlist: readonly string[], setting: string): void {
  for (const raw of allowlist) if (raw.trim()) networkOf(raw.trim().toLowerCase(), setting);
}

/** An allow-list entry as a network, or undefined for a host name. */
function networkOf(entry: string, setting: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  const [addr, bits, extra] = entry.split('/');
  const a = parseAddress(addr!);
  if (!a) {
    if (bits !== undefined) throw new ValidationError(`${setting}: '${entry}' is not a CIDR`, setting);
    return undefined;
  }
  const max = a.kind() === 'ipv4' ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max || bits === '')
    throw new ValidationError(`${setting}: '${entry}' is not a CIDR`, setting);
  // an IPv4-mapped entry (::ffff:a.b.c.d/n) is read as the IPv4 network it maps
  return [a, a.kind() === 'ipv4' && addr!.includes(':') ? Math.max(0, prefix - 96) : prefix];
}

/** The URL, if it is one an outbound call may use at all (whatever its host). */
export function parseTarget(url: string | URL, field: string): URL {
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
