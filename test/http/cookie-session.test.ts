// The browser session the service owns once a customer has signed in, against the fake
// Cognito with rotation on and no reuse grace (the real SDK over HTTP): one cookie at one
// path on every face, dead cookies cleared, and sign-out that revokes.
import { Code } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  connectClient,
  grpcJsClient,
  grpcJsError,
  JSON_TYPE,
  RPC_TRANSPORTS,
  restFetch,
  restHttp2,
  rpcClient,
  rpcError,
  setCookies,
} from "../support/clients.ts";
import { type FakeCognito, type Step, startFakeCognito } from "../support/fake-cognito/index.ts";
import { type RunningService, startService } from "../support/server.ts";
import { eventually } from "../support/timing.ts";

const BASE = "/auth/api/v1";
const REVOKE_PATH = `${BASE}/revoke-token/customer`;
const SUCCESS = '{"status":"success","message":"Success"}';
const ROTATED_SHAPE = `refresh_token=<token>; Path=${BASE}; Max-Age=2592000; HttpOnly; Secure; SameSite=Strict`;
const CLEARED = `refresh_token=; Path=${BASE}; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;
/** The same cookie at `/`, where a sign-in may have set it. */
const CLEARED_ROOT = "refresh_token=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict";
/** What the only refresh token cookie of a request gets when it is refused or signed out. */
const CLEARED_BOTH = [CLEARED, CLEARED_ROOT];
const FAST = { UPSTREAM_TIMEOUT_MS: "1500", UPSTREAM_ATTEMPT_TIMEOUT_MS: "400" };

/** A Set-Cookie with its value hidden: no token reaches an assertion's output. */
const shapeOf = (setCookie: string) => setCookie.replace(/^([^=]+)=[^;]+;/, "$1=<token>;");
const cookieOf = (token: string) => ({ cookie: `refresh_token=${token}` });
/** The value a Set-Cookie carries (a token: compared, never printed). */
const cookieValue = (setCookie: string | undefined) => /^[^=]+=([^;]*)/.exec(setCookie ?? "")?.[1];

let fake: FakeCognito;
let service: RunningService;

beforeAll(async () => {
  fake = await startFakeCognito({ rotate: true, reuseGraceMs: 0 });
  // No replay window: a second use of a rotated token is a reuse here, as with Cognito and
  // no grace period, so the cookie's clearing rules meet real refusals.
  service = await startService({
    ...fake.env,
    ...FAST,
    REFRESH_REPLAY_SECONDS: "0",
    RATE_LIMIT_FAILURES_PER_TOKEN: "1",
    RATE_LIMIT_PER_MINUTE: "0",
  });
});
afterAll(async () => {
  await service?.close();
  await fake?.close();
});
afterEach(() => {
  fake.reset();
});

/** The Set-Cookie headers of a cookie-carried RPC over one connect-node transport. */
async function rpcSetCookies(
  transportName: string,
  baseUrl: string,
  call: "refresh" | "revoke",
  token: string,
): Promise<{ setCookies: string[]; code: Code | "ok" }> {
  const make = RPC_TRANSPORTS.find(([name]) => name === transportName)?.[1];
  if (!make) throw new Error(`no transport ${transportName}`);
  const client = rpcClient(make(baseUrl));
  const seen: Headers[] = [];
  const options = { headers: cookieOf(token), onHeader: (h: Headers) => seen.push(h) };
  const run =
    call === "refresh"
      ? client.refreshCustomerToken({}, options)
      : client.revokeCustomerToken({}, options);
  // A failed call reports the response's headers as the error's metadata, not to onHeader.
  const error = await run.then(
    () => undefined,
    (reason: unknown) => rpcError(Promise.reject(reason)),
  );
  if (error) seen.push(error.metadata);
  return { setCookies: seen.flatMap((h) => h.getSetCookie()), code: error?.code ?? "ok" };
}

const BROWSER_FACES = ["Connect JSON over HTTP/1.1", "gRPC-Web over HTTP/1.1"] as const;

describe("one cookie, one path, every face", () => {
  it("rotates a cookie-carried token into the same cookie over REST (HTTP/1.1 and 2)", async () => {
    for (const send of [restFetch, restHttp2]) {
      const old = fake.issueRefreshToken();
      const result = await send(service.url, { headers: cookieOf(old) });
      expect(result.status).toBe(200);
      const [setCookie, ...more] = setCookies(result.headers);
      expect([shapeOf(setCookie ?? ""), ...more]).toEqual([ROTATED_SHAPE]);
      const next = cookieValue(setCookie) ?? "";
      expect(next !== old && result.text.includes(next) === false).toBe(true);
      // The rotated token is the live one: it refreshes, and the old one is a reuse now.
      expect((await restFetch(service.url, { headers: cookieOf(next) })).status).toBe(200);
    }
  });

  it.each(BROWSER_FACES)(
    "rotates into the same cookie over %s, at the root and under BASE_PATH",
    async (face) => {
      for (const base of [service.url, `${service.url}${BASE}`]) {
        const { setCookies: sent, code } = await rpcSetCookies(
          face,
          base,
          "refresh",
          fake.issueRefreshToken(),
        );
        expect(code).toBe("ok");
        expect(sent.map(shapeOf)).toEqual([ROTATED_SHAPE]);
      }
    },
  );

  it("puts the cookie where REFRESH_TOKEN_COOKIE_PATH says, on every face", async () => {
    const rooted = await startService({
      ...fake.env,
      REFRESH_REPLAY_SECONDS: "0",
      ...FAST,
      REFRESH_TOKEN_COOKIE_PATH: "/",
    });
    try {
      const rest = await restFetch(rooted.url, { headers: cookieOf(fake.issueRefreshToken()) });
      const rpc = await rpcSetCookies(
        "Connect JSON over HTTP/1.1",
        `${rooted.url}${BASE}`,
        "refresh",
        fake.issueRefreshToken(),
      );
      for (const setCookie of [...setCookies(rest.headers), ...rpc.setCookies]) {
        expect(shapeOf(setCookie)).toBe(ROTATED_SHAPE.replace(`Path=${BASE}`, "Path=/"));
      }
      expect(setCookies(rest.headers).length + rpc.setCookies.length).toBe(2);
    } finally {
      await rooted.close();
    }
  });
});

describe("a dead cookie", () => {
  const DEAD: ReadonlyArray<[string, Step]> = [
    ["invalid", "invalid"],
    ["expired", "expired"],
    ["revoked", "revoked"],
    ["reused", "reuse"],
  ];

  it.each(DEAD)("is cleared when its token is refused as %s, over REST", async (_l, step) => {
    fake.script(step);
    const result = await restFetch(service.url, { headers: cookieOf(fake.issueRefreshToken()) });
    expect(result.status).toBe(401);
    expect(setCookies(result.headers)).toEqual(CLEARED_BOTH);
  });

  it.each(DEAD)("is cleared when refused as %s, over Connect and gRPC-Web", async (_l, step) => {
    for (const face of BROWSER_FACES) {
      fake.script(step);
      const answer = await rpcSetCookies(
        face,
        `${service.url}${BASE}`,
        "refresh",
        fake.issueRefreshToken(),
      );
      expect(answer).toEqual({ setCookies: CLEARED_BOTH, code: Code.Unauthenticated });
    }
  });

  it("is cleared when the token is not even token-shaped, before Cognito", async () => {
    const result = await restFetch(service.url, {
      headers: { cookie: "refresh_token=not a token" },
    });
    expect(result.status).toBe(401);
    expect(setCookies(result.headers)).toEqual(CLEARED_BOTH);
    expect(fake.calls()).toBe(0);
  });

  it("is cleared when a replayed old token is refused as a reuse", async () => {
    const old = fake.issueRefreshToken();
    expect((await restFetch(service.url, { headers: cookieOf(old) })).status).toBe(200);
    const replay = await restFetch(service.url, { headers: cookieOf(old) });
    expect(replay.status).toBe(401);
    expect(setCookies(replay.headers)).toEqual(CLEARED_BOTH);
  });

  it("clears only its own path when the request carried several and the first is refused", async () => {
    fake.script("revoked");
    const result = await restFetch(service.url, {
      headers: {
        cookie: `refresh_token=${fake.issueRefreshToken()}; refresh_token=${fake.issueRefreshToken()}`,
      },
    });
    expect(result.status).toBe(401);
    // The first sent is the most specific: the configured path's. The other one may be live.
    expect(setCookies(result.headers)).toEqual([CLEARED]);
  });

  it("replaces a sign-in cookie at / once a rotation has superseded it", async () => {
    // The browser holds ours at BASE_PATH (sent first) and the sign-in's at / (rotated away).
    const result = await restFetch(service.url, {
      headers: {
        cookie: `refresh_token=${fake.issueRefreshToken()}; refresh_token=${fake.issueRefreshToken()}`,
      },
    });
    expect(result.status).toBe(200);
    expect(setCookies(result.headers).map(shapeOf)).toEqual([ROTATED_SHAPE, CLEARED_ROOT]);
  });

  it("clears just / when that is the configured path", async () => {
    const rooted = await startService({
      ...fake.env,
      ...FAST,
      REFRESH_REPLAY_SECONDS: "0",
      REFRESH_TOKEN_COOKIE_PATH: "/",
    });
    try {
      fake.script("revoked");
      const result = await restFetch(rooted.url, { headers: cookieOf(fake.issueRefreshToken()) });
      expect([result.status, setCookies(result.headers)]).toEqual([401, [CLEARED_ROOT]]);
    } finally {
      await rooted.close();
    }
  });

  it.each<[string, Step, number]>([
    ["a disabled user (403)", "disabled", 403],
    ["Cognito throttling (503)", "throttle", 503],
  ])("is kept for %s: the token may work again", async (_l, step, status) => {
    fake.scriptAlways(step);
    const result = await restFetch(service.url, { headers: cookieOf(fake.issueRefreshToken()) });
    expect(result.status).toBe(status);
    expect(setCookies(result.headers)).toEqual([]);
  });

  it("is not touched when the refused token came in the body", async () => {
    fake.script("invalid");
    const result = await restFetch(service.url, {
      headers: { ...JSON_TYPE, ...cookieOf(fake.issueRefreshToken()) },
      body: JSON.stringify({ refresh_token: fake.issueRefreshToken() }),
    });
    expect(result.status).toBe(401);
    expect(setCookies(result.headers)).toEqual([]);
  });
});

describe("sign-out", () => {
  const revokeRest = (headers: Record<string, string>, body?: string) =>
    restFetch(service.url, { path: REVOKE_PATH, headers, body });

  it("revokes a body token over REST, answers the success body, and sets no cookie", async () => {
    const token = fake.issueRefreshToken();
    const result = await revokeRest(JSON_TYPE, JSON.stringify({ refresh_token: token }));
    expect([result.status, result.text]).toEqual([200, SUCCESS]);
    expect(result.headers instanceof Headers && result.headers.get("cache-control")).toBe(
      "no-store",
    );
    expect(setCookies(result.headers)).toEqual([]);
    expect(fake.calls("RevokeToken")).toBe(1);
    expect((await restFetch(service.url, { headers: cookieOf(token) })).status).toBe(401);
  });

  it("revokes the cookie's token over REST with no body and clears the cookie", async () => {
    const token = fake.issueRefreshToken();
    const result = await revokeRest(cookieOf(token));
    expect([result.status, result.text]).toEqual([200, SUCCESS]);
    expect(setCookies(result.headers)).toEqual(CLEARED_BOTH);
    expect(fake.user()?.username).toBeDefined();
    expect((await restFetch(service.url, { headers: cookieOf(token) })).status).toBe(401);
  });

  it.each(BROWSER_FACES)("revokes the cookie's token over %s and clears it", async (face) => {
    const token = fake.issueRefreshToken();
    const answer = await rpcSetCookies(face, `${service.url}${BASE}`, "revoke", token);
    expect(answer).toEqual({ setCookies: CLEARED_BOTH, code: "ok" });
    const error = await rpcError(
      connectClient(service.url).refreshCustomerToken({ refreshToken: token }),
    );
    expect(error.code).toBe(Code.Unauthenticated);
  });

  it("revokes a body token over gRPC (@grpc/grpc-js)", async () => {
    const token = fake.issueRefreshToken();
    const client = grpcJsClient(service.port);
    try {
      await client.revoke(token);
      expect(fake.calls("RevokeToken")).toBe(1);
      expect((await grpcJsError(client.refresh(token))).code).toBe(16); // UNAUTHENTICATED
    } finally {
      client.close();
    }
  });

  it("answers unknown, already revoked and malformed tokens the same, and calls Cognito only for token-shaped ones", async () => {
    const token = fake.issueRefreshToken();
    for (const sent of [token, token, "never-issued-token", "not/a+cognito token"]) {
      const result = await revokeRest(JSON_TYPE, JSON.stringify({ refresh_token: sent }));
      expect([result.status, result.text]).toEqual([200, SUCCESS]);
    }
    expect(fake.calls("RevokeToken")).toBe(3);
  });

  it("answers a missing token with the documented 400", async () => {
    const result = await revokeRest({});
    expect(result.status).toBe(400);
    expect(result.text).toBe(
      '{"status":"fail","message":"Refresh Token is Required","errorCode":"INVALID","data":{"errorName":"SignInApiError"}}',
    );
  });

  it("keeps the cookie when Cognito cannot revoke now, so the client can retry", async () => {
    fake.scriptAlways("throttle");
    const result = await revokeRest(cookieOf(fake.issueRefreshToken()));
    expect(result.status).toBe(503);
    expect(setCookies(result.headers)).toEqual([]);
  });

  it("never counts as a failure against the token", async () => {
    // RATE_LIMIT_FAILURES_PER_TOKEN is 1 here: one counted refusal and the next answer is 429.
    for (let i = 0; i < 3; i++) {
      const result = await revokeRest(JSON_TYPE, JSON.stringify({ refresh_token: "never-issued" }));
      expect(result.status).toBe(200);
    }
    const refresh = await restFetch(service.url, { headers: cookieOf("never-issued") });
    expect(refresh.status).toBe(401);
  });

  it("lets nobody join a refresh of the token that was in flight when it was revoked", async () => {
    // Attempts long enough that the held call is one call, however slow the machine.
    const patient = await startService({
      ...fake.env,
      REFRESH_REPLAY_SECONDS: "0",
      UPSTREAM_TIMEOUT_MS: "6000",
      UPSTREAM_ATTEMPT_TIMEOUT_MS: "5000",
    });
    try {
      const token = fake.issueRefreshToken();
      fake.script({ delayMs: 1500 });
      const inFlight = restFetch(patient.url, { headers: cookieOf(token) });
      expect(await eventually(() => fake.calls("GetTokensFromRefreshToken") === 1, 5000)).toBe(
        true,
      );
      const revoked = await restFetch(patient.url, {
        path: REVOKE_PATH,
        headers: JSON_TYPE,
        body: JSON.stringify({ refresh_token: token }),
      });
      expect(revoked.status).toBe(200);
      // The held call is still in flight (1500 ms): a refresh now would join it, had the
      // revocation not made the service forget it.
      let settled = false;
      void inFlight.then(() => {
        settled = true;
      });
      expect(settled).toBe(false);
      const after = await restFetch(patient.url, { headers: cookieOf(token) });
      expect(after.status).toBe(401);
      expect(fake.calls("GetTokensFromRefreshToken")).toBe(2);
      expect((await inFlight).status).toBe(401);
    } finally {
      await patient.close();
    }
  });
});

describe("sign-out under the per-address limit", () => {
  it("is counted with refreshes and refused past the limit with 429", async () => {
    const limited = await startService({
      ...fake.env,
      ...FAST,
      REFRESH_REPLAY_SECONDS: "0",
      RATE_LIMIT_PER_MINUTE: "2",
    });
    try {
      const body = (token: string) => JSON.stringify({ refresh_token: token });
      const refresh = await restFetch(limited.url, {
        headers: JSON_TYPE,
        body: body(fake.issueRefreshToken()),
      });
      const revoke = await restFetch(limited.url, {
        path: REVOKE_PATH,
        headers: JSON_TYPE,
        body: body(fake.issueRefreshToken()),
      });
      const third = await restFetch(limited.url, {
        path: REVOKE_PATH,
        headers: JSON_TYPE,
        body: body(fake.issueRefreshToken()),
      });
      expect([refresh.status, revoke.status, third.status]).toEqual([200, 200, 429]);
      expect(third.headers instanceof Headers && third.headers.get("retry-after")).toMatch(
        /^[1-9]\d*$/,
      );
    } finally {
      await limited.close();
    }
  });
});
