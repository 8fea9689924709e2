/** How a refresh is asked of Cognito: GetTokensFromRefreshToken, or InitiateAuth's REFRESH_TOKEN_AUTH. */
export type RefreshApi = "get-tokens" | "initiate-auth";

/** The user pool and app client the Cognito adapters talk to. */
export interface CognitoSettings {
  region: string;
  userPoolId: string;
  clientId: string;
  clientSecret: string | undefined;
  /** Set for emulators and fakes; the real AWS endpoint otherwise. */
  endpoint: string | undefined;
  refreshApi: RefreshApi;
  issuer: string;
  jwksUri: string;
}
