import { describe, expect, it } from "vitest";

describe("runtime", () => {
  it("runs npm scripts on Node 24 from the pinned node devDependency", async () => {
    const major = Number(process.versions.node.split(".")[0]);
    expect(major).toBe(24);
    const pkg = await import("../../../package.json", { with: { type: "json" } });
    expect(pkg.default.devDependencies.node).toMatch(/^24\.\d+\.\d+$/);
  });
});
