// The whole browser session in chromium, in production's shape (the demo page on
// app.worth.test, the API on api.worth.test): one cookie over REST, Connect-web and gRPC-Web
// while Cognito rotates, a dead cookie cleared, and sign-out through connect-web that revokes.
// Cognito is the fake, with rotation on and no reuse grace: any stale cookie sent is a reuse.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDemoRoutes } from "../../../src/local/demo-routes.ts";
import { type FakeCognito, startFakeCognito } from "../../support/fake-cognito/index.ts";
import { type RunningService, startService } from "../../support/server.ts";
import { type Chromium, launchChromium, skipBrowserTests } from "./support/chromium.ts";
import { openDemo, press, shownClaims, useProtocol } from "./support/demo-page.ts";
import { type PageServer, startPageServer } from "./support/page-server.ts";
import {
  refreshCookieShapes,
  SITE,
  signIn,
  worthHostArgs,
  worthOrigin,
} from "./support/worth-hosts.ts";

const BASE = "/auth/api/v1";
const COOKIE = { name: "refresh_token", path: BASE, maxAgeSeconds: 2_592_000 };
const ONE_COOKIE = [{ path: BASE, httpOnly: true, secure: true, sameSite: "Strict" }];

describe.skipIf(skipBrowserTests)("the browser session in chromium", () => {
  let fake: FakeCognito;
  let service: RunningService;
  let pages: PageServer;
  let browser: Chromium | undefined;
  let context: BrowserContext;
  let api: string;
  const apiHost = `api.${SITE}`;

  /** The refresh token the browser holds for the API (compared, never printed). */
  const cookieValue = async () =>
    (await context.cookies()).find((c) => c.name === "refresh_token" && c.domain === apiHost)
      ?.value;

  /** A REST refresh from the page, as Worth's web apps make it: credentials, no body. */
  const restRefresh = (page: Page) =>
    page.evaluate(async (url) => {
      const res = await fetch(url, { method: "POST", credentials: "include" });
      return res.status;
    }, `${api}${BASE}/refresh-token/customer`);

  beforeAll(async () => {
    fake = await startFakeCognito({ rotate: true, reuseGraceMs: 0 });
    const routes = createDemoRoutes({
      freshRefreshToken: async () => fake.issueRefreshToken(),
      cookie: COOKIE,
      basePath: BASE,
      allowHost: (hostname) => hostname.endsWith(`.${SITE}`),
    });
    pages = await startPageServer(routes, `app.${SITE}`);
    service = await startService(
      { ...fake.env, CORS_ORIGINS: pages.origin, RATE_LIMIT_PER_MINUTE: "0" },
      { overrides: { extraRoutes: routes } },
    );
    api = worthOrigin("api", service.port);
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([service?.close(), pages?.close()]);
    await fake?.close();
  });
  beforeEach(async () => {
    browser ??= await launchChromium(worthHostArgs([pages.origin, api]));
    context = browser.context;
    await context.clearCookies();
    fake.reset();
  });

  it("keeps exactly one refresh_token cookie over 10 refreshes alternating REST, Connect-web and gRPC-Web", async () => {
    const { page, loaded } = await openDemo(context, pages.origin, api);
    expect(loaded.state).toBe("ok");
    expect((await press(page, "set-cookie")).state).toBe("ok");
    const seen = [await cookieValue()];
    for (let i = 0; i < 10; i++) {
      const face = ["rest", "connect", "grpc-web"][i % 3];
      if (face === "rest") {
        expect(await restRefresh(page)).toBe(200);
      } else {
        await useProtocol(page, face as "connect" | "grpc-web");
        expect(await press(page, "refresh-cookie")).toEqual({
          state: "ok",
          text: "Refreshed from the cookie.",
        });
      }
      expect(await refreshCookieShapes(context, apiHost)).toEqual(ONE_COOKIE);
      seen.push(await cookieValue());
    }
    // Every refresh rotated the one cookie, and each sent the newest token (no reuse refused).
    expect(new Set(seen).size).toBe(11);
    expect(fake.calls("GetTokensFromRefreshToken")).toBe(10);
    expect((await shownClaims(page, "id-token")).token_use).toBe("id");
    await page.close();
  });

  it("comes down to one cookie from a sign-in's at Path=/ within two refreshes", async () => {
    const { page } = await openDemo(context, pages.origin, api);
    await signIn(context, apiHost, fake.issueRefreshToken(), "/");
    expect(await restRefresh(page)).toBe(200);
    // The rotated token at BASE_PATH now shadows the superseded sign-in cookie at /.
    expect((await refreshCookieShapes(context, apiHost)).map((c) => c.path).sort()).toEqual([
      "/",
      BASE,
    ]);
    expect(await restRefresh(page)).toBe(200);
    expect(await refreshCookieShapes(context, apiHost)).toEqual(ONE_COOKIE);
    expect(await restRefresh(page)).toBe(200);
    await page.close();
  });

  it("clears a dead cookie when its token is refused, over gRPC-Web and REST", async () => {
    const { page } = await openDemo(context, pages.origin, api);
    await useProtocol(page, "grpc-web");
    const faces: ReadonlyArray<[() => Promise<string>, string]> = [
      [
        () => press(page, "refresh-cookie").then((outcome) => outcome.text),
        "Failed: Unauthenticated: Unauthorized",
      ],
      [() => restRefresh(page).then(String), "401"],
    ];
    for (const [refresh, refused] of faces) {
      const token = fake.issueRefreshToken();
      fake.setRefreshTokenState(token, "revoked");
      await signIn(context, apiHost, token, BASE);
      expect(await refreshCookieShapes(context, apiHost)).toEqual(ONE_COOKIE);
      expect(await refresh()).toBe(refused);
      expect(await refreshCookieShapes(context, apiHost)).toEqual([]);
    }
    await page.close();
  });

  it("signs out through connect-web: the token is revoked and the cookie gone", async () => {
    const { page } = await openDemo(context, pages.origin, api);
    // The token the page shows goes into the cookie, as a sign-in would put it there.
    const token = await page.inputValue("#token");
    await signIn(context, apiHost, token, BASE);
    expect(await press(page, "sign-out")).toEqual({
      state: "ok",
      text: "Signed out: the token is revoked and the cookie cleared.",
    });
    expect(fake.calls("RevokeToken")).toBe(1);
    expect((await context.cookies()).map((c) => c.name)).not.toContain("refresh_token");
    // Cookie mode now has nothing to send; the revoked token itself is refused (401).
    expect((await press(page, "refresh-cookie")).text).toBe(
      "Failed: InvalidArgument: Refresh Token is Required",
    );
    expect((await press(page, "refresh-body")).text).toBe("Failed: Unauthenticated: Unauthorized");
    expect(fake.calls("GetTokensFromRefreshToken")).toBe(1);
    await page.close();
  });
});
