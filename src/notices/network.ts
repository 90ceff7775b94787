import { isIPv4, isIPv6 } from 'node:net';

/**
 * The network an address belongs to, for "used from a new network" notices: the /24 of an
 * IPv4 address, the /48 of an IPv6 one (a typical site allocation). IPv4-mapped IPv6
 * addresses count as IPv4. Undefined for anything that is not an address.
 */
export function networkOf(ip: string | null | undefined): string | undefined {
  if (!ip) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = mapped ? mapped[1] : ip;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  if (!isIPv6(ip)) return undefined;
  return `${expandIPv6(ip).slice(0, 3).join(':')}::/48`;
}

/** The eight 16-bit groups of an IPv6 address, each in lower-case hex without leading zeros. */
function expandIPv6(ip: string): string[] {
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g, 16).toString(16));
}
