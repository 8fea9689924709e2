/**
 * Debian's chromium driven by playwright-core. On a developer machine without it the browser
 * tests are skipped with one line saying so; with CI=true they run and fail instead, because
 * CI installs it (.ci/run) and a silent skip there would hide a broken browser path.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

const missing = !existsSync(CHROMIUM);

/** For describe.skipIf(): true only when chromium is missing outside CI. */
export const skipBrowserTests = missing && process.env.CI !== "true";

if (skipBrowserTests) {
  process.stdout.write(
    `browser tests skipped: ${CHROMIUM} not found (apt-get install chromium to run them)\n`,
  );
}

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * A headless chromium with a fresh profile (no cookies from any earlier run). `extraArgs` add
 * flags, such as --host-resolver-rules to give loopback servers the names they have in
 * production.
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Chromium> {
  if (missing) {
    throw new Error(`${CHROMIUM} is missing and CI=true: CI must run the browser tests`);
  }
  const profile = mkdtempSync(join(tmpdir(), "worth-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...ARGS, ...extraArgs],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
