// Worth's own web client in a real chromium, in production's shape: the app on
// app.worth.test calls the API on api.worth.test (one site, two origins) with an axios
// instance, credentials and no body, so the request carries the HttpOnly cookie and no
// Content-Type. Pages of other origins send the same cookie and are refused before Cognito.
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { claims } from "../../support/clients.ts";
import { startTestCognito, type TestCognito } from "../../support/cognito-local.ts";
import {
  type CountingProvider,
  countingProvider,
  type RunningService,
  startService,
} from "../../support/server.ts";
import { type Chromium, launchChromium, skipBrowserTests } from "./support/chromium.ts";
import { recordNetwork } from "./support/network.ts";
import { type PageServer, startPageServer } from "./support/page-server.ts";
import {
  axiosRoute,
  blankRoute,
  openAxiosPage,
  refreshCookieShapes,
  SITE,
  signIn,
  submitForm,
  worthHostArgs,
  worthOrigin,
} from "./support/worth-hosts.ts";

const BASE = "/auth/api/v1";
const REFRESH = `${BASE}/refresh-token/customer`;
const REVOKE = `${BASE}/revoke-token/customer`;
const FORBIDDEN = '{"message":"Forbidden","errorCode":"ERR_FORBIDDEN"}';
const PAGES = new Map([
  ["/axios.js", axiosRoute],
  ["/blank", blankRoute],
]);
const STRICT_AT_ROOT = [{ path: "/", httpOnly: true, secure: true, sameSite: "Strict" }];

