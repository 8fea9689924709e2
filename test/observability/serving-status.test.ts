import { describe, expect, it } from "vitest";
import { createServingStatus, type ServingPhase } from "../../src/observability/serving-status.ts";

describe("serving status", () => {
  it("starts not serving, serves once marked, and tells subscribers each change", () => {
    const status = createServingStatus();
    const told: ServingPhase[] = [];
    status.subscribe((phase) => told.push(phase));
    expect(status.isServing()).toBe(false);
    status.markServing();
    status.markServing();
    expect(status.isServing()).toBe(true);
    status.markDraining();
    expect(status.isServing()).toBe(false);
    expect(told).toEqual(["serving", "draining"]);
  });

  it("stays draining when the keys finish loading during shutdown", () => {
    const status = createServingStatus();
    status.markDraining();
    status.markServing();
    expect(status.phase()).toBe("draining");
    expect(status.isServing()).toBe(false);
  });

  it("stops telling a listener that unsubscribed", () => {
    const status = createServingStatus();
    const told: ServingPhase[] = [];
    const unsubscribe = status.subscribe((phase) => told.push(phase));
    unsubscribe();
    status.markServing();
    expect(told).toEqual([]);
  });
});
