/**
 * Just enough of a Dockerfile and .dockerignore reader for the deploy tests: stages, their
 * instructions, COPY sources and exec-form arguments. dockerfile-utils validates the syntax;
 * this reads what the image would contain and run.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
}

export interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

export function readRepoFile(path: string): string {
  return readFileSync(`${ROOT}${path}`, "utf8");
}

/** Logical lines: comments dropped, backslash continuations joined. */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#") || (line === "" && pending === "")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    lines.push(`${pending}${line}`.trim());
    pending = "";
  }
  if (pending !== "") lines.push(pending.trim());
  return lines.filter(Boolean);
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const line of logicalLines(text)) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (keyword.toUpperCase() === "FROM") {
      const words = rest.filter((word) => !word.startsWith("--"));
      const as = words.findIndex((word) => word.toUpperCase() === "AS");
      stages.push({
        image: words[0] ?? "",
        name: as >= 0 ? words[as + 1] : undefined,
        instructions: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${keyword} before the first FROM`);
    stage.instructions.push({ keyword: keyword.toUpperCase(), args });
  }
  return stages;
}

export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

/** The leading --name=value flags of an instruction, and the words after them. */
export function flagsAndWords(args: string): { flags: Map<string, string>; words: string[] } {
  const flags = new Map<string, string>();
  const words = args.split(/\s+/).filter(Boolean);
  while (words[0]?.startsWith("--")) {
    const [name = "", value = "true"] = (words.shift() ?? "").slice(2).split("=", 2);
    flags.set(name, value);
  }
  return { flags, words };
}

/** The JSON array of an exec-form instruction (CMD, HEALTHCHECK CMD), or undefined. */
export function execForm(args: string): string[] | undefined {
  const start = args.indexOf("[");
  if (start < 0) return undefined;
  try {
    const value: unknown = JSON.parse(args.slice(start));
    return Array.isArray(value) && value.every((item) => typeof item === "string")
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}

export interface Copy {
  /** The stage copied from, or undefined for the build context. */
  from: string | undefined;
  sources: string[];
  destination: string;
}

export function copies(stage: Stage): Copy[] {
  return instructions(stage, "COPY").map(({ args }) => {
    const { flags, words } = flagsAndWords(args);
    const destination = words.pop() ?? "";
    return { from: flags.get("from"), sources: words, destination };
  });
}

/** .dockerignore patterns, in order; a leading ! lets a path back in. */
export function dockerignore(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.replace(/^(!?)\/+/, "$1").replace(/\/+$/, ""));
}

function patternRegExp(pattern: string): RegExp {
  const body = pattern
    .split("**")
    .map((part) =>
      part
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, "[^/]*")
        .replace(/\?/g, "[^/]"),
    )
    .join(".*");
  return new RegExp(`^${body}$`);
}

/**
 * Docker's rule: the last pattern that matches the path or one of its parent folders decides;
 * a plain pattern leaves the path out, a ! pattern lets it back in.
 */
export function isIgnored(path: string, patterns: readonly string[]): boolean {
  const parts = path.split("/");
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith("!");
    const regexp = patternRegExp(negated ? pattern.slice(1) : pattern);
    if (prefixes.some((prefix) => regexp.test(prefix))) ignored = !negated;
  }
  return ignored;
}
