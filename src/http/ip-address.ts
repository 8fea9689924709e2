import { isIP } from "node:net";

/**
 * One spelling per address, so that writing an address differently never buys a fresh rate
 * limit budget: brackets and a port dropped (`[2001:db8::1]:443`, `198.51.100.21:51`), an IPv6
 * zone dropped (`fe80::1%eth0`), IPv6 in RFC 5952 form (lower case, zeros compressed), and an
 * IPv4-mapped IPv6 address (`::ffff:203.0.113.7`) as the IPv4 address it is. Undefined for
 * anything that is not an address.
 */
export function canonicalAddress(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let text = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed?.[1]) text = bracketed[1];
  else if (/^[\d.]+:\d{1,5}$/.test(text)) text = text.slice(0, text.lastIndexOf(":"));
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return undefined;
  // The WHATWG URL parser serialises IPv6 hosts in the RFC 5952 form.
  const v6 = new URL(`http://[${text}]`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (mapped) {
    const high = Number.parseInt(mapped[1] ?? "0", 16);
    const low = Number.parseInt(mapped[2] ?? "0", 16);
    return [high >> 8, high & 255, low >> 8, low & 255].join(".");
  }
  return v6;
}

/**
 * The network an IPv6 address belongs to, as `<network>/<bits>`: one holder usually gets a
 * whole /64 (or more), so counting each address alone lets one client take as many budgets
 * as it has addresses. IPv4 addresses are their own.
 */
export function addressGroup(address: string, ipv6PrefixBits: number): string {
  if (!address.includes(":") || ipv6PrefixBits >= 128) return address;
  const groups = expand(address);
  const masked = groups.map((group, index) => {
    const bitsBefore = index * 16;
    if (bitsBefore >= ipv6PrefixBits) return 0;
    const keep = Math.min(16, ipv6PrefixBits - bitsBefore);
    return group & (0xffff << (16 - keep)) & 0xffff;
  });
  const network = new URL(`http://[${masked.map((g) => g.toString(16)).join(":")}]`).hostname;
  return `${network.slice(1, -1)}/${ipv6PrefixBits}`;
}

/** The eight 16-bit groups of a canonical IPv6 address. */
function expand(address: string): number[] {
  const [head = "", tail] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = tail === undefined ? [] : tail ? tail.split(":") : [];
  const zeros =
    tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16));
}
