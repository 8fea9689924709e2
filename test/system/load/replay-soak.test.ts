/**
 * A short soak of the refresh replay, in `npm test` (`npm run bench` runs 200,000): the real
 * src/main.ts in its own process, refreshes mixing distinct and repeated tokens over REST,
 * Connect and gRPC. The store stays at its bound, memory settles after warm-up, and every
 * answer is a 200.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReplayResult, soak } from "../../../bench/phases/replay.ts";
import { type FakeCognito, startFakeCognito } from "../../support/fake-cognito/index.ts";

const BOUND = 300;

describe("the refresh replay under a long mixed load", () => {
  let fake: FakeCognito;
  let result: ReplayResult["soak"];

  beforeAll(async () => {
    fake = await startFakeCognito();
    result = await soak({
      cognitoEnv: fake.env,
      refreshes: 16_000,
      bound: BOUND,
      warmup: 8000,
      nextToken: () => fake.issueRefreshToken(),
      log: () => undefined,
    });
  }, 120_000);

  afterAll(async () => {
    await fake?.close();
  });

  it("answers every refresh with a 200", () => {
    expect(result.statuses).toEqual({ "200": 16_000 });
  });

  it("keeps its store at the bound", () => {
    expect(result.storeEntries).toBeGreaterThan(0);
    expect(result.storeEntries).toBeLessThanOrEqual(BOUND);
  });

  it("grows its memory by less than 10 % after warm-up", () => {
    expect(result.rssAfterWarmupMb).toBeGreaterThan(0);
    expect(result.rssGrowthPercent).toBeLessThan(10);
  });
});
