/**
 * coalesce(): identical refresh tokens in flight share one upstream call and its outcome;
 * different tokens never share; nothing outlives the call; the map is keyed by a hash.
 * Tokens here are synthetic strings, never real credentials, and are never printed.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { coalesce } from "../../src/refresh/coalesce.ts";
import type { IdentityProvider, ProviderTokens } from "../../src/refresh/ports.ts";
import { RefreshError } from "../../src/refresh/refresh-error.ts";
import { tokenKey } from "../../src/refresh/token-key.ts";

const TOKEN_A = "token.a.synthetic";
const TOKEN_B = "token.b.synthetic";

interface Pending {
  token: string;
  signal: AbortSignal | undefined;
  resolve(tokens: ProviderTokens): void;
  reject(reason: unknown): void;
}

/** An inner provider whose calls stay in flight until the test settles them. */
function heldProvider() {
  const calls: Pending[] = [];
  const provider: IdentityProvider = {
    refresh(token, signal) {
      return new Promise<ProviderTokens>((resolve, reject) => {
        calls.push({ token, signal, resolve, reject });
      });
    },
  };
  return { provider, calls };
}

const tokensFor = (name: string): ProviderTokens => ({
  accessToken: `access.${name}`,
  idToken: `id.${name}`,
  expiresIn: 3600,
});

