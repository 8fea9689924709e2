// The refresh token cookie: read from a request's Cookie header, and written (and cleared)
// with the attributes that keep it from scripts, other sites and other hosts.
import { describe, expect, it } from "vitest";
import { clearedCookie, readCookie, refreshCookie } from "../../src/http/cookie.ts";

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
