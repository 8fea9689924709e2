/**
 * Seeds the emulator with the demo user pool, app client and customer, through the real SDK.
 * Ids go to a state file beside the emulator's data, which survives restarts, so a restart
 * reuses the same pool instead of piling up new ones.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  type CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";

export interface CustomerDetails {
  email: string;
  givenName: string;
  familyName: string;
}

export interface Customer extends CustomerDetails {
  /** Cognito's username: the pool signs in by email, so this is the user's sub. */
  username: string;
  /** The `custom:id` attribute. */
  customerId: string;
  password: string;
}

export interface DemoSeed {
  userPoolId: string;
  clientId: string;
  customer: Customer;
}

export const DEMO_POOL_NAME = "worth-demo";
const DEMO_CUSTOMER: CustomerDetails = {
  email: "demo.customer@example.com",
  givenName: "Demo",
  familyName: "Customer",
};

export function seedStateFile(dataDir: string): string {
  return join(dataDir, "demo-seed.json");
}

/** The seed recorded in `dataDir`, or undefined when there is none yet. */
export function readDemoSeed(dataDir: string): DemoSeed | undefined {
  try {
    const seed = JSON.parse(readFileSync(seedStateFile(dataDir), "utf8")) as DemoSeed;
    return seed.userPoolId && seed.clientId && seed.customer?.username ? seed : undefined;
  } catch {
    return undefined;
  }
}

/** Reuses the recorded pool, client and customer while the emulator still has them. */
export async function seedDemo(
  client: CognitoIdentityProviderClient,
  dataDir: string,
): Promise<DemoSeed> {
  const recorded = readDemoSeed(dataDir);
  if (recorded && (await stillThere(client, recorded))) {
    return recorded;
  }
  const userPoolId = await createPool(client);
  const clientId = await createAppClient(client, userPoolId);
  const customer = await createCustomer(client, userPoolId, DEMO_CUSTOMER);
  const seed: DemoSeed = { userPoolId, clientId, customer };
  // It holds the demo password: keep it private, and never half-written.
  const file = seedStateFile(dataDir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(seed, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return seed;
}

async function stillThere(client: CognitoIdentityProviderClient, seed: DemoSeed) {
  const { userPoolId, clientId, customer } = seed;
  try {
    await client.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }));
    await client.send(
      new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }),
    );
    await client.send(
      new AdminGetUserCommand({ UserPoolId: userPoolId, Username: customer.username }),
    );
    return true;
  } catch (error) {
    const name = (error as Error).name;
    if (name === "ResourceNotFoundException" || name === "UserNotFoundException") {
      return false;
    }
    throw error;
  }
}

async function createPool(client: CognitoIdentityProviderClient): Promise<string> {
  const { UserPool } = await client.send(
    new CreateUserPoolCommand({
      PoolName: DEMO_POOL_NAME,
      UsernameAttributes: ["email"],
      // cognito-local prefixes it: the claim becomes `custom:id`.
      Schema: [{ Name: "id", AttributeDataType: "String", Mutable: true }],
    }),
  );
  return required(UserPool?.Id, "CreateUserPool returned no pool id");
}

async function createAppClient(client: CognitoIdentityProviderClient, userPoolId: string) {
  const { UserPoolClient } = await client.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: `${DEMO_POOL_NAME}-web`,
      // InitiateAuth with a secret needs the username for SECRET_HASH (see COGNITO_REFRESH_API in the README).
      GenerateSecret: false,
      ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
      EnableTokenRevocation: true,
      AccessTokenValidity: 1,
      IdTokenValidity: 1,
      RefreshTokenValidity: 30,
      TokenValidityUnits: { AccessToken: "hours", IdToken: "hours", RefreshToken: "days" },
    }),
  );
  return required(UserPoolClient?.ClientId, "CreateUserPoolClient returned no client id");
}

/** A confirmed customer with a permanent password, as a signed-up customer would be. */
export async function createCustomer(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
  details: CustomerDetails,
): Promise<Customer> {
  const customerId = randomUUID();
  // Meets Cognito's default policy (upper, lower, digit, symbol), should this meet a real pool.
  const password = `${randomBytes(12).toString("base64url")}Aa1!`;
  const { User } = await client.send(
    new AdminCreateUserCommand({
      UserPoolId: userPoolId,
      Username: details.email,
      MessageAction: "SUPPRESS",
      UserAttributes: [
        { Name: "email", Value: details.email },
        { Name: "email_verified", Value: "true" },
        { Name: "given_name", Value: details.givenName },
        { Name: "family_name", Value: details.familyName },
        { Name: "custom:id", Value: customerId },
      ],
    }),
  );
  const username = required(User?.Username, "AdminCreateUser returned no username");
  await client.send(
    new AdminSetUserPasswordCommand({
      UserPoolId: userPoolId,
      Username: username,
      Password: password,
      Permanent: true,
    }),
  );
  return { ...details, username, customerId, password };
}

/** Signs the customer in with USER_PASSWORD_AUTH and returns the new refresh token. */
export async function freshRefreshToken(
  client: CognitoIdentityProviderClient,
  clientId: string,
  customer: Pick<Customer, "email" | "password">,
): Promise<string> {
  const { AuthenticationResult } = await client.send(
    new InitiateAuthCommand({
      ClientId: clientId,
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: customer.email, PASSWORD: customer.password },
    }),
  );
  return required(AuthenticationResult?.RefreshToken, "InitiateAuth returned no refresh token");
}

function required(value: string | undefined, problem: string): string {
  if (!value) {
    throw new Error(`cognito-local: ${problem}`);
  }
  return value;
}
