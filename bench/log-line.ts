/**
 * What the service's request log line costs: the bench servers run with LOG_LEVEL=silent,
 * production logs one line per request at info. Writes 5 rounds of 50,000 lines with the
 * fields observe-requests.ts logs through src/observability/log.ts (pino, synchronous writes to stderr)
 * and prints the CPU per line of each round. Send stderr to a pipe or /dev/null:
 *   npm exec -- node bench/log-line.ts 2>/dev/null
 */
import { createLogger } from "../src/observability/log.ts";

const LINES = 50_000;
const ROUNDS = 5;

const logger = createLogger({ level: "info" });
const fields = {
  requestId: "3f0c2a1e-8d7b-4c55-9a1e-2b7f6d9c0e41",
  method: "POST",
  protocol: "rest",
  route: "refresh",
  outcome: "success",
  status: 200,
  durationMs: 1.23,
  upstreamMs: 0.98,
  upstreamAttempts: 1,
  coalesced: false,
};

for (let i = 0; i < LINES / 10; i++) logger.info("request", fields);
const perLine: string[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const before = process.cpuUsage();
  for (let i = 0; i < LINES; i++) logger.info("request", fields);
  const used = process.cpuUsage(before);
  perLine.push(((used.user + used.system) / LINES).toFixed(1));
}
process.stdout.write(`request log line: ${perLine.join(", ")} µs CPU per line\n`);
