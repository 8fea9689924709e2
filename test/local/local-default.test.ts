import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config.ts";
import { loopbackHost } from "../../src/local/local-default.ts";

describe("the development default's listener", () => {
  it("is 127.0.0.1 when HOST is unset", () => {
    expect(loopbackHost({})).toBe("127.0.0.1");
  });

  it.each(["127.0.0.1", "127.0.0.2", "::1", "localhost"])("may be %s", (host) => {
    expect(loopbackHost({ HOST: host })).toBe(host);
  });

  it.each(["0.0.0.0", "::", "10.0.0.5", "example.com"])(
    "refuses HOST=%s: it hands out demo tokens",
    (host) => {
      expect(() => loopbackHost({ HOST: host })).toThrow(ConfigError);
      expect(() => loopbackHost({ HOST: host })).toThrow(/^HOST: the embedded default/);
    },
  );
});
