import { BlockList, isIP } from "node:net";
import type { Request } from "./http-types.ts";

export type ClientAddressOf = (req: Request) => string | undefined;

function plain(address: string | undefined): string | undefined {
  // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
  return address?.startsWith("::ffff:") && isIP(address.slice(7)) === 4
    ? address.slice(7)
    : address;
}

function family(address: string): "ipv4" | "ipv6" {
  return isIP(address) === 6 ? "ipv6" : "ipv4";
}

/**
 * The address a request comes from, for per-address limits. X-Forwarded-For
 * is believed only hop by hop from the socket's peer while each hop is a
 * trusted proxy: anyone else can write that header.
 */
export function createClientAddressOf(trustedProxies: readonly string[]): ClientAddressOf {
  if (trustedProxies.length === 0) {
    return (req) => plain(req.socket?.remoteAddress);
  }
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address = "", bits] = entry.split("/");
    if (bits === undefined) trusted.addAddress(address, family(address));
    else trusted.addSubnet(address, Number(bits), family(address));
  }
  const isTrusted = (address: string) => trusted.check(address, family(address));
  return (req) => {
    let address = plain(req.socket?.remoteAddress);
    const header = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(header) ? header.join(",") : (header ?? ""))
      .split(",")
      .map((hop) => plain(hop.trim()) ?? "")
      .reverse();
    for (const hop of hops) {
      if (!address || !isIP(address) || !isTrusted(address) || !isIP(hop)) {
        break;
      }
      address = hop;
    }
    return address;
  };
}
