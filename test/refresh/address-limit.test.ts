// The per-address limit behind a trusted proxy: however a client's address is written in
// X-Forwarded-For, and whichever address of its /64 it uses, it has one budget.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JSON_TYPE, restFetch } from "../support/clients.ts";
import { type ServiceWithFake, startWithFake } from "../support/server.ts";

let service: ServiceWithFake;

beforeAll(async () => {
  service = await startWithFake({}, { TRUST_PROXY: "127.0.0.1", RATE_LIMIT_PER_MINUTE: "4" });
});
afterAll(() => service?.close());

async function statusesFor(spellings: readonly string[]): Promise<number[]> {
  const statuses: number[] = [];
  for (const spelling of spellings) {
    const result = await restFetch(service.url, {
      headers: { ...JSON_TYPE, "x-forwarded-for": spelling },
      body: JSON.stringify({ refresh_token: service.fake.issueRefreshToken() }),
    });
    statuses.push(result.status);
  }
  return statuses;
}

describe("one client behind the proxy", () => {
  it("gets one budget whichever way its IPv6 address is written, and from any address of its /64", async () => {
    const spellings = [
      "2001:db8:77::1",
      "2001:DB8:77::1",
      "2001:0db8:0077::1",
      "[2001:db8:77::1]:443",
      "2001:db8:77::1%eth0",
      "2001:db8:77::2",
      "2001:db8:77:0:ffff::9",
    ];
    expect(await statusesFor(spellings)).toEqual([200, 200, 200, 200, 429, 429, 429]);
  });

  it("gets one budget with or without a port, IPv4-mapped or not", async () => {
    const spellings = [
      "198.51.100.21",
      "198.51.100.21:51",
      "::ffff:198.51.100.21",
      "[::ffff:198.51.100.21]:8080",
      "198.51.100.21:52",
    ];
    expect(await statusesFor(spellings)).toEqual([200, 200, 200, 200, 429]);
  });

  it("does not share it with another client", async () => {
    expect(await statusesFor(["198.51.100.22", "2001:db8:78::1"])).toEqual([200, 200]);
  });
});
