/**
 * Phase 4, upstream efficiency: N identical concurrent refreshes (half REST, half gRPC, one
 * service process) must make one provider call; plus the provider calls and connections the
 * earlier phases saw, per target.
 */
import { grpcJsClient, http1Client } from "../load/rpc-clients.ts";
import { token } from "../load/tokens.ts";
import type { TargetResult, Upstream } from "../result.ts";
import { REST_PATH } from "../servers/bytes.ts";
import { type BenchContext, round2 } from "./context.ts";

async function coalesced(context: BenchContext): Promise<Upstream["coalesced"]> {
  const { options, fake, fakeStats, server } = context;
  const serviceTarget = context.targets.find((target) => target.service && !target.variant);
  if (!serviceTarget) return undefined;
  await fake.request("latency", { ms: options.coalesceLatencyMs });
  const port = server(serviceTarget).ready.port as number;
  const rest = http1Client(`http://127.0.0.1:${port}`, options.coalesceN);
  const grpc = grpcJsClient(port);
  const same = token("coalesce-1");
  const before = await fakeStats();
  const answers = await Promise.allSettled(
    Array.from({ length: options.coalesceN }, (_, i) =>
      i % 2 === 0
        ? rest
            .post(REST_PATH, JSON.stringify({ refresh_token: same }), {
              "content-type": "application/json",
            })
            .then(({ status }) => {
              if (status !== 200) throw new Error(`status ${status}`);
            })
        : grpc.call(same),
    ),
  );
  const after = await fakeStats();
  rest.close();
  grpc.close();
  await fake.request("latency", { ms: 0 });
  const result = {
    n: options.coalesceN,
    ok: answers.filter((answer) => answer.status === "fulfilled").length,
    providerCalls: after.calls - before.calls,
    providerLatencyMs: options.coalesceLatencyMs,
    over: "half REST (HTTP/1.1), half gRPC (h2c), at once, to one service process",
  };
  options.log(
    `${result.n} identical concurrent refreshes: ${result.providerCalls} provider call(s)`,
  );
  return result;
}

export async function upstream(
  context: BenchContext,
  results: readonly TargetResult[],
): Promise<Upstream> {
  const byTarget = (value: (result: TargetResult) => number) =>
    Object.fromEntries(results.map((result) => [result.id, value(result)]));
  const sum = (result: TargetResult, value: (round: TargetResult["rounds"][number]) => number) =>
    result.rounds.reduce((total, round) => total + value(round), 0);
  return {
    callsPerRefresh: byTarget((r) => r.checkProviderCalls),
    steadyCallsPerRefresh: byTarget((r) =>
      round2(
        sum(r, (round) => round.providerCalls) /
          Math.max(
            1,
            sum(r, (round) => round.refreshes),
          ),
      ),
    ),
    coalesced: await coalesced(context),
    connectionsDuringSteadyRuns: byTarget((r) => sum(r, (round) => round.connectionsOpenedSteady)),
    connectionsDuringMeasuredRuns: byTarget((r) => sum(r, (round) => round.connectionsOpened)),
    connectionsDuringWarmup: byTarget((r) => r.warmupConnections),
  };
}
