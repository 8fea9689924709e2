// The demo page in a real chromium, served from one origin (http://127.0.0.1:PAGE) and
// calling the service on another of the same site (http://127.0.0.1:API), as Worth's web
// apps do from a sibling host: CORS, cookie mode, HttpOnly and gRPC-Web as a browser sees them.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDemoRoutes } from "../../../src/local/demo-routes.ts";
import { RPC_PATH } from "../../support/clients.ts";
import { startTestCognito, type TestCognito } from "../../support/cognito-local.ts";
import {
  type CountingProvider,
  countingProvider,
  type RunningService,
  startService,
} from "../../support/server.ts";
import { type Chromium, launchChromium, skipBrowserTests } from "./support/chromium.ts";
import {
  openDemo,
  press,
  scriptVisibleCookies,
  shownClaims,
  useProtocol,
} from "./support/demo-page.ts";
import { recordNetwork } from "./support/network.ts";
import { type PageServer, startPageServer } from "./support/page-server.ts";
import { mockRotatingCognito, ROTATED, type RotatingCognito } from "./support/rotating-cognito.ts";

const BASE = "/auth/api/v1";
const COOKIE = { name: "refresh_token", path: BASE, maxAgeSeconds: 2_592_000 };
// The page calls the RPCs under BASE_PATH, where the cookie lives.
const PAGE_RPC = `${BASE}${RPC_PATH}`;

/** Cookie attributes without the value, so a failing assertion prints no token. */
async function refreshCookies(context: BrowserContext, url: string) {
  const cookies = await context.cookies(url);
  return cookies
    .filter((cookie) => cookie.name === COOKIE.name)
    .map(({ path, httpOnly, secure, sameSite }) => ({ path, httpOnly, secure, sameSite }));
}

function rpcRequest(page: Page, service: RunningService) {
  return page.waitForRequest(
    (r) => r.url() === `${service.url}${PAGE_RPC}` && r.method() === "POST",
  );
}

