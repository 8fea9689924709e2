/**
 * The REST route on a plain server with a stub use case: what it hands the use case. Its
 * answers to hostile input are in test/system/hostile/rest-route.test.ts. Tokens are
 * synthetic strings.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { TokenInput } from "../../src/refresh/token-input.ts";
import { createRestRoute } from "../../src/rest/rest-route.ts";
import { closeServed, serve } from "../support/serve-handler.ts";

const TOKEN = "synthetic.refresh.token";
const TOKENS = { accessToken: "a.b.c", idToken: "d.e.f", expiresIn: 3600 };

afterEach(closeServed);

describe("the REST route's signal", () => {
  it("is not aborted once the answer is sent", async () => {
    let seen: AbortSignal | undefined;
    const url = await serve(
      createRestRoute({
        run: async (_input: TokenInput, signal: AbortSignal) => {
          seen = signal;
          return { ...TOKENS, tokenType: "Bearer" };
        },
        answer: () => ({ body: "{}" }),
        bodyLimitBytes: 1024,
        cookie: { name: "rt", path: "/", maxAgeSeconds: 60 },
        clientAddressOf: () => "127.0.0.1",
        fromOtherOrigin: () => false,
      }),
    );
    const res = await fetch(`${url}/r`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: TOKEN }),
    });
    expect(res.status).toBe(200);
    await res.text();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen?.aborted).toBe(false);
  });
});
