/**
 * Which IP addresses an outbound call may reach (DESIGN §9): public unicast only, judged by the
 * ranges ipaddr.js keeps (not a hand-written list), never one of this host's own addresses, unless
 * allow-listed. An IPv6 address that carries an IPv4 one (IPv4-mapped, IPv4-compatible, NAT64, 6to4,
 * Teredo) is judged by the IPv4 address it carries, so no IPv6 spelling reaches what IPv4 may not.
 */
import { isIP } from 'node:net';
import os from 'node:os';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly why: string };

export interface AddressRules {
  /** allow-listed networks (an address is a network of one) */
  readonly allowed: readonly (readonly [Address, number])[];
  /** this host's addresses, asked at each check (interfaces come and go) */
  readonly ownAddresses: () => Iterable<string>;
}

/** what a range ipaddr.js names is, for the refusal's message */
const RANGE_NAMES: Readonly<Record<string, string>> = {
  unspecified: 'an unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address',
  private: 'a private address',
  reserved: 'a reserved or documentation address',
  uniqueLocal: 'a unique-local address',
  deprecatedSiteLocal: 'a site-local address',
  benchmarking: 'a benchmarking address',
};

/** IANA's global unicast block: every public IPv6 address lies in it */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

/** The interface addresses of this host, as os.networkInterfaces() lists them now. */
export function hostAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

/** Parses an address as an IP (an IPv6 zone dropped); undefined when it is none. */
export function parseAddress(text: string): Address | undefined {
  const bare = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (isIP(bare) === 0) return undefined; // not ipaddr.isValid: it takes '1' for 0.0.0.1
  const a = ipaddr.parse(bare);
  return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()
    ? (a as ipaddr.IPv6).toIPv4Address()
    : a;
}

export function judgeAddress(text: string, rules: AddressRules): Verdict {
  const a = parseAddress(text);
  if (!a) return { ok: false, why: `${text} is not an IP address` };
  return judge(a, rules);
}

function judge(a: Address, rules: AddressRules): Verdict {
  if (rules.allowed.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits))) return { ok: true };
  const normal = a.toNormalizedString();
  for (const own of rules.ownAddresses())
    if (parseAddress(own)?.toNormalizedString() === normal)
      return { ok: false, why: `${a.toString()} is an address of this host` };
  if (a.kind() === 'ipv4') {
    const range = a.range();
    return range === 'unicast' ? { ok: true } : refused(a, range);
  }
  const v6 = a as ipaddr.IPv6;
  const carried = embeddedIPv4(v6);
  if (carried === undefined) {
    const range = v6.range();
    return range === 'unicast' && v6.match(GLOBAL_UNICAST_V6) ? { ok: true } : refused(v6, range);
  }
  if (carried.length === 0) return refused(v6, v6.range());
  for (const inner of carried) {
    const v = judge(inner, rules);
    if (!v.ok) return { ok: false, why: `${v6.toString()} carries ${inner.toString()}: ${v.why}` };
  }
  return { ok: true };
}

function refused(a: Address, range: string): Verdict {
  const what = RANGE_NAMES[range] ?? `not a public unicast address (${range})`;
  return { ok: false, why: `${a.toString()} is ${what}` };
}

const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);

/**
 * The IPv4 addresses an IPv6 address carries: undefined when it carries none, [] when it is a
 * translation form whose IPv4 address cannot be read here (refused).
 */
function embeddedIPv4(a: ipaddr.IPv6): ipaddr.IPv4[] | undefined {
  const p = a.parts;
  switch (a.range()) {
    case 'rfc6052': // NAT64: the well-known prefix carries it last; a local-use prefix (RFC 8215) is private
      return a.match(NAT64_WELL_KNOWN) ? [v4(p[6]!, p[7]!)] : [];
    case 'rfc6145': // IPv4-translated (SIIT)
      return [v4(p[6]!, p[7]!)];
    case '6to4': // 2002:AABB:CCDD::/48 routes to AA.BB.CC.DD
      return [v4(p[1]!, p[2]!)];
    case 'teredo': // the Teredo server, and the client's address with every bit flipped
      return [v4(p[2]!, p[3]!), v4(~p[6]! & 0xffff, ~p[7]! & 0xffff)];
    case 'unicast': // IPv4-compatible (::a.b.c.d, deprecated), which ipaddr.js calls unicast
      return p.slice(0, 6).every((x) => x === 0) ? [v4(p[6]!, p[7]!)] : undefined;
    default:
      return undefined;
  }
}
