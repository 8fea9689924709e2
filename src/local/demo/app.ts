/**
 * The demo page's script (bundled by build.ts for the browser). It refreshes the demo
 * customer's session with connect-web, the token either in the request body or in the
 * HttpOnly cookie, signs out by revoking the cookie's token, and shows what came back. The
 * API is this page's origin unless `?api=<url>` names another (the browser tests serve the
 * page from a second origin). The RPCs are called under the service's base path, where the
 * refresh token cookie lives.
 */
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import {
  AuthService,
  type RefreshCustomerTokenResponse,
} from "../../../gen/worth/auth/v1/auth_service_pb.ts";
import { decodeJwt, describeExpiry } from "./jwt.ts";

const api = (new URLSearchParams(location.search).get("api") ?? location.origin).replace(
  /\/+$/,
  "",
);

const basePath =
  document.querySelector<HTMLMetaElement>('meta[name="rpc-base-path"]')?.content ?? "";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const tokenBox = element<HTMLTextAreaElement>("token");
const status = element("status");

// Body mode sends no cookies at all, so it proves the body path alone; cookie mode must
// include them, cross-origin too, which is what CORS with credentials allows.
function transport(credentials: RequestCredentials): Transport {
  const fetchWith: typeof fetch = (input, init) => fetch(input, { ...init, credentials });
  const protocol = document.querySelector<HTMLInputElement>('input[name="protocol"]:checked');
  const baseUrl = `${api}${basePath}`;
  return protocol?.value === "grpc-web"
    ? createGrpcWebTransport({ baseUrl, fetch: fetchWith })
    : createConnectTransport({ baseUrl, fetch: fetchWith });
}

function show(state: "busy" | "ok" | "error", text: string): void {
  status.dataset.state = state;
  status.textContent = text;
  element("page-cookies").textContent = document.cookie || "(nothing)";
}

function showTokens(response: RefreshCustomerTokenResponse, via: string): void {
  element("id-token").textContent = JSON.stringify(decodeJwt(response.idToken), null, 2);
  element("access-token").textContent = JSON.stringify(decodeJwt(response.accessToken), null, 2);
  let rotated = "no refresh token in the response body";
  if (response.refreshToken) {
    // A client keeps the newest token: the old one may already be revoked.
    tokenBox.value = response.refreshToken;
    rotated = "rotated: the new refresh token replaced the one in the text box";
  }
  element("summary").textContent = [
    `token_type: ${response.tokenType}`,
    `expires_in: ${response.expiresIn} s`,
    describeExpiry(response.accessToken),
    rotated,
  ].join("\n");
  show("ok", `Refreshed ${via}.`);
}

function failure(error: unknown): string {
  const connect = ConnectError.from(error);
  return `Failed: ${Code[connect.code]}: ${connect.rawMessage}`;
}

async function demoRoute(path: string, init: RequestInit): Promise<Response> {
  const response = await fetch(`${api}${path}`, { cache: "no-store", ...init });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response;
}

async function newToken(): Promise<void> {
  const response = await demoRoute("/demo/token", { credentials: "omit" });
  tokenBox.value = ((await response.json()) as { refresh_token: string }).refresh_token;
  show("ok", "A fresh demo token is in the text box.");
}

async function setCookie(): Promise<void> {
  // JSON, so that even this dev route is a preflighted (non-simple) request.
  await demoRoute("/demo/cookie", {
    method: "POST",
    credentials: "include",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  // The page cannot see an HttpOnly cookie, so it cannot tell whether the browser kept it.
  const apiHost = new URL(api).hostname;
  const warning =
    apiHost === location.hostname
      ? ""
      : ` If ${location.hostname} and ${apiHost} are different sites (localhost and 127.0.0.1` +
        " are), the browser drops this SameSite=Strict cookie: open the page on the API's host.";
  show("ok", `The refresh_token cookie is set (HttpOnly: it is not listed below).${warning}`);
}

async function refreshFromBody(): Promise<void> {
  const client = createClient(AuthService, transport("omit"));
  showTokens(
    await client.refreshCustomerToken({ refreshToken: tokenBox.value.trim() }),
    "from the body",
  );
}

async function refreshFromCookie(): Promise<void> {
  const client = createClient(AuthService, transport("include"));
  showTokens(await client.refreshCustomerToken({ refreshToken: "" }), "from the cookie");
}

async function signOut(): Promise<void> {
  const client = createClient(AuthService, transport("include"));
  await client.revokeCustomerToken({ refreshToken: "" });
  for (const id of ["summary", "id-token", "access-token"]) element(id).textContent = "";
  show("ok", "Signed out: the token is revoked and the cookie cleared.");
}

function on(id: string, action: () => Promise<void>): void {
  element(id).addEventListener("click", () => {
    show("busy", "Working…");
    action().catch((error: unknown) => show("error", failure(error)));
  });
}

element("api").textContent = api;
on("new-token", newToken);
on("set-cookie", setCookie);
on("refresh-body", refreshFromBody);
on("refresh-cookie", refreshFromCookie);
on("sign-out", signOut);
show("busy", "Getting a demo token…");
newToken().catch((error: unknown) => show("error", failure(error)));
