/**
 * Crashes keep tokens out of the log too: a bug under the use case whose error quotes the
 * token (the request gets its line and a 500 / internal, the warning names the error only),
 * and a process crash whose message carries one (one fatal line with the error's name and
 * frames, exit 1; Node's own report, which prints the message, never runs).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { DestinationStream } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../gen/worth/auth/v1/auth_service_pb.ts";
import type { Service } from "../../src/server.ts";
import { JSON_TYPE, REST_PATH } from "../support/clients.ts";
import { type FakeCognito, startFakeCognito } from "../support/fake-cognito/index.ts";
import { startService } from "../support/server.ts";
import { leakedSecrets } from "./harness.ts";

const token = () =>
  `${randomBytes(40).toString("base64url")}.${randomBytes(300).toString("base64url")}`;

describe("a bug under the use case whose error quotes the token", () => {
  let fake: FakeCognito;
  let app: Service;
  let url: string;
  let text = "";
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    fake = await startFakeCognito();
    const destination: DestinationStream = {
      write: (line: string) => {
        text += line;
      },
    };
    const provider = {
      refresh(refreshToken: string): never {
        throw new TypeError(`cannot read properties of ${refreshToken}`);
      },
    };
    ({ app, url } = await startService(fake.env, {
      logLevel: "trace",
      overrides: { provider, logDestination: destination },
    }));
  });

  afterAll(async () => {
    await app?.close(2000);
    await fake?.close();
  });

  it("answers internal and logs the request and the error's name, never the token", async () => {
    const sent = [token(), token()];
    for (const [i, value] of sent.entries()) secrets.set(`token ${i}`, value);
    const res = await fetch(`${url}${REST_PATH}`, {
      method: "POST",
      headers: { ...JSON_TYPE, "x-request-id": "bug-rest" },
      body: JSON.stringify({ refresh_token: sent[0] }),
    });
    expect(res.status).toBe(500);
    const client = createClient(AuthService, createGrpcTransport({ baseUrl: url }));
    await expect(
      client.refreshCustomerToken(
        { refreshToken: sent[1] as string },
        { headers: { "x-request-id": "bug-grpc" } },
      ),
    ).rejects.toMatchObject({ rawMessage: "Internal Server Error" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    const about = (id: string) => lines.filter((line) => line.requestId === id);
    for (const [id, protocol] of [
      ["bug-rest", "rest"],
      ["bug-grpc", "grpc"],
    ]) {
      expect(about(id as string).map((line) => [line.message, line.kind ?? line.outcome])).toEqual([
        ["refresh failed", "internal"],
        ["request", "internal"],
      ]);
      expect(about(id as string)[0]).toMatchObject({ cause: "TypeError" });
      expect(about(id as string)[1]).toMatchObject({ protocol });
    }
    expect(leakedSecrets(text, secrets)).toEqual([]);
  });
});

describe("a process crash whose message carries a token", () => {
  const fixture = fileURLToPath(new URL("./token-crash.ts", import.meta.url));

  it.each(["throw", "reject"])(
    "(%s) logs one fatal line without it, then exits 1",
    async (kind) => {
      const secret = token();
      const child = spawn(process.execPath, [fixture], {
        env: { PATH: process.env.PATH ?? "", CRASH_TOKEN: secret, CRASH_KIND: kind },
      });
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      const code = await new Promise((resolve) => child.once("exit", resolve));
      expect(code).toBe(1);
      const lines = out.trim().split("\n");
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0] as string);
      expect(line).toMatchObject({ level: "fatal", message: "crashed", error: "TypeError" });
      expect(line.origin).toBe(kind === "throw" ? "uncaughtException" : "unhandledRejection");
      expect(line.stack).toMatch(/^at .*crash\.ts/);
      expect(leakedSecrets(out, new Map([["token", secret]]))).toEqual([]);
    },
  );
});
