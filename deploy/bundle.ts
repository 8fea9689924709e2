/**
 * The production start: `src/main.ts` and its dependencies as one ES module in dist/, for the
 * image. Node runs src/*.ts as they are, but starting them means stripping the types of each
 * file and resolving and compiling a few hundred modules; one file starts in about 60 % of
 * the time (bench/README.md). The code is the same: no minifying, names kept.
 *
 * Left out of the bundle, on purpose:
 * - `./local/*`: the embedded emulator and demo page are development only; without COGNITO_*
 *   the bundle says what to set (src/main.ts) rather than start them.
 * - what src/ loads with createRequire (ioredis only with REDIS_URL, pino-pretty only in a
 *   terminal): esbuild leaves those calls alone, so they resolve from node_modules at run time.
 *
 * `npm run build` writes dist/; the Dockerfile's build stage runs `node deploy/bundle.ts`.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The file to start: `node dist/main.mjs`. */
export const ENTRY = "main.mjs";
const SERVICE = "service.mjs";

// A launcher, so that the compile cache is on before the bundle is compiled: a module's
// code is cached only if the cache was enabled before it loaded (src/main.ts enables it
// too, but inside the bundle that is too late for the bundle itself).
const LAUNCHER = `// Written by deploy/bundle.ts.
import module from "node:module";
module.enableCompileCache();
await import("./${SERVICE}");
`;

// CommonJS dependencies inside an ES module still call require() for Node's built-ins.
const REQUIRE_SHIM = `import { createRequire as __bundleRequire } from "node:module";
const require = __bundleRequire(import.meta.url);`;

/** Bundles `root`'s src/main.ts into `outdir` (emptied first); returns the file to start. */
export async function bundle(root: string, outdir: string): Promise<string> {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: resolve(root),
    entryPoints: [join(root, "src", "main.ts")],
    outfile: join(outdir, SERVICE),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    external: ["./local/*"],
    banner: { js: REQUIRE_SHIM },
    legalComments: "none",
    logLevel: "silent",
  });
  if (result.warnings.length > 0) {
    throw new Error(`bundle warnings: ${result.warnings.map((w) => w.text).join("; ")}`);
  }
  // src/rest/openapi-document.ts reads it beside itself, which in the bundle is dist/. A checkout
  // from before src/rest/ (bench --before) kept it in src/transport/.
  const document = ["rest", "transport"]
    .map((folder) => join(root, "src", folder, "openapi.json"))
    .find((path) => existsSync(path));
  if (!document) throw new Error(`no src/rest/openapi.json under ${root}`);
  copyFileSync(document, join(outdir, "openapi.json"));
  writeFileSync(join(outdir, ENTRY), LAUNCHER);
  return join(outdir, ENTRY);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const entry = await bundle(ROOT, join(ROOT, "dist"));
  process.stdout.write(`wrote ${entry}\n`);
}