/** Settled outcome without letting a rejection go unhandled. */
function outcome<T>(promise: Promise<T>) {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("identical tokens in flight", () => {
  it("share one inner call and all receive the same success", async () => {
    const { provider, calls } = heldProvider();
    const shared = coalesce(provider);
    const answers = Array.from({ length: 10 }, () => shared.refresh(TOKEN_A));
    expect(calls).toHaveLength(1);
    expect(shared.inFlight()).toBe(1);
    const result = tokensFor("a");
    calls[0]?.resolve(result);
    for (const answer of await Promise.all(answers)) {
      expect(answer).toBe(result);
    }
  });

  it("share one inner call and all receive the same failure", async () => {
    const { provider, calls } = heldProvider();
    const shared = coalesce(provider);
    const answers = Array.from({ length: 5 }, () => outcome(shared.refresh(TOKEN_A)));
    expect(calls).toHaveLength(1);
    const refusal = new RefreshError("unauthorized");
    calls[0]?.reject(refusal);
    const settled = await Promise.all(answers);
    for (const answer of settled) {
      expect(answer).toEqual({ ok: false, error: refusal });
      expect(answer.ok ? undefined : answer.error).toBe(refusal);
    }
  });
});

describe("different tokens", () => {
  it("never share a call or a result", async () => {
    const { provider, calls } = heldProvider();
    const shared = coalesce(provider);
    const a = shared.refresh(TOKEN_A);
    const b = shared.refresh(TOKEN_B);
    expect(calls.map((call) => call.token)).toEqual([TOKEN_A, TOKEN_B]);
    expect(shared.inFlight()).toBe(2);
    calls[1]?.resolve(tokensFor("b"));
    calls[0]?.reject(new RefreshError("unavailable"));
    expect(await b).toEqual(tokensFor("b"));
    expect((await outcome(a)).ok).toBe(false);
  });

  it("does not share between tokens that differ by one character", async () => {
    const { provider, calls } = heldProvider();
    const shared = coalesce(provider);
    void shared.refresh(TOKEN_A);
    void shared.refresh(`${TOKEN_A}x`);
    expect(calls).toHaveLength(2);
    for (const call of calls) call.resolve(tokensFor("x"));
  });
});

describe("the entry's lifetime", () => {
  it("is gone once the call succeeds, so a later call goes upstream again", async () => {
    const { provider, calls } = heldProvider();
    const shared = coalesce(provider);
    const first = shared.refresh(TOKEN_A);
    calls[0]?.resolve(tokensFor("first"));
    await first;
    expect(shared.inFlight()).toBe(0);
    const second = shared.refresh(TOKEN_A);
    expect(calls).toHaveLength(2);
    calls[1]?.resolve(tokensFor("second"));
    expect(await second).toEqual(tokensFor("second"));
    expect(shared.inFlight()).toBe(0);
  });

  it("is gone once the call fails, so a failure is never cached", async () => {
    const { provider, calls } = heldProvider();
    const shared = coalesce(provider);
    const first = outcome(shared.refresh(TOKEN_A));
    calls[0]?.reject(new RefreshError("unavailable"));
    expect((await first).ok).toBe(false);
    expect(shared.inFlight()).toBe(0);
    const second = shared.refresh(TOKEN_A);
    expect(calls).toHaveLength(2);
    calls[1]?.resolve(tokensFor("second"));
    expect(await second).toEqual(tokensFor("second"));
  });
});

describe("forgetting a token (revocation)", () => {
  it("lets later callers start a call of their own while the forgotten one finishes", async () => {
    const { provider, calls } = heldProvider();
    const shared = coalesce(provider);
    const before = shared.refresh(TOKEN_A);
    shared.forget(tokenKey(TOKEN_A));
    const after = shared.refresh(TOKEN_A);
    expect(calls).toHaveLength(2);
    calls[0]?.resolve(tokensFor("old"));
    calls[1]?.reject(new RefreshError("unauthorized"));
    expect(await outcome(before)).toEqual({ ok: true, value: tokensFor("old") });
    expect(await outcome(after)).toMatchObject({ ok: false, error: { kind: "unauthorized" } });
  });

  it("keeps the newer call joinable when the forgotten one settles", async () => {
    const { provider, calls } = heldProvider();
    const shared = coalesce(provider);
    const first = shared.refresh(TOKEN_A);
    shared.forget(tokenKey(TOKEN_A));
    const second = shared.refresh(TOKEN_A);
    calls[0]?.resolve(tokensFor("old"));
    await first;
    expect(shared.inFlight()).toBe(1);
    const third = shared.refresh(TOKEN_A);
    expect(calls).toHaveLength(2);
    calls[1]?.resolve(tokensFor("new"));
    expect(await Promise.all([second, third])).toEqual([tokensFor("new"), tokensFor("new")]);
    expect(shared.inFlight()).toBe(0);
  });
});

describe("a caller that gives up", () => {
  it("ends only its own wait: the others and the shared call carry on", async () => {
    const { provider, calls } = heldProvider();
    const shared = coalesce(provider);
    const leaving = new AbortController();
    const staying = new AbortController();
    const left = outcome(shared.refresh(TOKEN_A, leaving.signal));
    const stayed = shared.refresh(TOKEN_A, staying.signal);
    const unsignalled = shared.refresh(TOKEN_A);
    const reason = new Error("client went away");
    leaving.abort(reason);
    expect(await left).toEqual({ ok: false, error: reason });
    // The shared call never saw any caller's signal, so nothing aborted it.
    expect(calls).toHaveLength(1);
    expect(calls[0]?.signal?.aborted ?? false).toBe(false);
    expect(shared.inFlight()).toBe(1);
    calls[0]?.resolve(tokensFor("a"));
    expect(await stayed).toEqual(tokensFor("a"));
    expect(await unsignalled).toEqual(tokensFor("a"));
    expect(shared.inFlight()).toBe(0);
  });

  it("rejects at once when already aborted, without disturbing a call in flight", async () => {
    const { provider, calls } = heldProvider();
    const shared = coalesce(provider);
    const waiting = shared.refresh(TOKEN_A);
    const gone = AbortSignal.abort(new Error("already gone"));
    expect((await outcome(shared.refresh(TOKEN_A, gone))).ok).toBe(false);
    expect(calls).toHaveLength(1);
    calls[0]?.resolve(tokensFor("a"));
    expect(await waiting).toEqual(tokensFor("a"));
  });
});

describe("the key", () => {
  it("is a fixed-length hash that neither is nor contains the token", () => {
    const long = "x".repeat(5000);
    for (const token of [TOKEN_A, TOKEN_B, long]) {
      const key = tokenKey(token);
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(key).not.toContain(token);
      expect(tokenKey(token)).toBe(key);
    }
    expect(tokenKey(TOKEN_A)).not.toBe(tokenKey(TOKEN_B));
  });

  it("is what the map holds, while the inner provider still receives the real token", async () => {
    const keys: unknown[] = [];
    const realSet = Map.prototype.set;
    vi.spyOn(Map.prototype, "set").mockImplementation(function (
      this: Map<unknown, unknown>,
      key,
      value,
    ) {
      keys.push(key);
      return realSet.call(this, key, value);
    });
    const { provider, calls } = heldProvider();
    const shared = coalesce(provider);
    const answer = shared.refresh(TOKEN_A);
    vi.restoreAllMocks();
    expect(calls[0]?.token).toBe(TOKEN_A);
    expect(keys).toContain(tokenKey(TOKEN_A));
    expect(keys.some((key) => typeof key === "string" && key.includes(TOKEN_A))).toBe(false);
    calls[0]?.resolve(tokensFor("a"));
    await answer;
  });
});
