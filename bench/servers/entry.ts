/**
 * Child-process entry: starts one server under test on a free loopback port, tells the runner
 * its port over IPC, and answers the runner's commands (CPU time, peak RSS, exit).
 *   node bench/servers/entry.ts <service|raw-http|raw-http2|express|grpc-js|connect-bare-h1|connect-bare-h2>
 * The fake's COGNITO_* settings come in the environment; BENCH_SRC_ROOT names another checkout
 * whose src/ to run instead of this one's (see source.ts).
 */
import { writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { Http2Server } from "node:http2";
import { Session } from "node:inspector";
import type { AddressInfo } from "node:net";
import { serveCommands } from "../children.ts";
import { connectBareServer } from "./connect-bare.ts";
import { expressServer } from "./express.ts";
import { grpcJsServer } from "./grpc-js.ts";
import { SERVER_KINDS, type ServerKind } from "./kinds.ts";
import { rawHttpServer } from "./raw-http.ts";
import { rawHttp2Server } from "./raw-http2.ts";
import { loadSource, type Source } from "./source.ts";
import { createWork } from "./work.ts";

interface Started {
  port: number;
  close(): Promise<void>;
}

async function listen(server: Server | Http2Server, close: () => void): Promise<Started> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        close();
        server.close(() => resolve());
        setTimeout(resolve, 1000).unref();
      }),
  };
}

async function startService({ loadConfig, createService }: Source): Promise<Started> {
  const config = loadConfig({
    ...process.env,
    PORT: "0",
    METRICS_PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    // The production limiter stays on (its cost is the service's), set above any bench rate.
    RATE_LIMIT_PER_MINUTE: "1000000",
  });
  const app = createService(config);
  const { port } = await app.listen();
  return { port, close: () => app.close(1000) };
}

async function start(kind: ServerKind, source: Source): Promise<Started> {
  if (kind === "service") {
    return startService(source);
  }
  const work = createWork(process.env, source);
  await work.hydrate();
  const destroy = () => work.destroy();
  switch (kind) {
    case "raw-http":
      return listen(rawHttpServer(work), destroy);
    case "raw-http2":
      return listen(rawHttp2Server(work), destroy);
    case "express":
      return listen(expressServer(work), destroy);
    case "connect-bare-h1":
      return listen(connectBareServer(work, "1.1"), destroy);
    case "connect-bare-h2":
      return listen(connectBareServer(work, "2"), destroy);
    case "grpc-js": {
      const started = await grpcJsServer(work);
      return {
        port: started.port,
        close: async () => {
          destroy();
          await started.close();
        },
      };
    }
  }
}

const kind = process.argv[2] as ServerKind;
if (!(SERVER_KINDS as readonly string[]).includes(kind)) {
  process.stderr.write(`unknown server kind: ${kind}\n`);
  process.exit(2);
}
const started = await start(kind, await loadSource(process.env.BENCH_SRC_ROOT));
// The V8 CPU profiler (what --cpu-prof uses), switched on and off by the runner so that a
// profile covers only steady load: not start-up, not warm-up. Connected only when asked, so
// that a server that is not profiled carries no inspector session.
let inspector: Session | undefined;
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) => {
    if (!inspector) {
      inspector = new Session();
      inspector.connect();
    }
    inspector.post(method, params, (error, result) => (error ? reject(error) : resolve(result)));
  });
serveCommands(
  { port: started.port },
  async (message) => {
    if (message.cmd === "profile-start") {
      await post("Profiler.enable");
      await post("Profiler.setSamplingInterval", { interval: 500 });
      await post("Profiler.start");
      return true;
    }
    if (message.cmd === "profile-stop") {
      const { profile } = (await post("Profiler.stop")) as { profile: unknown };
      writeFileSync(String(message.path), JSON.stringify(profile));
      return true;
    }
    // What the heap holds: allocations sampled since the start and still alive at the stop.
    if (message.cmd === "heap-sample-start") {
      await post("HeapProfiler.enable");
      await post("HeapProfiler.startSampling", { samplingInterval: 4096 });
      return true;
    }
    if (message.cmd === "heap-sample-stop") {
      const { profile } = (await post("HeapProfiler.stopSampling")) as { profile: unknown };
      writeFileSync(String(message.path), JSON.stringify(profile));
      return true;
    }
    throw new Error(`unknown command ${message.cmd}`);
  },
  () => started.close(),
);
