/**
 * What chromium itself saw on the wire, from the DevTools protocol: CORS preflights (which
 * page scripts and playwright's request events never show), every response's real headers,
 * and the CORS error the browser blocked a request with.
 */
import type { BrowserContext, Page } from "playwright-core";

export interface Exchange {
  method: string;
  url: string;
  status: number | undefined;
  /** Response headers, names lower-cased. */
  headers: Record<string, string>;
  /** Chromium's reason for blocking, like "PreflightMissingAllowOriginHeader". */
  corsError: string | undefined;
}

export interface NetworkLog {
  /** Exchanges with this URL (query ignored), in the order they started. */
  to(url: string, method?: string): Exchange[];
}

export async function recordNetwork(context: BrowserContext, page: Page): Promise<NetworkLog> {
  const cdp = await context.newCDPSession(page);
  const order: string[] = [];
  const sent = new Map<string, { method: string; url: string }>();
  const received = new Map<string, { status: number; headers: Record<string, string> }>();
  const blocked = new Map<string, string>();
  cdp.on("Network.requestWillBeSent", (event) => {
    order.push(event.requestId);
    sent.set(event.requestId, { method: event.request.method, url: event.request.url });
  });
  cdp.on("Network.responseReceivedExtraInfo", (event) => {
    const headers = Object.fromEntries(
      Object.entries(event.headers).map(([name, value]) => [name.toLowerCase(), String(value)]),
    );
    received.set(event.requestId, { status: event.statusCode, headers });
  });
  cdp.on("Network.loadingFailed", (event) => {
    if (event.corsErrorStatus) blocked.set(event.requestId, event.corsErrorStatus.corsError);
  });
  await cdp.send("Network.enable");
  const path = (url: string) => url.split("?")[0];
  return {
    to(url, method) {
      return order.flatMap((id) => {
        const request = sent.get(id);
        if (!request || path(request.url) !== path(url)) return [];
        if (method && request.method !== method) return [];
        const response = received.get(id);
        return [
          {
            ...request,
            status: response?.status,
            headers: response?.headers ?? {},
            corsError: blocked.get(id),
          },
        ];
      });
    },
  };
}
