/**
 * The fault matrix: every way the provider can fail, answered over REST
 * (fetch) and over gRPC (@grpc/grpc-js) with the kind the error table gives. Each row gets a fresh fake
 * Cognito and a fresh service (UPSTREAM_TIMEOUT_MS 1500, UPSTREAM_ATTEMPT_TIMEOUT_MS 400, maxAttempts 3),
 * warmed by one ordinary refresh the counts leave out (see startRowRig).
 *
 * | fault                                      | REST | RPC               | calls | Retry-After | answered within |
 * | ------------------------------------------ | ---- | ----------------- | ----- | ----------- | --------------- |
 * | success                                    | 200  | OK                | 1     | no          | 1500 + slack    |
 * | success with rotation                      | 200  | OK (+ refresh)    | 1     | no          | 1500 + slack    |
 * | RefreshTokenReuseException                 | 401  | UNAUTHENTICATED   | 1     | no          | 1500 + slack    |
 * | NotAuthorized: invalid token               | 401  | UNAUTHENTICATED   | 1     | no          | 1500 + slack    |
 * | NotAuthorized: expired token               | 401  | UNAUTHENTICATED   | 1     | no          | 1500 + slack    |
 * | NotAuthorized: revoked token               | 401  | UNAUTHENTICATED   | 1     | no          | 1500 + slack    |
 * | NotAuthorized: "User is disabled."         | 403  | PERMISSION_DENIED | 1     | no          | 1500 + slack    |
 * | NotAuthorized: secret hash mismatch        | 500  | INTERNAL          | 1     | no          | 1500 + slack    |
 * | UserNotFoundException                      | 401  | UNAUTHENTICATED   | 1     | no          | 1500 + slack    |
 * | PasswordResetRequiredException             | 403  | PERMISSION_DENIED | 1     | no          | 1500 + slack    |
 * | UserNotConfirmedException                  | 403  | PERMISSION_DENIED | 1     | no          | 1500 + slack    |
 * | TooManyRequestsException (budget 4000 ms)  | 503  | UNAVAILABLE       | 3     | yes         | 4000 + slack    |
 * | InternalErrorException (HTTP 500)          | 503  | UNAVAILABLE       | 3     | yes         | 1500 + slack    |
 * | ResourceNotFoundException                  | 500  | INTERNAL          | 1     | no          | 1500 + slack    |
 * | 5xx HTML page (503 text/html)              | 503  | UNAVAILABLE       | 3     | yes         | 1500 + slack    |
 * | malformed JSON (200, truncated)            | 503  | UNAVAILABLE       | 1     | yes         | 1500 + slack    |
 * | reply after 200 ms (attempt timeout 1000)  | 200  | OK                | 1     | no          | ≥ 200, 1500 + s |
 * | first reply after 600 ms, then prompt      | 200  | OK                | 2     | no          | ≥ 400, 1500 + s |
 * | every reply after 600 ms (> attempt)       | 503  | UNAVAILABLE       | 3     | yes         | ≥ 1200, 1500 + s|
 * | connection reset                           | 503  | UNAVAILABLE       | 3     | yes         | 1500 + slack    |
 * | no reply at all (3 × 400 ms fit in 1500)   | 503  | UNAVAILABLE       | 3     | yes         | ≥ 1200, 1500 + s|
 * | JWKS unreachable at start (+ /readyz 503)  | 503  | UNAVAILABLE       | 1     | yes         | 1500 + slack    |
 *
 * Throttling gets a 4000 ms budget: the SDK backs off up to 1 s, then up to 2 s, before its
 * second and third attempts; with 1500 ms the third attempt only sometimes fits.
 * Slack is SLACK_MS (1500 ms). No provider message ever reaches a body or a status message.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restFetch } from "../../support/clients.ts";
import { FAKE_ERRORS } from "../../support/fake-cognito/index.ts";
import { eventually, timed } from "../../support/timing.ts";
import {
  arrange,
  type FaultRow,
  MATRIX,
  providerWords,
  REVOKE_MATRIX,
  RPC_MESSAGE,
} from "./fault-table.ts";
import { GrpcStatus, grpcFaultClient } from "./grpc.ts";
import {
  BODY,
  headerOf,
  RETRY_AFTER,
  type Rig,
  restRefresh,
  SLACK_MS,
  startRig,
  tokenFree,
} from "./harness.ts";

const budgetOf = (row: FaultRow) => row.budgetMs ?? 1500;

/**
 * A rig whose service has answered one ordinary refresh, and whose fake has then forgotten it.
 * The SDK client's first call loads and compiles code (about 60 ms on an idle machine); on a
 * loaded CI machine that pushed a 200 ms reply past the 400 ms attempt timeout, and the row
 * counted a retry the fault did not cause. (The JWKS-down row cannot refresh: left cold.)
 */
async function startRowRig(row: FaultRow): Promise<Rig> {
  const rig = await startRig(
    {
      UPSTREAM_TIMEOUT_MS: String(budgetOf(row)),
      ...(row.attemptMs ? { UPSTREAM_ATTEMPT_TIMEOUT_MS: String(row.attemptMs) } : {}),
    },
    { beforeStart: (fake) => row.jwksDown && fake.scriptJwksAlways("reset") },
  );
  if (!row.jwksDown) {
    const warm = await restRefresh(rig.service.url, rig.fake.issueRefreshToken());
    if (warm.status !== 200) throw new Error(`warm-up refresh answered ${warm.status}`);
    rig.fake.reset();
  }
  return rig;
}

