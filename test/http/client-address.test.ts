/**
 * createClientAddressOf(): the address the per-address limit counts. X-Forwarded-For is
 * believed only hop by hop from the socket's peer, and only through the TRUST_PROXY list;
 * anything a client can write itself must not buy it a fresh budget.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.ts";
import { createClientAddressOf } from "../../src/http/client-address.ts";
import type { Request } from "../../src/http/types.ts";

function request(remoteAddress: string | undefined, xff?: string | string[]): Request {
  const headers = xff === undefined ? {} : { "x-forwarded-for": xff };
  return { socket: { remoteAddress }, headers } as unknown as Request;
}

/** The trusted proxies as TRUST_PROXY would give them, through the real config parser. */
function trusting(trustProxy: string) {
  const env = {
    COGNITO_USER_POOL_ID: "us-east-1_AbC123",
    COGNITO_CLIENT_ID: "client123",
    TRUST_PROXY: trustProxy,
  };
  return createClientAddressOf(loadConfig(env).rateLimit.trustedProxies);
}

describe("without TRUST_PROXY", () => {
  const addressOf = createClientAddressOf([]);

  it("is the socket's peer", () => {
    expect(addressOf(request("203.0.113.7"))).toBe("203.0.113.7");
    expect(addressOf(request("2001:db8::7"))).toBe("2001:db8::/64");
  });

  it("ignores X-Forwarded-For entirely", () => {
    expect(addressOf(request("203.0.113.7", "198.51.100.1"))).toBe("203.0.113.7");
    expect(addressOf(request("127.0.0.1", "198.51.100.1, 10.0.0.1"))).toBe("127.0.0.1");
  });

  it("shows an IPv4 client on a dual-stack socket as plain IPv4", () => {
    expect(addressOf(request("::ffff:203.0.113.7"))).toBe("203.0.113.7");
  });
});

