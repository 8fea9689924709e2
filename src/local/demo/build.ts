/**
 * Bundles the demo page's script (app.ts, connect-web and the generated AuthService) with
 * esbuild. The embedded default builds it in memory when it starts (build:demo is not needed
 * for `npm start`); `npm run build:demo` writes the same bundle to .local/demo/ to look at.
 * Nothing built is committed, so the bundle can never be stale against gen/ or app.ts.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ENTRY = fileURLToPath(new URL("./app.ts", import.meta.url));

let building: Promise<string> | undefined;

/** The bundle's text; built once per process, shared by every caller. */
export function demoBundle(): Promise<string> {
  building ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    // Chromium and the other evergreen browsers; nothing older needs the demo.
    target: "es2022",
    minify: true,
    legalComments: "eof",
    logLevel: "silent",
  }).then((result) => {
    const [file] = result.outputFiles;
    if (!file) {
      throw new Error("esbuild produced no output for the demo page");
    }
    return file.text;
  });
  // A failed build is not cached: the next request tries again after a fix.
  building.catch(() => {
    building = undefined;
  });
  return building;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = fileURLToPath(new URL("../../../.local/demo/", import.meta.url));
  const text = await demoBundle();
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}app.js`, text);
  process.stdout.write(`demo bundle: .local/demo/app.js (${Math.round(text.length / 1024)} KiB)\n`);
}
