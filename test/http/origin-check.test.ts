import { describe, expect, it } from "vitest";
import { createOriginCheck } from "../../src/http/origin-check.ts";
import type { Request } from "../../src/http/types.ts";

const API = "api.worth.test";
const LISTED = "https://app.worth.test";
const fromOtherOrigin = createOriginCheck([LISTED]);

function request(headers: Record<string, string>, authority?: string): Request {
  const base = { headers: { host: API, ...headers } };
  return (authority === undefined ? base : { ...base, authority }) as unknown as Request;
}

describe("where a cookie-carried request comes from", () => {
  it.each<[string, Record<string, string>]>([
    ["neither header (curl, a server)", {}],
    ["Sec-Fetch-Site: same-origin", { "sec-fetch-site": "same-origin", origin: `https://${API}` }],
    ["Sec-Fetch-Site: none (typed by the user)", { "sec-fetch-site": "none" }],
    ["the service's own Origin, no fetch metadata", { origin: `https://${API}` }],
    ["a listed Origin, same-site", { "sec-fetch-site": "same-site", origin: LISTED }],
    ["a listed Origin, no fetch metadata", { origin: LISTED }],
  ])("trusts %s", (_label, headers) => {
    expect(fromOtherOrigin(request(headers))).toBe(false);
  });

  it.each<[string, Record<string, string>]>([
    ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site", origin: "https://evil.test" }],
    ["cross-site even from a listed Origin", { "sec-fetch-site": "cross-site", origin: LISTED }],
    ["cross-site with no Origin", { "sec-fetch-site": "cross-site" }],
    [
      "an unlisted sibling, same-site",
      { "sec-fetch-site": "same-site", origin: "https://x.worth.test" },
    ],
    ["same-site with no Origin", { "sec-fetch-site": "same-site" }],
    ["an unlisted Origin, no fetch metadata", { origin: "https://evil.test" }],
    ["Origin: null (a sandboxed frame)", { origin: "null" }],
    ["an Origin that is no URL", { origin: "not an origin" }],
    ["a listed origin on another port", { origin: "https://app.worth.test:8443" }],
    ["an unknown Sec-Fetch-Site with no Origin", { "sec-fetch-site": "elsewhere" }],
  ])("refuses %s", (_label, headers) => {
    expect(fromOtherOrigin(request(headers))).toBe(true);
  });

  it("reads the HTTP/2 :authority as the service's own host", () => {
    const h2 = request({ origin: "https://h2.worth.test" }, "h2.worth.test");
    expect(fromOtherOrigin(h2)).toBe(false);
  });

  it("compares the Sec-Fetch-Site value without regard to case", () => {
    expect(fromOtherOrigin(request({ "sec-fetch-site": "Cross-Site", origin: LISTED }))).toBe(true);
  });
});
