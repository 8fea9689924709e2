/**
 * The Dockerfile, read without Docker (none runs on our machines): syntax by dockerfile-utils,
 * then what the image would be: its bases, its user, its dependencies, its health check, its
 * command and the files it gets. production-install.test.ts replays the install and start.
 */
import { existsSync } from "node:fs";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import {
  copies,
  dockerignore,
  execForm,
  flagsAndWords,
  instructions,
  isIgnored,
  parseDockerfile,
  ROOT,
  readRepoFile,
  type Stage,
} from "./dockerfile.ts";

/** DiagnosticSeverity.Error in the Language Server Protocol, which dockerfile-utils speaks. */
const ERROR = 1;

const text = readRepoFile("Dockerfile");
const stages = parseDockerfile(text);
const final = stages.at(-1) as Stage;
const ignored = dockerignore(readRepoFile(".dockerignore"));

function stageNamed(name: string | undefined): Stage | undefined {
  return stages.find((stage) => stage.name === name);
}

/** The npm install commands a stage runs. */
function npmInstalls(stage: Stage): string[] {
  return instructions(stage, "RUN")
    .map(({ args }) => flagsAndWords(args).words.join(" "))
    .filter((command) => /\bnpm (ci|install|i)\b/.test(command));
}

describe("Dockerfile syntax", () => {
  it("passes dockerfile-utils with no diagnostics", () => {
    expect(validate(text)).toEqual([]);
  });

  it("the validator does flag a broken Dockerfile (so the check above can fail)", () => {
    const broken = text.replace("HEALTHCHECK --interval", "HEALTHCHECK --intervals");
    const errors = validate(`${broken}\nCOPYY src ./src\n`).filter((d) => d.severity === ERROR);
    expect(errors.map((d) => d.message)).toEqual([
      "Unknown flag: intervals",
      "Unknown instruction: COPYY",
    ]);
  });
});

describe("the image", () => {
  it("builds in at least two stages, all from Node 24 slim images", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      expect(stage.image).toMatch(/^node:24(\.\d+){0,2}-(bookworm-)?slim$/);
    }
  });

  it("refuses to run as root", () => {
    const user = instructions(final, "USER").at(-1)?.args.split(":")[0];
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user);
  });

  it("installs only production dependencies, without install scripts", () => {
    const fromStages = copies(final)
      .filter((copy) => copy.sources.some((source) => /node_modules/.test(source)))
      .map((copy) => stageNamed(copy.from));
    const installers = [final, ...fromStages].filter((stage) => stage !== undefined);
    const commands = installers.flatMap(npmInstalls);
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      expect(command).toMatch(/^npm ci\b/);
      expect(command).toContain("--omit=dev");
      expect(command).toContain("--ignore-scripts");
    }
  });

  it("takes only the bundle from the stage that installs devDependencies", () => {
    const full = stages.filter((stage) =>
      npmInstalls(stage).some((command) => !command.includes("--omit=dev")),
    );
    expect(full.map((stage) => stage.name)).toEqual(["build"]);
    expect(final.name).not.toBe("build");
    const taken = copies(final).filter((copy) => copy.from === "build");
    expect(taken.flatMap((copy) => copy.sources)).toEqual(["/app/dist"]);
    // Nor does another stage pass the build's node_modules on.
    for (const stage of stages) {
      for (const copy of copies(stage).filter((c) => c.from === "build")) {
        expect(copy.sources.join(" ")).not.toMatch(/node_modules/);
      }
    }
  });

  it("builds the bundle with the repository's bundler, after installing from the lockfile", () => {
    const build = stageNamed("build") as Stage;
    const runs = instructions(build, "RUN").map(({ args }) => flagsAndWords(args).words.join(" "));
    expect(runs.at(-1)).toBe("node deploy/bundle.ts");
    expect(runs[0]).toMatch(/^npm ci\b.*--ignore-scripts/);
  });

  it("needs no install script from any production dependency (--ignore-scripts is safe)", () => {
    const lock = JSON.parse(readRepoFile("package-lock.json")) as {
      packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }>;
    };
    const scripted = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript && !entry.dev)
      .map(([path]) => path);
    expect(scripted).toEqual([]);
  });

  it("checks liveness on /healthz with Node's fetch, since the slim image has no curl", () => {
    const healthchecks = instructions(final, "HEALTHCHECK");
    expect(healthchecks).toHaveLength(1);
    const { words } = flagsAndWords(healthchecks[0]?.args ?? "");
    expect(words[0]).toBe("CMD");
    const command = execForm(healthchecks[0]?.args ?? "");
    expect(command?.slice(0, 2)).toEqual(["node", "-e"]);
    expect(command?.[2]).toContain("fetch(");
    expect(command?.[2]).toContain("/healthz");
    expect(command?.[2]).toContain("process.env.PORT");
  });

  it("starts the bundle with `node dist/main.mjs` in exec form, so node gets SIGTERM itself", () => {
    expect(instructions(final, "ENTRYPOINT")).toEqual([]);
    const cmd = instructions(final, "CMD");
    expect(cmd).toHaveLength(1);
    expect(execForm(cmd[0]?.args ?? "")).toEqual(["node", "dist/main.mjs"]);
  });

  it("copies every file the runtime reads, and the build context holds them", () => {
    const fromContext = stages.flatMap((stage) =>
      copies(stage)
        .filter((copy) => copy.from === undefined)
        .flatMap((copy) => copy.sources),
    );
    const finalSources = copies(final).flatMap((copy) => copy.sources);
    expect(finalSources.sort()).toEqual(["/app/dist", "/app/node_modules"]);
    for (const source of fromContext) {
      expect(existsSync(`${ROOT}${source}`), source).toBe(true);
      expect(isIgnored(source, ignored), source).toBe(false);
    }
    // What the bundle is made of, the openapi.json it copies (not imported, so easy to lose)
    // and the bundler itself.
    const built = ["src/main.ts", "src/rest/openapi.json", "gen/worth", "deploy/bundle.ts"];
    for (const file of built) {
      expect(isIgnored(file, ignored), file).toBe(false);
    }
  });
});

describe(".dockerignore", () => {
  it("keeps dependencies, local data, git, tests and benchmarks out of the build context", () => {
    for (const path of ["node_modules", ".local", ".git", "test", "bench", "node_modules/x"]) {
      expect(isIgnored(path, ignored), path).toBe(true);
    }
  });

  it("keeps the development-only embedded emulator and demo out of the image", () => {
    expect(isIgnored("src/local/embedded.ts", ignored)).toBe(true);
    expect(isIgnored("src/local/demo/app.ts", ignored)).toBe(true);
  });

  it("lets nothing into the build context that the image does not COPY", () => {
    const paths = [".env", ".npmrc", "README.md", "deploy/kubernetes.yaml", "proto", "new/x.ts"];
    for (const path of paths) {
      expect(isIgnored(path, ignored), path).toBe(true);
    }
  });
});
