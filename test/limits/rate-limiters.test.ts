// The limiters built from the settings, and the 0 that turns each one off.
import { describe, expect, it } from "vitest";
import { createRateLimiters } from "../../src/limits/rate-limiters.ts";

describe("createRateLimiters", () => {
  const settings = {
    perAddressPerMinute: 300,
    failuresPerToken: 5,
    failureWindowSeconds: 900,
    redisUrl: undefined,
  };

  it("builds both limiters from the settings", async () => {
    const limiters = createRateLimiters(settings);
    expect(limiters.addressLimiter).toBeDefined();
    expect(limiters.tokenFailureLimiter).toBeDefined();
    for (let i = 0; i < 5; i++) await limiters.tokenFailureLimiter?.consume("k");
    expect(await limiters.tokenFailureLimiter?.blockedFor("k")).toBeGreaterThan(800);
    expect(await limiters.addressLimiter?.blockedFor("k")).toBe(0);
  });

  it("turns each limit off with 0", () => {
    const off = createRateLimiters({
      ...settings,
      perAddressPerMinute: 0,
      failuresPerToken: 0,
    });
    expect(off).toMatchObject({ addressLimiter: undefined, tokenFailureLimiter: undefined });
    expect(off.storeState()).toBe("memory");
  });
});
