/**
 * readBody reads a request body in however many chunks it comes, refuses one over the limit
 * (declared or streamed), and gives up when the client goes away mid-body.
 */
import { once } from "node:events";
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { readBody } from "../../src/http/read-body.ts";
import { closeServed, serve } from "../support/serve-handler.ts";

afterEach(closeServed);

describe("readBody", () => {
  const limit = 64;
  const reading = async () => {
    const outcomes: Promise<unknown>[] = [];
    const url = await serve((req, res) => {
      const read = readBody(req, limit);
      const outcome = read.then((body) => body.toString("utf8"));
      // Awaited by the test later; until then a refusal is not "unhandled".
      outcome.catch(() => undefined);
      outcomes.push(outcome);
      read.then(
        (body) => res.end(`read ${body.length}`),
        () => res.headersSent || res.destroyed || res.end("refused"),
      );
    });
    const first = async () => {
      while (outcomes.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      return outcomes[0];
    };
    return { url, first };
  };

  it("reads a body in several chunks whole", async () => {
    const { url, first } = await reading();
    const req = request(`${url}/`, { method: "POST" });
    req.write("a".repeat(30));
    await new Promise((resolve) => setTimeout(resolve, 10));
    req.end("b".repeat(30));
    const [res] = (await once(req, "response")) as [NodeJS.ReadableStream];
    res.resume();
    await expect(first()).resolves.toBe(`${"a".repeat(30)}${"b".repeat(30)}`);
  });

  it("refuses a declared length over the limit without reading", async () => {
    const { url, first } = await reading();
    const res = await fetch(`${url}/`, { method: "POST", body: "x".repeat(limit + 1) });
    expect(await res.text()).toBe("refused");
    await expect(first()).rejects.toMatchObject({ kind: "payload_too_large" });
  });

  it("stops a streamed body past the limit and drops the connection", async () => {
    const { url, first } = await reading();
    const req = request(`${url}/`, { method: "POST" });
    req.on("error", () => undefined);
    const closed = new Promise((resolve) => req.once("close", resolve));
    req.write("x".repeat(limit + 10));
    await expect(first()).rejects.toMatchObject({ kind: "payload_too_large" });
    await closed;
  });

  it("gives up when the client goes away mid-body", async () => {
    const { url, first } = await reading();
    const req = request(`${url}/`, { method: "POST", headers: { "content-length": "50" } });
    req.on("error", () => undefined);
    req.write("x".repeat(10));
    await new Promise((resolve) => setTimeout(resolve, 20));
    req.destroy();
    await expect(first()).rejects.toBeInstanceOf(Error);
  });
});
