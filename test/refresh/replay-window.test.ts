// The replay window seen from outside, in one process against the Cognito fake: what it gives
// again, to whom, and for how long.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JSON_TYPE, type RestResult, restFetch, setCookies } from "../support/clients.ts";
import { type ServiceWithFake, startWithFake } from "../support/server.ts";

let service: ServiceWithFake;

beforeAll(async () => {
  service = await startWithFake(
    { rotate: true, reuseGraceMs: 0 },
    { REFRESH_REPLAY_SECONDS: "1", RATE_LIMIT_PER_MINUTE: "0" },
  );
});

afterAll(() => service?.close());

const refresh = (body: Record<string, string>, cookie?: string): Promise<RestResult> =>
  restFetch(service.url, {
    headers: { ...JSON_TYPE, ...(cookie && { cookie: `refresh_token=${cookie}` }) },
    body: JSON.stringify(body),
  });

const data = (result: RestResult) => (result.body as { data: Record<string, unknown> }).data;

describe("the replay window", () => {
  it("gives a token revoked at Cognito directly the answer already issued, until it ends", async () => {
    const token = service.fake.issueRefreshToken();
    const first = await refresh({ refresh_token: token });
    service.fake.setRefreshTokenState(token, "revoked");
    const inside = await refresh({ refresh_token: token });
    expect([first.status, inside.status]).toEqual([200, 200]);
    expect(data(inside).access_token === data(first).access_token, "the same answer").toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await refresh({ refresh_token: token })).status).toBe(401);
  });

  it("delivers the rotated token where each request wants it: the body, or the cookie", async () => {
    const token = service.fake.issueRefreshToken();
    const byBody = await refresh({ refresh_token: token });
    const rotated = data(byBody).refresh_token;
    expect(typeof rotated).toBe("string");
    const byCookie = await refresh({}, token);
    expect(byCookie.status).toBe(200);
    expect(data(byCookie).refresh_token).toBeUndefined();
    // Compared, never printed: a failure here must not put a token in the test output.
    const cookie = setCookies(byCookie.headers).some((line) =>
      line.startsWith(`refresh_token=${rotated};`),
    );
    expect(cookie, "the rotated token is set as the cookie").toBe(true);
  });

  it("drops a token's answer when the customer signs out through the service", async () => {
    const token = service.fake.issueRefreshToken();
    expect((await refresh({ refresh_token: token })).status).toBe(200);
    const revoked = await restFetch(service.url, {
      path: "/auth/api/v1/revoke-token/customer",
      headers: JSON_TYPE,
      body: JSON.stringify({ refresh_token: token }),
    });
    expect(revoked.status).toBe(200);
    expect((await refresh({ refresh_token: token })).status).toBe(401);
  });
});
