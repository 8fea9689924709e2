import { describe, expect, it } from "vitest";
import type { IdentityProvider, ProviderTokens } from "../../src/refresh/ports.ts";
import { RefreshError } from "../../src/refresh/refresh-error.ts";
import { replaying } from "../../src/refresh/replay.ts";
import { tokenKey } from "../../src/refresh/token-key.ts";
import { createMemoryReplayStore } from "../../src/replay/memory-replay-store.ts";

const WINDOW_MS = 10_000;

/** A provider that rotates: each call answers new tokens, counted; `next` scripts a failure. */
function rotatingProvider() {
  let calls = 0;
  let release: (() => void) | undefined;
  let failWith: RefreshError | undefined;
  let hold = false;
  const provider: IdentityProvider = {
    async refresh(): Promise<ProviderTokens> {
      calls += 1;
      const n = calls;
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      if (failWith) throw failWith;
      return {
        accessToken: `access-token-${n}`,
        idToken: `id-token-${n}`,
        expiresIn: 3600,
        refreshToken: `refresh-token-${n}`,
      };
    },
  };
  return {
    provider,
    calls: () => calls,
    refuseWith(error: RefreshError | undefined) {
      failWith = error;
    },
    holdCalls(on: boolean) {
      hold = on;
    },
    release: () => release?.(),
  };
}

function setup() {
  let now = 1_000_000;
  const upstream = rotatingProvider();
  const store = createMemoryReplayStore(100, () => now);
  const replay = replaying(upstream.provider, {
    store,
    windowMs: WINDOW_MS,
    claimMs: 6000,
    clock: () => now,
  });
  return {
    upstream,
    store,
    replay,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe("the refresh replay window", () => {
  it("answers a second refresh of a token with the first answer, without an upstream call", async () => {
    const { upstream, replay, advance } = setup();
    const first = await replay.refresh("token-T");
    advance(2_500);
    const second = await replay.refresh("token-T");
    expect(upstream.calls()).toBe(1);
    expect(second).toEqual({ ...first, expiresIn: 3598 });
    expect(second.refreshToken).toBe(first.refreshToken);
  });

  it("asks upstream again once the window has passed", async () => {
    const { upstream, replay, advance } = setup();
    await replay.refresh("token-T");
    advance(WINDOW_MS);
    const later = await replay.refresh("token-T");
    expect(upstream.calls()).toBe(2);
    expect(later.accessToken).toBe("access-token-2");
  });

  it("keeps no refusal: the next refresh asks upstream again", async () => {
    const { upstream, replay } = setup();
    upstream.refuseWith(new RefreshError("unauthorized"));
    await expect(replay.refresh("token-T")).rejects.toMatchObject({ kind: "unauthorized" });
    upstream.refuseWith(undefined);
    await expect(replay.refresh("token-T")).resolves.toMatchObject({
      accessToken: "access-token-2",
    });
    expect(upstream.calls()).toBe(2);
  });

  it("forgets a revoked token's answer", async () => {
    const { upstream, replay } = setup();
    await replay.refresh("token-T");
    await replay.forget(tokenKey("token-T"));
    await replay.refresh("token-T");
    expect(upstream.calls()).toBe(2);
  });

  it("does not keep the answer of a call still running when the token is revoked", async () => {
    const { upstream, replay } = setup();
    upstream.holdCalls(true);
    const running = replay.refresh("token-T");
    await new Promise((resolve) => setImmediate(resolve));
    await replay.forget(tokenKey("token-T"));
    upstream.release();
    await running;
    upstream.holdCalls(false);
    await replay.refresh("token-T");
    expect(upstream.calls()).toBe(2);
  });

  it("keeps each token's answer apart", async () => {
    const { upstream, replay } = setup();
    const a = await replay.refresh("token-A");
    const b = await replay.refresh("token-B");
    expect(upstream.calls()).toBe(2);
    expect(a.accessToken).not.toBe(b.accessToken);
  });

  it("finishes an upstream call its caller left, and a retry gets that call's answer", async () => {
    const { upstream, replay } = setup();
    upstream.holdCalls(true);
    const gone = new AbortController();
    const first = replay.refresh("token-T", gone.signal);
    await new Promise((resolve) => setImmediate(resolve));
    gone.abort(new Error("client went away"));
    await expect(first).rejects.toThrow("client went away");
    const retry = replay.refresh("token-T");
    upstream.release();
    await expect(retry).resolves.toMatchObject({
      accessToken: "access-token-1",
      refreshToken: "refresh-token-1",
    });
    expect(upstream.calls()).toBe(1);
    // And after the call settled, from the window.
    await expect(replay.refresh("token-T")).resolves.toMatchObject({
      accessToken: "access-token-1",
    });
    expect(upstream.calls()).toBe(1);
  });

  it("keeps only sealed values: no token, and nothing another token opens", async () => {
    const { store, replay } = setup();
    const answer = await replay.refresh("token-T");
    const sealed = await store.get(tokenKey("token-T"));
    expect(sealed).toBeDefined();
    for (const part of [answer.accessToken, answer.idToken, "refresh-token-1", "token-T"]) {
      expect(sealed).not.toContain(part);
    }
    // The same value under another token's key is not an answer for that token.
    await store.put(tokenKey("token-U"), sealed as string, WINDOW_MS);
    const other = await replay.refresh("token-U");
    expect(other.accessToken).toBe("access-token-2");
  });
});