for (const row of MATRIX) {
  const budgetMs = budgetOf(row);
  const retry = row.retryAfter ? " with Retry-After" : "";
  const calls = `${row.calls} upstream call${row.calls === 1 ? "" : "s"}`;

  // REST and gRPC run side by side, each against its own fake and service.
  describe.concurrent(`fault: ${row.fault}`, () => {
    const rigs = new Map<"rest" | "grpc", Rig>();
    const rigFor = (leg: "rest" | "grpc"): Rig => {
      const rig = rigs.get(leg);
      if (!rig) throw new Error(`no ${leg} rig`);
      arrange(rig.fake, row);
      return rig;
    };
    beforeAll(async () => {
      const [rest, grpc] = await Promise.all([startRowRig(row), startRowRig(row)]);
      rigs.set("rest", rest).set("grpc", grpc);
    });
    afterAll(async () => {
      await Promise.all([...rigs.values()].map((rig) => rig.close()));
    });

    it(`REST answers ${row.rest}${retry} after ${calls}, within ${budgetMs} ms + slack`, async () => {
      const { fake, service } = rigFor("rest");
      const token = fake.issueRefreshToken();
      const { value: res, ms } = await timed(() => restRefresh(service.url, token));
      expect(res.status).toBe(row.rest);
      if (row.body === "success" || row.body === "rotated") {
        const data = { access_token: "<jwt>", id_token: "<jwt>", expires_in: 3600 };
        const rotated = row.body === "rotated" ? { refresh_token: "<opaque>" } : {};
        expect(tokenFree(res.body)).toEqual({
          status: "success",
          message: "Success",
          data: { ...data, token_type: "Bearer", ...rotated },
        });
      } else {
        expect(res.text).toBe(BODY[row.body]);
        for (const words of providerWords(row)) expect(res.text).not.toMatch(words);
      }
      const retryAfter = headerOf(res, "retry-after");
      if (row.retryAfter) expect(retryAfter).toMatch(RETRY_AFTER);
      else expect(retryAfter).toBeNull();
      expect(fake.calls()).toBe(row.calls);
      expect(ms).toBeLessThan(budgetMs + SLACK_MS);
      expect(ms).toBeGreaterThanOrEqual(row.atLeastMs ?? 0);
    });

    it(`gRPC answers ${GrpcStatus[row.rpc]}${retry} after ${calls}, within ${budgetMs} ms + slack`, async () => {
      const { fake, service } = rigFor("grpc");
      const grpc = grpcFaultClient(service.port);
      try {
        const token = fake.issueRefreshToken();
        const { value: out, ms } = await timed(() => grpc.refresh(token));
        expect(GrpcStatus[out.code]).toBe(GrpcStatus[row.rpc]);
        if (row.body === "success" || row.body === "rotated") {
          const rotated = row.body === "rotated";
          const success = { jwts: true, expiresIn: 3600, tokenType: "Bearer", rotated };
          expect(out.success).toEqual(success);
        } else {
          expect(out.details).toBe(RPC_MESSAGE[row.body]);
          for (const words of providerWords(row)) expect(out.details).not.toMatch(words);
        }
        if (row.retryAfter) expect(out.retryAfter).toMatch(RETRY_AFTER);
        else expect(out.retryAfter).toBeUndefined();
        expect(fake.calls()).toBe(row.calls);
        expect(ms).toBeLessThan(budgetMs + SLACK_MS);
        expect(ms).toBeGreaterThanOrEqual(row.atLeastMs ?? 0);
      } finally {
        grpc.close();
      }
    });
  });
}

describe("JWKS unreachable at start: readiness", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({}, { beforeStart: (fake) => fake.scriptJwksAlways("reset") });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it("is not ready meanwhile: /readyz 503 not_ready and gRPC health NOT_SERVING", async () => {
    const grpc = grpcFaultClient(rig.service.port);
    try {
      const readyz = await restFetch(rig.service.url, { method: "GET", path: "/readyz" });
      expect([readyz.status, readyz.text]).toEqual([
        503,
        '{"status":"not_ready","rateLimitStore":"memory","replayStore":"memory"}',
      ]);
      expect(await grpc.health()).toBe("NOT_SERVING");
    } finally {
      grpc.close();
    }
  });

  it("becomes ready and refreshes once the JWKS answers again (retried every 2 s)", async () => {
    rig.fake.scriptJwksAlways(undefined);
    expect(await eventually(() => rig.service.app.isReady(), 2000 + SLACK_MS)).toBe(true);
    const readyz = await restFetch(rig.service.url, { method: "GET", path: "/readyz" });
    expect(readyz.status).toBe(200);
    const grpc = grpcFaultClient(rig.service.port);
    expect(await grpc.health().finally(() => grpc.close())).toBe("SERVING");
    const res = await restRefresh(rig.service.url, rig.fake.issueRefreshToken());
    expect(res.status).toBe(200);
  });
});

describe("the matrix", () => {
  it("covers every fault the fake can be scripted with", () => {
    const steps = [
      ...MATRIX.flatMap((row) => [...(row.script.queue ?? []), row.script.always]),
      ...REVOKE_MATRIX.map((row) => row.always),
    ];
    const named = new Set(
      steps.map((step) =>
        typeof step === "object" && "delayMs" in step ? "delay" : JSON.stringify(step),
      ),
    );
    const vocabulary = [...Object.keys(FAKE_ERRORS), "rotate", "html-503", "malformed-json"];
    for (const step of [...vocabulary, "reset", "hang", "normal"]) {
      expect(named.has(JSON.stringify(step)), step).toBe(true);
    }
    expect(named.has("delay")).toBe(true);
    expect(MATRIX.some((row) => row.jwksDown)).toBe(true);
  });
});
