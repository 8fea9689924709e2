/**
 * The fault matrix of sign-out: every way Cognito's RevokeToken can answer, over REST (fetch)
 * and over gRPC (@grpc/grpc-js), each row against a fresh fake and service
 * (UPSTREAM_TIMEOUT_MS 1500, UPSTREAM_ATTEMPT_TIMEOUT_MS 400, 3 attempts) with its log captured.
 *
 * | fault                                  | REST | gRPC          | calls | Retry-After | logged          |
 * | -------------------------------------- | ---- | ------------- | ----- | ----------- | --------------- |
 * | success                                | 200  | OK            | 1     | no          | -               |
 * | unknown token (NotAuthorizedException) | 200  | OK            | 1     | no          | -               |
 * | UnsupportedTokenTypeException          | 200  | OK            | 1     | no          | -               |
 * | throttled (budget 4000 ms)             | 503  | UNAVAILABLE   | 3     | yes         | unavailable     |
 * | InternalErrorException (HTTP 500)      | 503  | UNAVAILABLE   | 3     | yes         | unavailable     |
 * | revocation disabled for the app client | 500  | INTERNAL      | 1     | no          | internal+reason |
 * | secret mismatch                        | 500  | INTERNAL      | 1     | no          | internal        |
 * | timeout (no reply at all)              | 503  | UNAVAILABLE   | 3     | yes         | unavailable     |
 *
 * An unknown token answers like a revoked one (RFC 7009): revocation is no token oracle. No
 * provider message reaches a body, a status message or the log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Observed, startObserved } from "../../observability/harness.ts";
import { grpcJsClient, grpcJsError, JSON_TYPE, restFetch } from "../../support/clients.ts";
import { FAKE_ERRORS } from "../../support/fake-cognito/index.ts";
import { timed } from "../../support/timing.ts";
import { REVOKE_MATRIX, type RevokeRow } from "./fault-table.ts";
import { GrpcStatus } from "./grpc.ts";
import { BODY, RETRY_AFTER, SLACK_MS } from "./harness.ts";

const REVOKE_PATH = "/auth/api/v1/revoke-token/customer";
const SUCCESS = '{"status":"success","message":"Success"}';

const BODY_OF = { 200: SUCCESS, 500: BODY.internal, 503: BODY.unavailable } as const;
/** What the provider says in a row: its messages never reach a body, a status or the log. */
function providerWords(row: RevokeRow): RegExp {
  const step = row.always;
  const named = typeof step === "string" && Object.hasOwn(FAKE_ERRORS, step);
  const message = named
    ? FAKE_ERRORS[step as keyof typeof FAKE_ERRORS].message
    : typeof step === "object" && "message" in step
      ? (step.message ?? "")
      : "";
  const escaped = message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(escaped ? `${escaped}|Invalid token` : "Invalid token", "i");
}
// Names of Cognito's exceptions may be logged (the cause's class); never sent to a client.
const EXCEPTION = /Exception/;

for (const row of REVOKE_MATRIX) {
  const budgetMs = row.budgetMs ?? 1500;
  describe.concurrent(`sign-out fault: ${row.fault}`, () => {
    const rigs: Record<"rest" | "grpc", Observed | undefined> = {
      rest: undefined,
      grpc: undefined,
    };
    const rigFor = (leg: "rest" | "grpc") => {
      const rig = rigs[leg];
      if (!rig) throw new Error(`no ${leg} rig`);
      rig.fake.scriptAlways(row.always);
      return { rig, token: row.unknown ? "never-issued-token" : rig.fake.issueRefreshToken() };
    };
    beforeAll(async () => {
      const env = {
        UPSTREAM_TIMEOUT_MS: String(budgetMs),
        UPSTREAM_ATTEMPT_TIMEOUT_MS: "400",
        LOG_LEVEL: "info",
      };
      [rigs.rest, rigs.grpc] = await Promise.all([startObserved(env), startObserved(env)]);
    });
    afterAll(async () => {
      await Promise.all([rigs.rest?.close(), rigs.grpc?.close()]);
    });

    it(`REST answers ${row.rest} after ${row.calls} RevokeToken call(s)`, async () => {
      const { rig, token } = rigFor("rest");
      const { value: res, ms } = await timed(() =>
        restFetch(rig.url, {
          path: REVOKE_PATH,
          headers: JSON_TYPE,
          body: JSON.stringify({ refresh_token: token }),
        }),
      );
      expect([res.status, res.text]).toEqual([row.rest, BODY_OF[row.rest]]);
      const retryAfter = res.headers instanceof Headers ? res.headers.get("retry-after") : null;
      if (row.rest === 503) expect(retryAfter).toMatch(RETRY_AFTER);
      else expect(retryAfter).toBeNull();
      expect(rig.fake.calls("RevokeToken")).toBe(row.calls);
      expect(ms).toBeLessThan(budgetMs + SLACK_MS);
      expect(ms).toBeGreaterThanOrEqual(row.atLeastMs ?? 0);
      const warnings = rig.lines().filter((line) => line.message === "revoke failed");
      if (row.rest === 200) {
        expect(warnings).toEqual([]);
      } else {
        expect(warnings.map((line) => [line.kind, line.reason])).toEqual([
          [row.rest === 500 ? "internal" : "unavailable", row.reason],
        ]);
      }
      expect(res.text).not.toMatch(EXCEPTION);
      expect(rig.text()).not.toMatch(providerWords(row));
      expect(rig.text().includes(token)).toBe(false);
    });

    it(`gRPC answers ${GrpcStatus[row.rpc]} after ${row.calls} RevokeToken call(s)`, async () => {
      const { rig, token } = rigFor("grpc");
      const client = grpcJsClient(rig.port);
      try {
        const { value: code, ms } = await timed(async () =>
          row.rpc === GrpcStatus.OK
            ? client.revoke(token).then(() => GrpcStatus.OK)
            : grpcJsError(client.revoke(token)).then((error) => {
                expect(error.details).not.toMatch(providerWords(row));
                expect(error.details).not.toMatch(EXCEPTION);
                const retryAfter = error.metadata.get("retry-after")[0];
                if (row.rest === 503) expect(String(retryAfter)).toMatch(RETRY_AFTER);
                else expect(retryAfter).toBeUndefined();
                return error.code;
              }),
        );
        expect(GrpcStatus[code]).toBe(GrpcStatus[row.rpc]);
        expect(rig.fake.calls("RevokeToken")).toBe(row.calls);
        expect(ms).toBeLessThan(budgetMs + SLACK_MS);
      } finally {
        client.close();
      }
    });
  });
}
