/**
 * The logger itself (src/observability/log.ts): its nets behind the rule that callers pass no token,
 * LOG_LEVEL, the request id on lines written during a request, pretty output, and the
 * createApp override that sends the service's JSON lines to a given stream.
 */
import { randomBytes } from "node:crypto";
import type { DestinationStream } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, type LoggerOptions } from "../../src/observability/log.ts";
import { runWithFacts } from "../../src/observability/request-context.ts";
import type { Service } from "../../src/server.ts";
import { JSON_TYPE, REST_PATH } from "../support/clients.ts";
import { type FakeCognito, startFakeCognito } from "../support/fake-cognito/index.ts";
import { startService } from "../support/server.ts";
import { FAST, leakedSecrets } from "./harness.ts";

function captured(options: Omit<LoggerOptions, "destination">) {
  let text = "";
  const destination: DestinationStream = {
    write: (line: string) => {
      text += line;
    },
  };
  const logger = createLogger({ ...options, destination });
  return { logger, text: () => text, lines: () => text.split("\n").filter(Boolean) };
}

const b64 = (bytes: number) => randomBytes(bytes).toString("base64url");
const jwt = () => `${b64(30)}.${b64(200)}.${b64(256)}`;
const jwe = () => [b64(40), b64(256), b64(12), b64(1200), b64(16)].join(".");

describe("the logger's nets", () => {
  it("redacts fields named for credentials, whatever a careless caller puts in them", () => {
    const log = captured({ level: "info" });
    const secrets = new Map([
      ["refresh", b64(30)],
      ["access", b64(30)],
      ["cookie", `session=${b64(12)}`],
      ["authorization", `Basic ${b64(20)}`],
      ["secret", b64(30)],
    ]);
    log.logger.info("careless", {
      refresh_token: secrets.get("refresh"),
      accessToken: secrets.get("access"),
      cookie: secrets.get("cookie"),
      authorization: secrets.get("authorization"),
      clientSecret: secrets.get("secret"),
      "set-cookie": secrets.get("cookie"),
      kind: "internal",
    });
    expect(leakedSecrets(log.text(), secrets)).toEqual([]);
    expect(JSON.parse(log.text())).toMatchObject({
      refresh_token: "[redacted]",
      cookie: "[redacted]",
      "set-cookie": "[redacted]",
      authorization: "[redacted]",
      kind: "internal",
    });
  });

  it("scrubs anything token-shaped from the message and string fields", () => {
    const log = captured({ level: "info" });
    const secrets = new Map([
      ["jwt", jwt()],
      ["jwe", jwe()],
      ["opaque", b64(48)],
      ["bearer", `Bearer ${b64(10)}`],
    ]);
    log.logger.warn(`could not refresh ${secrets.get("jwe")} for ${secrets.get("bearer")}`, {
      note: `id token ${secrets.get("jwt")}`,
      other: secrets.get("opaque"),
      route: "/auth/api/v1/refresh-token/customer",
      jwksUri: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123/.well-known/jwks.json",
    });
    expect(leakedSecrets(log.text(), secrets)).toEqual([]);
    // What we log on purpose is left alone.
    expect(JSON.parse(log.text())).toMatchObject({
      route: "/auth/api/v1/refresh-token/customer",
      jwksUri: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123/.well-known/jwks.json",
    });
  });
});

describe("LOG_LEVEL", () => {
  it("drops the lines below the level", () => {
    const log = captured({ level: "warn" });
    log.logger.debug("debug line");
    log.logger.info("info line");
    log.logger.warn("warn line");
    log.logger.error("error line");
    expect(log.lines().map((line) => JSON.parse(line).message)).toEqual([
      "warn line",
      "error line",
    ]);
  });

  it("writes nothing when silent, and everything from debug up at debug", () => {
    const silent = captured({ level: "silent" });
    silent.logger.fatal("fatal line");
    expect(silent.text()).toBe("");
    const debug = captured({ level: "debug" });
    debug.logger.debug("debug line");
    expect(JSON.parse(debug.text())).toMatchObject({ level: "debug", message: "debug line" });
  });
});

describe("lines written while a request is handled", () => {
  it("carry that request's id", () => {
    const log = captured({ level: "info" });
    runWithFacts({ requestId: "req-42", coalesced: false }, () => log.logger.info("inside"));
    log.logger.info("outside");
    const [inside, outside] = log.lines().map((line) => JSON.parse(line));
    expect(inside).toMatchObject({ message: "inside", requestId: "req-42" });
    expect(outside.requestId).toBeUndefined();
  });
});

describe("pretty output", () => {
  it("is human-readable text, not JSON, and still scrubbed", () => {
    const log = captured({ level: "info", pretty: true });
    const token = jwe();
    log.logger.info(`listening ${token}`, { url: "http://127.0.0.1:8080" });
    expect(log.text()).toMatch(/INFO.*listening/);
    expect(log.text()).toContain("http://127.0.0.1:8080");
    expect(() => JSON.parse(log.text())).toThrow();
    expect(leakedSecrets(log.text(), new Map([["token", token]]))).toEqual([]);
  });
});

describe("createApp's logDestination override", () => {
  let fake: FakeCognito;
  let app: Service;
  let url: string;
  let text = "";

  beforeAll(async () => {
    fake = await startFakeCognito();
    const destination: DestinationStream = {
      write: (line: string) => {
        text += line;
      },
    };
    ({ app, url } = await startService(
      { ...fake.env, ...FAST },
      { logLevel: "warn", overrides: { logDestination: destination } },
    ));
  });

  afterAll(async () => {
    await app?.close(2000);
    await fake?.close();
  });

  it("writes the service's JSON lines there, at the configured LOG_LEVEL", async () => {
    fake.scriptAlways("internal-error");
    const res = await fetch(`${url}${REST_PATH}`, {
      method: "POST",
      headers: { ...JSON_TYPE, "x-request-id": "level-check" },
      body: JSON.stringify({ refresh_token: fake.issueRefreshToken() }),
    });
    expect(res.status).toBe(503);
    await fetch(`${url}/healthz`);
    const lines = text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    // At warn: the failure's warning, but no info line (no "request", no "jwks loaded").
    expect(lines.map((line) => [line.level, line.message])).toEqual([["warn", "refresh failed"]]);
    expect(lines[0]).toMatchObject({ requestId: "level-check", kind: "unavailable" });
  });
});
