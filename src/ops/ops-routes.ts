import { type Handler, sendAnswer, sendJson } from "../http/types.ts";
import { recordOutcome } from "../observability/request-context.ts";
import { restRoutingError } from "../wire/error-table.ts";

export interface OpsRoutesOptions {
  /** True once the service can serve refreshes (configuration valid, JWKS loaded). */
  isReady: () => boolean;
  /** Facts /readyz reports beside its status, such as where rate limits are counted. */
  readyDetail?: () => Readonly<Record<string, string>>;
  /** The OpenAPI document and the path it is served at. */
  openApi: { path: string; document: string };
}

/** A read-only route: GET and HEAD, never cached. */
export function getOnly(body: () => [number, string]): Handler {
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      recordOutcome("method_not_allowed");
      sendAnswer(res, restRoutingError("method_not_allowed"), { allow: "GET, HEAD" });
      return;
    }
    const [status, text] = body();
    recordOutcome(status < 400 ? "success" : "unavailable");
    sendJson(res, status, text, { "cache-control": "no-store" });
  };
}

/** The probes Kubernetes polls and the OpenAPI document, on the public port. */
export function createOpsRoutes(options: OpsRoutesOptions): Map<string, Handler> {
  const { isReady, openApi } = options;
  return new Map([
    ["/healthz", getOnly(() => [200, '{"status":"ok"}'])],
    [
      "/readyz",
      getOnly(() => {
        const ready = isReady();
        const body = { status: ready ? "ready" : "not_ready", ...options.readyDetail?.() };
        return [ready ? 200 : 503, JSON.stringify(body)];
      }),
    ],
    [openApi.path, getOnly(() => [200, openApi.document])],
  ]);
}
