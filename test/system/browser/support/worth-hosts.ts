/**
 * Production's shape on loopback: the web app on app.worth.test calls the API on
 * api.worth.test, two origins of one site. Chromium resolves *.worth.test to 127.0.0.1
 * (--host-resolver-rules) and treats the given origins as secure, so Secure cookies and
 * secure-context APIs behave as they do over TLS.
 */
import { readFileSync } from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import type { Handler } from "../../../../src/http/types.ts";

export const SITE = "worth.test";

/** http://<name>.worth.test:<port> for a server listening on 127.0.0.1:<port>. */
export function worthOrigin(name: string, port: number): string {
  return `http://${name}.${SITE}:${port}`;
}

/** The flags that give loopback servers their production names. */
export function worthHostArgs(secureOrigins: readonly string[]): string[] {
  return [
    `--host-resolver-rules=MAP *.${SITE} 127.0.0.1`,
    `--unsafely-treat-insecure-origin-as-secure=${secureOrigins.join(",")}`,
  ];
}

const AXIOS = readFileSync(
  new URL("../../../../node_modules/axios/dist/axios.min.js", import.meta.url),
);

/** GET /axios.js: the axios browser build Worth's web apps use, as a page script. */
export const axiosRoute: Handler = (_req, res) => {
  res.writeHead(200, {
    "content-type": "text/javascript; charset=utf-8",
    "content-length": AXIOS.length,
  });
  res.end(AXIOS);
};

/** GET /blank: an empty page, served by the API too, to run scripts of its own origin. */
export const blankRoute: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end("<!doctype html><title>blank</title><body></body>");
};

/** A blank page of `origin` with axios loaded. */
export async function openAxiosPage(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/blank`);
  await page.addScriptTag({ url: "/axios.js" });
  return page;
}

/**
 * The refresh token cookies the browser holds for a host, without their values. By host, not
 * URL: playwright leaves Secure cookies out of an http URL's, however chromium treats it.
 */
export async function refreshCookieShapes(context: BrowserContext, host: string) {
  const cookies = await context.cookies();
  return cookies
    .filter((cookie) => cookie.name === "refresh_token" && cookie.domain === host)
    .map(({ path, httpOnly, secure, sameSite }) => ({ path, httpOnly, secure, sameSite }));
}

/** Puts a refresh token cookie on the API host as a sign-in would (HttpOnly, Secure, Strict). */
export function signIn(
  context: BrowserContext,
  apiHost: string,
  token: string,
  path = "/",
  sameSite: "Strict" | "None" = "Strict",
): Promise<void> {
  return context.addCookies([
    {
      name: "refresh_token",
      value: token,
      domain: apiHost,
      path,
      httpOnly: true,
      secure: true,
      sameSite,
    },
  ]);
}

/** Submits an empty form POST to `url` from the page, as a page of any origin can. */
export function submitForm(page: Page, url: string): Promise<void> {
  return page.evaluate((action) => {
    const form = document.createElement("form");
    form.method = "POST";
    form.action = action;
    document.body.append(form);
    form.submit();
  }, url);
}
