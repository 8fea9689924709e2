/**
 * The layers of src/ (ARCHITECTURE.md): which folder may import which, and no import cycles.
 * Read from the source text, so a new import that breaks a rule fails here, not in review.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** Each part of src/ and the parts it may import, lowest first. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  refresh: [],
  wire: ["refresh"],
  observability: ["refresh", "wire"],
  cognito: ["refresh"],
  redis: [],
  limits: ["refresh", "redis"],
  replay: ["refresh", "redis"],
  config: ["cognito", "observability"],
  http: ["refresh", "wire", "observability"],
  rest: ["http", "refresh", "wire", "observability"],
  rpc: ["http", "refresh", "wire", "observability"],
  ops: ["http", "refresh", "wire", "observability"],
  local: ["config", "http", "refresh", "wire", "observability"],
  "shared-state.ts": ["config", "limits", "observability", "redis", "refresh", "replay"],
  "app.ts": [
    "refresh",
    "cognito",
    "config",
    "wire",
    "observability",
    "http",
    "rest",
    "rpc",
    "ops",
  ].concat(["shared-state.ts"]),
  "server.ts": ["app.ts", "config", "http", "ops", "observability", "refresh"],
  "main.ts": ["server.ts", "config", "local", "observability", "rest"],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

const IMPORT = /(?:from\s+|import\s*\(\s*)"(\.{1,2}\/[^"]+\.ts)"/g;

/** Every file of src/ with the files of src/ it imports (gen/ and packages left out). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    const targets = [...text.matchAll(IMPORT)]
      .map((match) => resolve(dirname(file), match[1] as string))
      .filter((target) => target.startsWith(SRC));
    graph.set(file, targets);
  }
  return graph;
}

/** The part of src/ a file belongs to: its top folder, or its own name at the top. */
function partOf(file: string): string {
  return relative(SRC, file).split("/")[0] as string;
}

function cycleIn(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === "done") return undefined;
    if (state.get(file) === "open") return [...path.slice(path.indexOf(file)), file];
    state.set(file, "open");
    path.push(file);
    for (const target of graph.get(file) ?? []) {
      const cycle = visit(target);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(file, "done");
    return undefined;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle.map((entry) => relative(SRC, entry));
  }
  return undefined;
}

describe("the layers of src/", () => {
  const graph = importGraph();

  it("finds the imports it checks", () => {
    expect(graph.size).toBeGreaterThan(60);
    const app = graph.get(join(SRC, "app.ts")) ?? [];
    expect(app.map(partOf)).toContain("refresh");
  });

  it("gives every part of src/ a place in the table", () => {
    const parts = new Set([...graph.keys()].map(partOf));
    expect([...parts].filter((part) => !(part in MAY_IMPORT))).toEqual([]);
  });

  it("keeps each part to the parts below it", () => {
    const broken: string[] = [];
    for (const [file, targets] of graph) {
      const from = partOf(file);
      for (const target of targets) {
        const to = partOf(target);
        if (to !== from && !MAY_IMPORT[from]?.includes(to)) {
          broken.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("has no import cycle between files", () => {
    expect(cycleIn(graph)).toBeUndefined();
  });

  it("would see a cycle if there were one", () => {
    const a = join(SRC, "a.ts");
    const b = join(SRC, "b.ts");
    expect(
      cycleIn(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).toEqual(["a.ts", "b.ts", "a.ts"]);
  });
});
