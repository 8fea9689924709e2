/**
 * Every path a request can take through the service, driven once each: success over REST
 * (HTTP/1.1 and HTTP/2), Connect, gRPC and gRPC-Web; rotation into the body and into a
 * cookie; each error kind the provider can cause; this service's own rate limit; no token,
 * unreadable and oversized input (tokens inside); deadlines; coalescing; the routes that are
 * not refreshes. The service must run with RATE_LIMIT_FAILURES_PER_TOKEN=1 and
 * BODY_LIMIT_BYTES=4096.
 */
import { JSON_TYPE } from "../support/clients.ts";
import type { FakeCognito, Step } from "../support/fake-cognito/index.ts";
import type { Traffic } from "./traffic.ts";

const body = (token: string) => JSON.stringify({ refresh_token: token });
const ok = { outcome: "success", status: 200, attempts: 1 } as const;
const rpcOk = { outcome: "success", code: "ok", attempts: 1 } as const;

export async function driveEveryPath(t: Traffic, fake: FakeCognito): Promise<void> {
  await t.rest("rest-success", body(t.fresh()), ok);
  const camel = JSON.stringify({ refreshToken: t.fresh() });
  await t.rest("rest-h2-success", camel, ok, { headers: JSON_TYPE, http2: true });
  for (const protocol of ["connect", "grpc", "grpc-web"] as const) {
    await t.rpc(protocol, `${protocol}-success`, t.fresh(), rpcOk);
  }

  // Rotation: into the body for a body token, into Set-Cookie for a cookie token.
  fake.script("rotate");
  await t.rest("rest-rotated", body(t.fresh()), ok);
  fake.script("rotate");
  const cookie = () => `refresh_token=${t.fresh()}`;
  await t.rest("rest-cookie-rotated", "", ok, { headers: JSON_TYPE, cookie: cookie() });
  fake.script("rotate");
  await t.rpc("connect", "connect-cookie-rotated", "", rpcOk, { cookie: cookie() });

  // A dead cookie (cleared in the answer), and sign-out by body and by cookie.
  fake.script("invalid");
  await t.rest(
    "rest-cookie-dead",
    "",
    { outcome: "unauthorized", status: 401 },
    { cookie: cookie() },
  );
  const revoke = "/auth/api/v1/revoke-token/customer";
  const revoked = { outcome: "success", status: 200, attempts: 1 } as const;
  await t.rest("rest-revoke", body(t.fresh()), revoked, { headers: JSON_TYPE, path: revoke });
  await t.rest("rest-revoke-cookie", "", revoked, { cookie: cookie(), path: revoke });

  // Each error kind the provider can cause, over REST and gRPC.
  const kinds: Array<[Step, string, number, string, number]> = [
    ["invalid", "unauthorized", 401, "unauthenticated", 1],
    ["disabled", "forbidden", 403, "permission_denied", 1],
    ["internal-error", "unavailable", 503, "unavailable", 3],
    ["resource-not-found", "internal", 500, "internal", 1],
  ];
  for (const [step, outcome, status, code, attempts] of kinds) {
    fake.scriptAlways(step);
    await t.rest(`rest-${outcome}`, body(t.fresh()), { outcome, status, attempts });
    await t.rpc("grpc", `grpc-${outcome}`, t.fresh(), { outcome, code, attempts });
    fake.scriptAlways(undefined);
  }

  // The same token again after its refusal: this service's own limit.
  const refused = t.fresh();
  fake.script("invalid");
  await t.rest("rest-refused", body(refused), { outcome: "unauthorized", status: 401 });
  await t.rest("rest-rate-limited", body(refused), { outcome: "rate_limited", status: 429 });
  const limited = { outcome: "rate_limited", code: "resource_exhausted" };
  await t.rpc("grpc", "grpc-rate-limited", refused, limited);

  // Refused before any upstream call: no token, unreadable input, too much input.
  const token = t.fresh();
  const missing = { outcome: "missing_token", status: 400 };
  await t.rest("rest-missing", "{}", missing, { headers: JSON_TYPE });
  const missingRpc = { outcome: "missing_token", code: "invalid_argument" };
  await t.rpc("connect", "connect-missing", "", missingRpc);
  const bad = { outcome: "bad_request", status: 400 };
  await t.rest("rest-bad-json", `{"refresh_token":"${token}`, bad);
  await t.rest("rest-wrong-type", `{"refresh_token":["${token}"]}`, bad);
  const otherSite = { origin: "https://elsewhere.example", "sec-fetch-site": "cross-site" };
  await t.rest(
    "rest-cookie-other-origin",
    "",
    { outcome: "forbidden", status: 403 },
    {
      headers: otherSite,
      cookie: `refresh_token=${token}`,
    },
  );
  const big = JSON.stringify({ refreshToken: token, a: t.fresh(), b: t.fresh(), c: t.fresh() });
  await t.rest("rest-too-large", big, { outcome: "payload_too_large", status: 413 });
  const unreadable = `{"refreshToken":"${token}`;
  await t.connectRaw("connect-bad-json", unreadable, { ...bad, code: "invalid_argument" });
  const tooLarge = { outcome: "payload_too_large", status: 429, code: "resource_exhausted" };
  await t.connectRaw("connect-too-large", big, tooLarge);

  // A caller's deadline shorter than the provider's delay, answered by the server: over
  // Connect the client gives up too, over gRPC only the server keeps it.
  const late = { outcome: "deadline_exceeded", status: 504, code: "deadline_exceeded" };
  fake.script({ delayMs: 600 });
  const timeout = { "connect-timeout-ms": "150" };
  await t.connectRaw("connect-deadline", body(t.fresh()), late, timeout);
  fake.script({ delayMs: 600 });
  const lateRpc = { outcome: "deadline_exceeded", code: "deadline_exceeded" };
  await t.rpc("grpc", "grpc-deadline", t.fresh(), lateRpc, { grpcTimeout: "150m" });

  // Two identical refreshes at once: one upstream call, the other joins it.
  const shared = t.fresh();
  fake.script({ delayMs: 300 });
  await Promise.all(
    ["first", "second"].map((which) =>
      t.rest(`rest-coalesce-${which}`, body(shared), { outcome: "success", status: 200 }),
    ),
  );

  // The routes that are not refreshes (a token in a query string and a body, too).
  for (const route of ["/healthz", "/readyz", "/auth/api/v1/openapi.json"]) {
    await t.http(route.slice(1), route, { route, outcome: "success", status: 200 });
  }
  const notFound = { route: "unmatched", outcome: "not_found", status: 404 };
  await t.http("not-found", `/nope?refresh_token=${token}`, notFound);
  const notAllowed = { route: "/healthz", outcome: "method_not_allowed", status: 405 };
  await t.http("healthz-post", "/healthz", notAllowed, { method: "POST", body: body(token) });
  await t.healthCheck();
}