describe("with TRUST_PROXY=10.0.0.0/8 and a request from the proxy 10.1.2.3", () => {
  const addressOf = trusting("10.0.0.0/8");
  const viaProxy = (xff?: string | string[]) => addressOf(request("10.1.2.3", xff));

  it("is the client the proxy names", () => {
    expect(viaProxy("203.0.113.7")).toBe("203.0.113.7");
  });

  it("is the rightmost untrusted hop: entries the client wrote itself are ignored", () => {
    expect(viaProxy("198.51.100.66, 203.0.113.7")).toBe("203.0.113.7");
    expect(viaProxy("1.1.1.1, 2.2.2.2, 203.0.113.7")).toBe("203.0.113.7");
  });

  it("walks through a chain of trusted proxies", () => {
    expect(viaProxy("198.51.100.66, 203.0.113.7, 10.9.9.9, 10.0.0.5")).toBe("203.0.113.7");
  });

  it("stops at the first untrusted hop even when a spoofed entry left of it looks trusted", () => {
    expect(viaProxy("10.200.0.1, 203.0.113.7")).toBe("203.0.113.7");
  });

  it("joins repeated X-Forwarded-For headers in order", () => {
    expect(viaProxy(["198.51.100.66", "203.0.113.7"])).toBe("203.0.113.7");
  });

  it("tolerates spaces around entries", () => {
    expect(viaProxy("  198.51.100.66 ,203.0.113.7  ")).toBe("203.0.113.7");
  });

  it("is the proxy itself when the header is absent or empty", () => {
    expect(viaProxy()).toBe("10.1.2.3");
    expect(viaProxy("")).toBe("10.1.2.3");
  });

  it("believes nothing past a hop that is not an address", () => {
    for (const garbage of ["not-an-ip", "unknown", "<script>", ",,,", "\u0000"]) {
      expect(viaProxy(garbage)).toBe("10.1.2.3");
    }
    expect(viaProxy("203.0.113.7, garbage")).toBe("10.1.2.3");
    expect(viaProxy("garbage, 203.0.113.7")).toBe("203.0.113.7");
    expect(viaProxy("203.0.113.7, 10.0.0.5, 999.1.1.1")).toBe("10.1.2.3");
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", () => {
    expect(addressOf(request("203.0.113.9", "198.51.100.1"))).toBe("203.0.113.9");
    expect(addressOf(request("11.0.0.1", "198.51.100.1"))).toBe("11.0.0.1");
  });

  it("reads ::ffff: mapped addresses as IPv4, on the socket and in the header", () => {
    expect(addressOf(request("::ffff:10.1.2.3", "203.0.113.7"))).toBe("203.0.113.7");
    expect(viaProxy("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(viaProxy("203.0.113.7, ::ffff:10.0.0.5")).toBe("203.0.113.7");
  });

  it("passes an IPv6 client through an IPv4 proxy", () => {
    expect(viaProxy("2001:db8::7")).toBe("2001:db8::/64");
  });
});

describe("with IPv6 and several entries in TRUST_PROXY", () => {
  const addressOf = trusting("fd00::/8, 127.0.0.1, ::1");

  it("trusts peers inside an IPv6 CIDR and not outside it", () => {
    expect(addressOf(request("fd12:3456::1", "2001:db8::7"))).toBe("2001:db8::/64");
    expect(addressOf(request("fe80::1", "2001:db8::7"))).toBe("fe80::/64");
  });

  it("trusts single addresses of either family", () => {
    expect(addressOf(request("127.0.0.1", "203.0.113.7"))).toBe("203.0.113.7");
    expect(addressOf(request("::1", "203.0.113.7"))).toBe("203.0.113.7");
    expect(addressOf(request("127.0.0.2", "203.0.113.7"))).toBe("127.0.0.2");
  });

  it("walks an IPv6 proxy chain to the rightmost untrusted hop", () => {
    expect(addressOf(request("::1", "2001:db8:1::99, 2001:db8:2::7, fd00::5"))).toBe(
      "2001:db8:2::/64",
    );
  });
});

describe("one spelling per client", () => {
  const viaProxy = (xff: string) => trusting("127.0.0.1")(request("127.0.0.1", xff));

  it.each(["2001:db8:77::1", "2001:DB8:77::1", "2001:0db8:0077::1", "2001:db8:77:0::1%eth0"])(
    "counts %s as its /64",
    (spelling) => {
      expect(createClientAddressOf([])(request(spelling))).toBe("2001:db8:77::/64");
      expect(viaProxy(spelling)).toBe("2001:db8:77::/64");
    },
  );

  it("counts eight addresses of one /64 as one client", () => {
    const keys = new Set(
      Array.from({ length: 8 }, (_, i) => viaProxy(`2001:db8:77::${(i + 1).toString(16)}:1`)),
    );
    expect([...keys]).toEqual(["2001:db8:77::/64"]);
  });

  it("groups IPv6 by RATE_LIMIT_IPV6_PREFIX bits", () => {
    const env = (prefix: string) => ({
      COGNITO_USER_POOL_ID: "us-east-1_AbC123",
      COGNITO_CLIENT_ID: "client123",
      RATE_LIMIT_IPV6_PREFIX: prefix,
    });
    const of = (prefix: string, address: string) => {
      const { trustedProxies, ipv6PrefixBits } = loadConfig(env(prefix)).rateLimit;
      return createClientAddressOf(trustedProxies, ipv6PrefixBits)(request(address));
    };
    expect(of("48", "2001:db8:77:ab::1")).toBe("2001:db8:77::/48");
    expect(of("56", "2001:db8:77:abcd::1")).toBe("2001:db8:77:ab00::/56");
    expect(of("128", "2001:db8:77::1")).toBe("2001:db8:77::1");
  });

  it("counts an IPv4-mapped IPv6 address as IPv4, however written", () => {
    for (const mapped of ["::ffff:203.0.113.7", "::FFFF:203.0.113.7", "0:0:0:0:0:ffff:cb00:7107"]) {
      expect(viaProxy(mapped)).toBe("203.0.113.7");
    }
  });

  it("reads the address out of ports and brackets in X-Forwarded-For", () => {
    expect(viaProxy("198.51.100.21:51")).toBe("198.51.100.21");
    expect(viaProxy("[2001:db8::1]:443")).toBe("2001:db8::/64");
    expect(viaProxy("[2001:db8::1]")).toBe("2001:db8::/64");
  });
});