describe.skipIf(skipBrowserTests)("Worth's web client in chromium", () => {
  let cognito: TestCognito;
  let counted: CountingProvider;
  let service: RunningService;
  let app: PageServer;
  let sibling: PageServer;
  let otherSite: PageServer;
  let browser: Chromium | undefined;
  let context: BrowserContext;
  let api: string;
  const apiHost = `api.${SITE}`;

  beforeAll(async () => {
    cognito = await startTestCognito();
    counted = countingProvider(cognito.env);
    app = await startPageServer(PAGES, `app.${SITE}`);
    sibling = await startPageServer(PAGES, `evil.${SITE}`);
    otherSite = await startPageServer(PAGES);
    service = await startService(
      { ...cognito.env, CORS_ORIGINS: app.origin },
      { overrides: { provider: counted.provider, extraRoutes: PAGES } },
    );
    api = worthOrigin("api", service.port);
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([service?.close(), app?.close(), sibling?.close(), otherSite?.close()]);
    counted?.destroy();
    await cognito?.stop();
  });
  beforeEach(async () => {
    // Launched here, not in beforeAll: without chromium under CI=true every test fails loudly.
    browser ??= await launchChromium(worthHostArgs([app.origin, sibling.origin, api]));
    context = browser.context;
    await context.clearCookies();
  });

  it("refreshes Worth's axios call (withCredentials, post(url), no body) from a sign-in cookie at Path=/", async () => {
    await signIn(context, apiHost, await cognito.freshRefreshToken());
    const page = await openAxiosPage(context, app.origin);
    const sent = page.waitForRequest((r) => r.url() === `${api}${REFRESH}`);
    const before = counted.calls();
    const answer = await page.evaluate(async (baseURL) => {
      const client = (
        globalThis as unknown as { axios: typeof import("axios").default }
      ).axios.create({
        baseURL,
        withCredentials: true,
      });
      const res = await client.post("/refresh-token/customer");
      return { status: res.status, idToken: String(res.data.data.id_token) };
    }, `${api}${BASE}`);
    expect(answer.status).toBe(200);
    expect(claims(answer.idToken)["custom:id"]).toBe(cognito.demo.customerId);
    expect(counted.calls()).toBe(before + 1);
    // What chromium really sent: the cookie, no Content-Type, and where it came from.
    const headers = await (await sent).allHeaders();
    expect(headers["content-type"]).toBeUndefined();
    expect(headers.origin).toBe(app.origin);
    expect(headers["sec-fetch-site"]).toBe("same-site");
    expect(headers.cookie?.split(";").map((c) => c.split("=")[0]?.trim())).toContain(
      "refresh_token",
    );
    await page.close();
  });

  it("signs out with the same axios call from a Path=/ sign-in cookie: revoked, and no cookie left", async () => {
    const token = await cognito.freshRefreshToken();
    await signIn(context, apiHost, token);
    const page = await openAxiosPage(context, app.origin);
    const answer = await page.evaluate(async (baseURL) => {
      const { axios } = globalThis as unknown as { axios: typeof import("axios").default };
      const res = await axios
        .create({ baseURL, withCredentials: true })
        .post("/revoke-token/customer");
      return [res.status, res.data];
    }, `${api}${BASE}`);
    expect(answer).toEqual([200, { status: "success", message: "Success" }]);
    expect(await refreshCookieShapes(context, apiHost)).toEqual([]);
    const refresh = await fetch(`${service.url}${REFRESH}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: token }),
    });
    expect(refresh.status).toBe(401);
    await page.close();
  });

  it("refreshes the same call from a page of the API's own origin", async () => {
    await signIn(context, apiHost, await cognito.freshRefreshToken());
    const page = await openAxiosPage(context, api);
    const answer = await page.evaluate(async (url) => {
      const { axios } = globalThis as unknown as { axios: typeof import("axios").default };
      const res = await axios.create({ withCredentials: true }).post(url);
      return res.status;
    }, REFRESH);
    expect(answer).toBe(200);
    await page.close();
  });

  it("refuses a form POST and a no-cors fetch from an unlisted page of the same site, before Cognito", async () => {
    await signIn(context, apiHost, await cognito.freshRefreshToken());
    const page = await openAxiosPage(context, sibling.origin);
    const network = await recordNetwork(context, page);
    const before = counted.calls();
    for (const path of [REFRESH, REVOKE]) {
      await page.evaluate(async (url) => {
        await fetch(url, { method: "POST", mode: "no-cors", credentials: "include" });
      }, `${api}${path}`);
    }
    const formSent = page.waitForRequest(`${api}${REFRESH}`);
    const formAnswer = page.waitForResponse(`${api}${REFRESH}`);
    await submitForm(page, `${api}${REFRESH}`);
    const form = await formAnswer;
    expect([form.status(), await form.text()]).toEqual([403, FORBIDDEN]);
    const statuses = [...network.to(`${api}${REFRESH}`), ...network.to(`${api}${REVOKE}`)].map(
      (exchange) => exchange.status,
    );
    expect(statuses).toEqual([403, 403, 403]);
    expect(counted.calls()).toBe(before);
    // The cookie went along (SameSite does not stop a sibling host): a 403 is only ever the
    // answer to a cookie-carried token, where no cookie would have been a 400. Nothing was
    // revoked or cleared by them either.
    expect((await (await formSent).allHeaders()).cookie?.includes("refresh_token=")).toBe(true);
    expect(await refreshCookieShapes(context, apiHost)).toEqual(STRICT_AT_ROOT);
  });

  it("refuses a page of another site even when the cookie is SameSite=None, before Cognito", async () => {
    await signIn(context, apiHost, await cognito.freshRefreshToken(), "/", "None");
    const page = await openAxiosPage(context, otherSite.origin);
    const sent = page.waitForRequest((r) => r.url() === `${api}${REFRESH}`);
    const answer = page.waitForResponse(`${api}${REFRESH}`);
    const before = counted.calls();
    await submitForm(page, `${api}${REFRESH}`);
    const headers = await (await sent).allHeaders();
    expect(headers["sec-fetch-site"]).toBe("cross-site");
    expect(headers.cookie?.includes("refresh_token=")).toBe(true);
    expect((await answer).status()).toBe(403);
    expect(counted.calls()).toBe(before);
  });
});
