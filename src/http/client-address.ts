import { BlockList, isIP } from "node:net";
import { addressGroup, canonicalAddress } from "./ip-address.ts";
import type { Request } from "./types.ts";

/** The budget a request counts against: its client's address, or IPv6 network. */
export type ClientAddressOf = (req: Request) => string | undefined;

function family(address: string): "ipv4" | "ipv6" {
  return isIP(address) === 6 ? "ipv6" : "ipv4";
}

/**
 * The address a request comes from, for per-address limits, in one spelling (see
 * ip-address.ts), IPv6 grouped by its network. X-Forwarded-For is believed only hop by hop
 * from the socket's peer while each hop is a trusted proxy: anyone else can write that header.
 */
export function createClientAddressOf(
  trustedProxies: readonly string[],
  ipv6PrefixBits = 64,
): ClientAddressOf {
  const group = (address: string | undefined) =>
    address === undefined ? undefined : addressGroup(address, ipv6PrefixBits);
  if (trustedProxies.length === 0) {
    return (req) => group(canonicalAddress(req.socket?.remoteAddress));
  }
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address = "", bits] = entry.split("/");
    if (bits === undefined) trusted.addAddress(address, family(address));
    else trusted.addSubnet(address, Number(bits), family(address));
  }
  const isTrusted = (address: string) => trusted.check(address, family(address));
  return (req) => {
    let address = canonicalAddress(req.socket?.remoteAddress);
    const header = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").reverse();
    for (const hop of hops) {
      const next = canonicalAddress(hop);
      if (!address || !isTrusted(address) || !next) break;
      address = next;
    }
    return group(address);
  };
}
