/**
 * Retries, seen from the provider's side: the SDK's standard mode
 * (maxAttempts 3) retries throttling, 5xx and network errors with backoff inside the refresh's
 * deadline, and never a NotAuthorized or any other client error, even when a second try would
 * succeed. The service adds no retries of its own. Each test gets a fresh fake and service,
 * so the SDK's retry quota starts full.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Step } from "../../support/fake-cognito/index.ts";
import { timed } from "../../support/timing.ts";
import {
  BODY,
  headerOf,
  RETRY_AFTER,
  type Rig,
  restRefresh,
  SLACK_MS,
  startRig,
} from "./harness.ts";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function refreshWith(env: Record<string, string>, ...steps: Step[]) {
  rig = await startRig(env);
  rig.fake.script(...steps);
  const token = rig.fake.issueRefreshToken();
  const { value: res, ms } = await timed(() => restRefresh((rig as Rig).service.url, token));
  return { res, ms, calls: rig.fake.calls(), pending: rig.fake.pending() };
}

const SECRET_MISMATCH: Step = {
  error: "NotAuthorizedException",
  message: "Unable to verify secret hash for client abc",
};
const CLIENT_ERRORS: Array<[string, number, Step]> = [
  ["RefreshTokenReuseException", 401, "reuse"],
  ["NotAuthorized (invalid)", 401, "invalid"],
  ["NotAuthorized (expired)", 401, "expired"],
  ["NotAuthorized (revoked)", 401, "revoked"],
  ["NotAuthorized (user disabled)", 403, "disabled"],
  ["NotAuthorized (secret hash)", 500, SECRET_MISMATCH],
  ["UserNotFoundException", 401, "user-not-found"],
  ["PasswordResetRequiredException", 403, "password-reset"],
  ["UserNotConfirmedException", 403, "unconfirmed"],
  ["ResourceNotFoundException", 500, "resource-not-found"],
  ["InvalidParameterException", 500, { error: "InvalidParameterException" }],
  // A reply the SDK cannot parse counts as a broken provider (unavailable), but a 4xx is not retried.
  ["a 404 HTML page", 503, { html: 404 }],
];

describe("client errors are never retried", () => {
  it.each(CLIENT_ERRORS)(
    "%s: one call, answered %i, though the next would succeed",
    async (_, status, step) => {
      const { res, calls, pending } = await refreshWith({}, step, "normal");
      expect(res.status).toBe(status);
      const retryAfter = headerOf(res, "retry-after");
      if (status === 503) expect(retryAfter).toMatch(RETRY_AFTER);
      else expect(retryAfter).toBeNull();
      expect(calls).toBe(1);
      expect(pending).toBe(1);
    },
  );
});

// Transient faults with a budget that fits three attempts (throttling backs off up to 1 s, then 2 s).
const ROOMY = { UPSTREAM_TIMEOUT_MS: "4000" };
const TRANSIENT: Array<[string, Step]> = [
  ["TooManyRequestsException", "throttle"],
  ["InternalErrorException", "internal-error"],
  ["a 503 HTML page", "html-503"],
  ["a 502 HTML page", { html: 502 }],
  ["a connection reset", "reset"],
  ["a hung attempt (cut at 400 ms)", "hang"],
];

describe("throttling, 5xx and network errors are retried", () => {
  it.each(TRANSIENT)(
    "%s once: retried, and the second attempt's tokens answered",
    async (_, step) => {
      const { res, calls, ms } = await refreshWith(ROOMY, step, "normal");
      expect(res.status).toBe(200);
      expect(calls).toBe(2);
      expect(ms).toBeLessThan(4000 + SLACK_MS);
    },
  );

  it.each(TRANSIENT.filter(([, step]) => step !== "throttle"))(
    "%s twice: the third and last attempt answers",
    async (_, step) => {
      const { res, calls } = await refreshWith(ROOMY, step, step, "normal");
      expect(res.status).toBe(200);
      expect(calls).toBe(3);
    },
  );

  it("gives up after three attempts: 503, and the fourth step is never asked for", async () => {
    const steps: Step[] = ["internal-error", "internal-error", "internal-error", "normal"];
    const { res, calls, pending } = await refreshWith({}, ...steps);
    expect(res.status).toBe(503);
    expect(res.text).toBe(BODY.unavailable);
    expect(headerOf(res, "retry-after")).toMatch(RETRY_AFTER);
    expect([calls, pending]).toEqual([3, 1]);
  });
});

describe("retries stay inside the refresh's deadline", () => {
  it("makes only the hung attempts that fit: 2 of 700 ms in 1000 ms, answered 503 at the deadline", async () => {
    const env = { UPSTREAM_TIMEOUT_MS: "1000", UPSTREAM_ATTEMPT_TIMEOUT_MS: "700" };
    const { res, calls, ms } = await refreshWith(env, "hang", "hang", "hang");
    expect(res.status).toBe(503);
    expect(headerOf(res, "retry-after")).toMatch(RETRY_AFTER);
    expect(calls).toBe(2);
    expect(ms).toBeLessThan(1000 + SLACK_MS);
  });

  it("stops backing off from throttling at the deadline: 503 within 1000 ms + slack", async () => {
    const env = { UPSTREAM_TIMEOUT_MS: "1000" };
    const steps: Step[] = ["throttle", "throttle", "throttle"];
    const { res, calls, ms } = await refreshWith(env, ...steps);
    expect(res.status).toBe(503);
    expect(res.text).toBe(BODY.unavailable);
    expect(headerOf(res, "retry-after")).toMatch(RETRY_AFTER);
    // The backoff is random (up to 1 s, then 2 s): how many attempts fit varies, never over 3.
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(3);
    expect(ms).toBeLessThan(1000 + SLACK_MS);
  });
});
