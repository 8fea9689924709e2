// The in-memory limiter on rate-limiter-flexible: points per key, the seconds to wait, and a
// look that does not count.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createMemoryRateLimiter } from "../../src/limits/memory-rate-limiter.ts";

describe("createMemoryRateLimiter", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("lets `points` hits through per key, then answers the seconds to wait", async () => {
    const limiter = createMemoryRateLimiter({ points: 3, durationSeconds: 60, keyPrefix: "t1" });
    expect([
      await limiter.consume("a"),
      await limiter.consume("a"),
      await limiter.consume("a"),
    ]).toEqual([0, 0, 0]);
    const wait = await limiter.consume("a");
    expect(wait).toBeGreaterThanOrEqual(59);
    expect(wait).toBeLessThanOrEqual(60);
    expect(await limiter.consume("b")).toBe(0);
  });

  it("blockedFor looks without counting", async () => {
    const limiter = createMemoryRateLimiter({ points: 2, durationSeconds: 60, keyPrefix: "t2" });
    expect(await limiter.blockedFor("never-seen")).toBe(0);
    for (let i = 0; i < 10; i++) expect(await limiter.blockedFor("a")).toBe(0);
    expect(await limiter.consume("a")).toBe(0);
    expect(await limiter.blockedFor("a")).toBe(0);
    expect(await limiter.consume("a")).toBe(0);
    // Once the points are spent, the key is blocked: the next consume would be refused.
    expect(await limiter.blockedFor("a")).toBeGreaterThanOrEqual(59);
    expect(await limiter.blockedFor("b")).toBe(0);
  });

  it("never answers less than one second, and frees the key when the window ends", async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const limiter = createMemoryRateLimiter({ points: 1, durationSeconds: 2, keyPrefix: "t3" });
    expect(await limiter.consume("a")).toBe(0);
    vi.advanceTimersByTime(1990);
    expect(await limiter.consume("a")).toBe(1);
    expect(await limiter.blockedFor("a")).toBe(1);
    vi.advanceTimersByTime(20);
    expect(await limiter.blockedFor("a")).toBe(0);
    expect(await limiter.consume("a")).toBe(0);
  });
});