describe.skipIf(skipBrowserTests)("the demo page in chromium", () => {
  let browser: Chromium | undefined;
  let context: BrowserContext;

  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    // Launched here, not in beforeAll: in CI without chromium every test then fails, loudly
    // and counted as failed, instead of being reported as skipped.
    browser ??= await launchChromium();
    context = browser.context;
    // Cookies are per host, not per port: every service here shares 127.0.0.1's jar.
    await context.clearCookies();
  });

  describe("against cognito-local, CORS_ORIGINS = the page's origin", () => {
    let cognito: TestCognito;
    let counted: CountingProvider;
    let listed: PageServer;
    let unlisted: PageServer;
    let service: RunningService;

    beforeAll(async () => {
      cognito = await startTestCognito();
      const routes = createDemoRoutes({
        freshRefreshToken: cognito.freshRefreshToken,
        cookie: COOKIE,
        basePath: "/auth/api/v1",
      });
      listed = await startPageServer(routes);
      unlisted = await startPageServer(routes);
      counted = countingProvider(cognito.env);
      service = await startService(
        { ...cognito.env, CORS_ORIGINS: listed.origin },
        { overrides: { provider: counted.provider, extraRoutes: routes } },
      );
    });
    afterAll(async () => {
      await Promise.all([service?.close(), listed?.close(), unlisted?.close()]);
      counted?.destroy();
      await cognito?.stop();
    });

    it("refreshes with the token in the body over Connect, through CORS", async () => {
      const { page, loaded } = await openDemo(context, listed.origin, service.url);
      const network = await recordNetwork(context, page);
      expect(loaded.state).toBe("ok"); // the cross-origin GET /demo/token was readable
      const request = rpcRequest(page, service);
      expect(await press(page, "refresh-body")).toEqual({
        state: "ok",
        text: "Refreshed from the body.",
      });
      expect((await request).headers()["content-type"]).toBe("application/json");
      expect((await shownClaims(page, "id-token"))["custom:id"]).toBe(cognito.demo.customerId);
      expect((await shownClaims(page, "access-token")).token_use).toBe("access");
      const [preflight] = network.to(`${service.url}${PAGE_RPC}`, "OPTIONS");
      expect(preflight?.headers["access-control-allow-origin"]).toBe(listed.origin);
      await page.close();
    });

    it("refreshes over gRPC-Web from the browser", async () => {
      const { page } = await openDemo(context, listed.origin, service.url);
      await useProtocol(page, "grpc-web");
      const request = rpcRequest(page, service);
      expect((await press(page, "refresh-body")).state).toBe("ok");
      expect((await request).headers()["content-type"]).toMatch(/^application\/grpc-web\+proto/);
      expect((await shownClaims(page, "id-token"))["custom:id"]).toBe(cognito.demo.customerId);
      await page.close();
    });

    it("refreshes from an HttpOnly cookie, credentials included, through CORS", async () => {
      const { page } = await openDemo(context, listed.origin, service.url);
      expect((await press(page, "set-cookie")).state).toBe("ok");
      expect(await refreshCookies(context, `${service.url}${BASE}`)).toEqual([
        { path: BASE, httpOnly: true, secure: true, sameSite: "Strict" },
      ]);
      expect(await scriptVisibleCookies(page)).not.toContain(COOKIE.name);
      const request = rpcRequest(page, service);
      const before = counted.calls();
      expect((await press(page, "refresh-cookie")).text).toBe("Refreshed from the cookie.");
      const sent = await request;
      // The message carried no token (proto3 omits the empty string): it came from the cookie.
      expect(Object.keys(JSON.parse(sent.postData() ?? "null"))).toEqual([]);
      const cookieNames = ((await sent.allHeaders()).cookie ?? "")
        .split(";")
        .map((c) => c.split("=")[0]?.trim());
      expect(cookieNames).toContain(COOKIE.name);
      expect((await shownClaims(page, "id-token"))["custom:id"]).toBe(cognito.demo.customerId);
      expect(counted.calls()).toBe(before + 1);
      await page.close();
    });

    it("is blocked by the browser when the page's origin is not in CORS_ORIGINS", async () => {
      const { page, loaded } = await openDemo(context, unlisted.origin, service.url);
      const network = await recordNetwork(context, page);
      // Even the simple GET for a demo token reached the service, but its answer was not readable.
      expect(loaded).toEqual({ state: "error", text: "Failed: Unknown: Failed to fetch" });
      await page.fill("#token", await cognito.freshRefreshToken());
      const before = counted.calls();
      for (const button of ["refresh-body", "refresh-cookie"] as const) {
        expect(await press(page, button)).toEqual({
          state: "error",
          text: "Failed: Unknown: Failed to fetch",
        });
      }
      const exchanges = network.to(`${service.url}${PAGE_RPC}`);
      const preflights = exchanges.filter((e) => e.method === "OPTIONS");
      expect(preflights.map((e) => e.status)).toEqual([204, 204]);
      expect(preflights.map((e) => "access-control-allow-origin" in e.headers)).toEqual([
        false,
        false,
      ]);
      expect(exchanges.filter((e) => e.method === "POST").map((e) => e.corsError)).toEqual([
        "PreflightMissingAllowOriginHeader",
        "PreflightMissingAllowOriginHeader",
      ]);
      // The preflight failed, so the POST never left the browser: no refresh happened.
      expect(counted.calls()).toBe(before);
      await page.close();
    });
  });

  describe("when the provider rotates the refresh token (SDK mocked)", () => {
    const OLD = "old-refresh-token";
    let cognito: TestCognito;
    let rotating: RotatingCognito | undefined;
    let pages: PageServer;
    let service: RunningService;
    const sentTokens = () => rotating?.sentTokens() ?? [];

    beforeAll(async () => {
      cognito = await startTestCognito();
      rotating = mockRotatingCognito("rotating-customer");
      // The dev cookie route puts OLD in the cookie; nothing here signs anyone in.
      const routes = createDemoRoutes({
        freshRefreshToken: async () => OLD,
        cookie: COOKIE,
        basePath: "/auth/api/v1",
      });
      pages = await startPageServer(routes);
      service = await startService(
        { ...cognito.env, CORS_ORIGINS: pages.origin },
        { overrides: { verifier: rotating.verifier, extraRoutes: routes } },
      );
    });
    afterAll(async () => {
      await Promise.all([service?.close(), pages?.close()]);
      rotating?.restore();
      await cognito?.stop();
    });

    it("sets the rotated token as a cookie no page script can read, and the browser sends it back", async () => {
      const { page } = await openDemo(context, pages.origin, service.url);
      expect((await press(page, "set-cookie")).state).toBe("ok");
      expect((await press(page, "refresh-cookie")).state).toBe("ok");
      expect(sentTokens()).toEqual([OLD]);
      expect((await shownClaims(page, "id-token"))["custom:id"]).toBe("rotating-customer");
      // One cookie: the rotated token replaced the signed-in one, at the same path.
      expect(await refreshCookies(context, `${service.url}${PAGE_RPC}`)).toEqual([
        { path: BASE, httpOnly: true, secure: true, sameSite: "Strict" },
      ]);
      const rotated = (await context.cookies(`${service.url}${PAGE_RPC}`))[0];
      expect(rotated?.value === ROTATED).toBe(true);
      // Not in the response body either: the page shows nothing of it, the text box still has OLD.
      expect((await page.content()).includes(ROTATED)).toBe(false);
      expect(await page.inputValue("#token")).toBe(OLD);
      // A script on the cookie's own host and path would see it if it were not HttpOnly.
      const atCookiePath = await context.newPage();
      await atCookiePath.goto(`${pages.origin}${PAGE_RPC}`);
      expect(await scriptVisibleCookies(atCookiePath)).not.toContain(COOKIE.name);
      expect(await scriptVisibleCookies(page)).not.toContain(COOKIE.name);

      // Next refresh, over gRPC-Web: the browser sends the rotated cookie, the only one.
      await useProtocol(page, "grpc-web");
      expect((await press(page, "refresh-cookie")).text).toBe("Refreshed from the cookie.");
      expect(sentTokens()).toEqual([OLD, ROTATED]);
      await Promise.all([page.close(), atCookiePath.close()]);
    });
  });
});
