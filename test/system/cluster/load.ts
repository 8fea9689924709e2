/** Clients that go through nginx and report which replica answered, and a load that runs for a while. */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Cluster } from "../../../cluster/cluster.ts";
import { AuthService } from "../../../gen/worth/auth/v1/auth_service_pb.ts";
import { REST_PATH } from "../../support/clients.ts";
import type { FakeCognito } from "../../support/fake-cognito/index.ts";

export interface Answer {
  via: "rest" | "grpc";
  ok: boolean;
  /** Turned away by the rate limit (429 / resource_exhausted). */
  refused: boolean;
  /** The HTTP status or the gRPC code's name: what went wrong when not ok. */
  outcome: string;
  /** The port of the replica that answered (the last one nginx tried). */
  replica: string;
  /** Every replica nginx tried, in order. */
  tried: string[];
  startedAt: number;
  endedAt: number;
}

export interface Clients {
  rest(token: string, clientAddress: string): Promise<Answer>;
  grpc(token: string, clientAddress: string): Promise<Answer>;
}

/** nginx's `X-Upstream: 127.0.0.1:1234, 127.0.0.1:5678` as ports. */
function triedOf(header: string | null | undefined): string[] {
  return (header ?? "")
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((address) => address.split(":").pop() ?? "");
}

function answer(
  via: Answer["via"],
  startedAt: number,
  fields: Partial<Answer>,
  upstream?: string | null,
): Answer {
  const tried = triedOf(upstream);
  return {
    via,
    ok: false,
    refused: false,
    outcome: "",
    replica: tried[tried.length - 1] ?? "",
    tried,
    startedAt,
    endedAt: Date.now(),
    ...fields,
  };
}

export function createClients(cluster: Cluster): Clients {
  const transport = createGrpcTransport({ baseUrl: cluster.grpcUrl });
  const grpc = createClient(AuthService, transport);
  return {
    async rest(token, clientAddress) {
      const startedAt = Date.now();
      try {
        const response = await fetch(`${cluster.httpUrl}${REST_PATH}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-forwarded-for": clientAddress },
          body: JSON.stringify({ refresh_token: token }),
        });
        const text = await response.text();
        const ok = response.status === 200 && text.includes('"access_token"');
        return answer(
          "rest",
          startedAt,
          { ok, refused: response.status === 429, outcome: String(response.status) },
          response.headers.get("x-upstream"),
        );
      } catch (error) {
        return answer("rest", startedAt, { outcome: (error as Error).name });
      }
    },
    async grpc(token, clientAddress) {
      const startedAt = Date.now();
      let upstream: string | null = null;
      try {
        const reply = await grpc.refreshCustomerToken(
          { refreshToken: token },
          {
            headers: { "x-forwarded-for": clientAddress },
            onHeader: (headers) => {
              upstream = headers.get("x-upstream");
            },
          },
        );
        return answer(
          "grpc",
          startedAt,
          { ok: reply.accessToken.length > 0, outcome: "OK" },
          upstream,
        );
      } catch (error) {
        const failure = ConnectError.from(error);
        // An error answer's headers (or a trailers-only reply) arrive in the error's metadata.
        upstream ??= failure.metadata.get("x-upstream");
        const refused = failure.code === Code.ResourceExhausted;
        const outcome = refused
          ? Code[failure.code]
          : `${Code[failure.code]}: ${failure.rawMessage}`;
        return answer("grpc", startedAt, { refused, outcome }, upstream);
      }
    },
  };
}

export interface LoadPlan {
  /** When, after the start, to run the action (a kill, a drain) while the load goes on. */
  at: number;
  action(): Promise<void>;
  /** How long the load goes on once the action has finished. */
  afterMs: number;
}

// However long a drain takes on a loaded machine, the load stops by itself.
const LOAD_CAP_MS = 15_000;

let addressCounter = 0;
/** A client address of its own for every request: the per-address limit stays out of the way. */
function nextAddress(): string {
  addressCounter++;
  return `10.${(addressCounter >> 16) & 255}.${(addressCounter >> 8) & 255}.${addressCounter & 255}`;
}

/** Twelve workers, half REST and half gRPC, each sending one refresh after another. */
export async function runLoad(
  clients: Clients,
  fake: FakeCognito,
  plan: LoadPlan,
): Promise<Answer[]> {
  const answers: Answer[] = [];
  const capAt = Date.now() + LOAD_CAP_MS;
  let doneAt: number | undefined;
  const going = () =>
    Date.now() < capAt && (doneAt === undefined || Date.now() < doneAt + plan.afterMs);
  const worker = async (i: number) => {
    const token = fake.issueRefreshToken();
    const send = i % 2 === 0 ? clients.rest : clients.grpc;
    while (going()) answers.push(await send(token, nextAddress()));
  };
  const action = new Promise((resolve) => setTimeout(resolve, plan.at))
    .then(plan.action)
    .finally(() => {
      doneAt = Date.now();
    });
  await Promise.all([...Array.from({ length: 12 }, (_, i) => worker(i)), action]);
  return answers;
}

/**
 * The lost answers that are not gRPC calls ended UNAVAILABLE by the one replica they reached
 * (`port`): those nginx cannot replay, since it streams a gRPC body. Any other loss is a fault.
 */
export function otherThanGrpcOn(port: string, lost: readonly Answer[]): Answer[] {
  return lost.filter(
    (answer) =>
      !(
        answer.via === "grpc" &&
        answer.outcome.startsWith("Unavailable") &&
        answer.tried.join() === port
      ),
  );
}
