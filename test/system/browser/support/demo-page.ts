/** Drives the demo page (src/local/demo/index.html) the way a person would: by its buttons. */
import type { BrowserContext, Page } from "playwright-core";

export interface Outcome {
  state: string;
  text: string;
}

async function settled(page: Page): Promise<Outcome> {
  await page.waitForFunction(() => document.getElementById("status")?.dataset.state !== "busy");
  return page.$eval("#status", (status) => ({
    state: status.getAttribute("data-state") ?? "",
    text: status.textContent ?? "",
  }));
}

/** Opens the page served at pageOrigin, calling the service at apiUrl; waits for its first token. */
export async function openDemo(
  context: BrowserContext,
  pageOrigin: string,
  apiUrl: string,
): Promise<{ page: Page; loaded: Outcome }> {
  const page = await context.newPage();
  await page.goto(`${pageOrigin}/demo?api=${encodeURIComponent(apiUrl)}`);
  return { page, loaded: await settled(page) };
}

/** Clicks one of the page's buttons and waits until what it started has finished. */
export async function press(
  page: Page,
  button: "new-token" | "set-cookie" | "refresh-body" | "refresh-cookie" | "sign-out",
): Promise<Outcome> {
  await page.click(`#${button}`);
  return settled(page);
}

export function useProtocol(page: Page, protocol: "connect" | "grpc-web"): Promise<void> {
  return page.check(`input[name="protocol"][value="${protocol}"]`);
}

/** The claims the page decoded from the id or access token it was given. */
export async function shownClaims(
  page: Page,
  token: "id-token" | "access-token",
): Promise<Record<string, unknown>> {
  const text = (await page.textContent(`#${token}`)) ?? "";
  return (JSON.parse(text) as { payload: Record<string, unknown> }).payload;
}

/** The names of the cookies a script on this page can read (values never leave the page). */
export function scriptVisibleCookies(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    document.cookie
      .split(";")
      .map((part) => part.split("=")[0]?.trim() ?? "")
      .filter(Boolean),
  );
}
