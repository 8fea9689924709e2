import { describe, expect, it } from "vitest";
import { clearedCookie, readCookie, refreshCookie } from "../../src/http/cookie.ts";
import { RefreshError } from "../../src/refresh/refresh-error.ts";
import { parseRestBody } from "../../src/rest/parse-body.ts";
import { restError } from "../../src/wire/error-table.ts";

const parse = (text: string) => parseRestBody(Buffer.from(text, "utf8"));

function badRequestOf(raw: Buffer): RefreshError {
  let caught: unknown;
  try {
    parseRestBody(raw);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(RefreshError);
  expect((caught as RefreshError).kind).toBe("bad_request");
  return caught as RefreshError;
}

describe("parseRestBody", () => {
  it.each(["", "   ", "\r\n\t"])("reads an empty or blank body (%j) as no token", (text) => {
    expect(parse(text)).toBeUndefined();
  });

  it.each([
    ["an empty object", "{}"],
    ["a null refresh_token", '{"refresh_token":null}'],
    ["a null refreshToken", '{"refreshToken":null}'],
    ["other fields only", '{"token":"abc","refresh":"def"}'],
  ])("reads %s as no token", (_, text) => {
    expect(parse(text)).toBeUndefined();
  });

  it("reads refresh_token", () => {
    expect(parse('{"refresh_token":"abc.def"}')).toBe("abc.def");
  });

  it("reads the refreshToken alias", () => {
    expect(parse('{"refreshToken":"abc.def"}')).toBe("abc.def");
  });

  it("prefers refresh_token over refreshToken", () => {
    expect(parse('{"refreshToken":"camel","refresh_token":"snake"}')).toBe("snake");
  });

  it("falls back to refreshToken when refresh_token is blank or null", () => {
    expect(parse('{"refresh_token":"  ","refreshToken":"camel"}')).toBe("camel");
    expect(parse('{"refresh_token":null,"refreshToken":"camel"}')).toBe("camel");
  });

  it("takes the last of duplicate keys, as JSON.parse does", () => {
    expect(parse('{"refresh_token":"first","refresh_token":"last"}')).toBe("last");
  });

  it("does not take a token from a __proto__ member", () => {
    expect(parse('{"__proto__":{"refresh_token":"x"}}')).toBeUndefined();
    expect(parse('{"__proto__":{"refreshToken":"x"}}')).toBeUndefined();
  });

  it.each([
    ["refresh_token", '{"refresh_token":42}'],
    ["refresh_token", '{"refresh_token":["abc"]}'],
    ["refresh_token", '{"refresh_token":{"value":"abc"}}'],
    ["refresh_token", '{"refresh_token":true}'],
    ["refreshToken", '{"refreshToken":7}'],
    ["refreshToken", '{"refresh_token":"abc","refreshToken":[]}'],
  ])("refuses a non-string %s as bad_request naming the field (%s)", (name, text) => {
    const error = badRequestOf(Buffer.from(text));
    expect(error.publicMessage).toBe(`${name} must be a string`);
  });

  it.each([
    ["not JSON", "refresh_token=abc", "Request body must be valid JSON"],
    ["truncated JSON", '{"refresh_token":"abc"', "Request body must be valid JSON"],
    ["a JSON array", '["abc"]', "Request body must be a JSON object"],
    ["a JSON string", '"abc"', "Request body must be a JSON object"],
    ["a JSON number", "42", "Request body must be a JSON object"],
    ["JSON null", "null", "Request body must be a JSON object"],
  ])("refuses %s as bad_request", (_, text, message) => {
    expect(badRequestOf(Buffer.from(text)).publicMessage).toBe(message);
  });

  it("refuses a body that is not valid UTF-8", () => {
    const raw = Buffer.concat([Buffer.from('{"refresh_token":"'), Buffer.from([0xc3, 0x28, 0xff])]);
    expect(badRequestOf(Buffer.concat([raw, Buffer.from('"}')])).publicMessage).toBe(
      "Request body must be UTF-8 encoded JSON",
    );
  });

  it("answers a parse failure with the documented 400 envelope and its own message", () => {
    const error = badRequestOf(Buffer.from('{"refresh_token":42}'));
    const response = restError(error);
    expect(response.status).toBe(400);
    expect(response.body).toBe(
      '{"status":"fail","message":"refresh_token must be a string","errorCode":"INVALID","data":{"errorName":"SignInApiError"}}',
    );
  });

  it("answers a missing token with the documented 400 body byte for byte", () => {
    const response = restError(new RefreshError("missing_token"));
    expect(response.status).toBe(400);
    expect(response.headers).toEqual({});
    expect(response.body).toBe(
      '{"status":"fail","message":"Refresh Token is Required","errorCode":"INVALID","data":{"errorName":"SignInApiError"}}',
    );
  });
});

describe("readCookie", () => {
  it("reads the named cookie among others", () => {
    expect(readCookie("theme=dark; refresh_token=abc.def; lang=en", "refresh_token")).toBe(
      "abc.def",
    );
  });

  it("takes the first of several cookies with the name", () => {
    expect(readCookie("refresh_token=first; refresh_token=second", "refresh_token")).toBe("first");
  });

  it("unquotes a quoted value", () => {
    expect(readCookie('refresh_token="abc.def"', "refresh_token")).toBe("abc.def");
  });

  it("keeps = signs inside the value", () => {
    expect(readCookie("refresh_token=abc==; x=1", "refresh_token")).toBe("abc==");
  });

  it.each([
    ["no header", undefined],
    ["a null header", null],
    ["an empty header", ""],
    ["only other cookies", "theme=dark; lang=en"],
    ["a longer name", "xrefresh_token=abc"],
    ["a name with a suffix", "refresh_token_old=abc"],
    ["a name without =", "refresh_token; other=1"],
  ])("finds nothing with %s", (_, header) => {
    expect(readCookie(header, "refresh_token")).toBeUndefined();
  });

  it("skips similar names to reach the exact one", () => {
    expect(
      readCookie("xrefresh_token=no; refresh_token_old=no; refresh_token=yes", "refresh_token"),
    ).toBe("yes");
  });
});

describe("the refresh token cookie the service writes", () => {
  const settings = { name: "refresh_token", path: "/auth/api/v1", maxAgeSeconds: 2_592_000 };
  const header = refreshCookie(settings, "rotated.value");
  const attributes = header.split("; ");
  const clearing = clearedCookie(settings).split("; ");

  it("starts with the name and value", () => {
    expect(attributes[0]).toBe("refresh_token=rotated.value");
  });

  it.each(["HttpOnly", "Secure", "SameSite=Strict", "Path=/auth/api/v1", "Max-Age=2592000"])(
    "carries %s",
    (attribute) => {
      expect(attributes).toContain(attribute);
    },
  );

  it("carries no Domain, so the cookie stays host-only", () => {
    expect(header.toLowerCase()).not.toContain("domain=");
  });

  it("round-trips through readCookie", () => {
    expect(readCookie(attributes[0], "refresh_token")).toBe("rotated.value");
  });

  it("clears the same cookie: same name and path, empty, Max-Age=0, same attributes", () => {
    expect(clearing).toEqual([
      "refresh_token=",
      "Path=/auth/api/v1",
      "Max-Age=0",
      "HttpOnly",
      "Secure",
      "SameSite=Strict",
    ]);
  });
});
