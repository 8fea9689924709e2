import type { RefreshCustomerToken } from "../refresh/refresh-customer-token.ts";
import type { RevokeCustomerToken } from "../refresh/revoke-customer-token.ts";
import type { ClientAddressOf } from "./client-address.ts";
import type { CookieSettings } from "./cookie.ts";
import type { Request } from "./types.ts";

/** What each face of the token use cases (REST, RPC) is given by the composition root. */
export interface TokenFaceOptions {
  refresh: RefreshCustomerToken;
  revoke: RevokeCustomerToken;
  /** Where the faces live: the REST routes under it, the procedures also under it. */
  basePath: string;
  bodyLimitBytes: number;
  cookie: CookieSettings;
  clientAddressOf: ClientAddressOf;
  /** Whether a cookie-carried request comes from a page of an untrusted origin. */
  fromOtherOrigin: (req: Request) => boolean;
}
