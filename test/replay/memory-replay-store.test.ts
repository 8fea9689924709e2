import { describe, expect, it } from "vitest";
import { createMemoryReplayStore } from "../../src/replay/memory-replay-store.ts";

const WINDOW_MS = 10_000;

describe("one replica's replay store", () => {
  it("holds at most its bound, pushing out the oldest first", async () => {
    const store = createMemoryReplayStore(2);
    await store.put("k1", "v1", WINDOW_MS);
    await store.put("k2", "v2", WINDOW_MS);
    await store.put("k3", "v3", WINDOW_MS);
    expect(store.size()).toBe(2);
    expect(await store.get("k1")).toBeUndefined();
    expect(await store.get("k3")).toBe("v3");
  });

  it("drops an entry past its time", async () => {
    let now = 0;
    const store = createMemoryReplayStore(10, () => now);
    await store.put("k", "v", 1000);
    now = 1000;
    expect(await store.get("k")).toBeUndefined();
    expect(store.size()).toBe(0);
  });
});

describe("a forgotten key", () => {
  it("keeps out an answer put for it while the mark lasts, then takes one again", async () => {
    let now = 0;
    const store = createMemoryReplayStore(10, () => now);
    await store.forget("k", 500);
    await store.put("k", "late answer", WINDOW_MS);
    expect(await store.get("k")).toBeUndefined();
    now = 500;
    await store.put("k", "new answer", WINDOW_MS);
    expect(await store.get("k")).toBe("new answer");
  });
});
