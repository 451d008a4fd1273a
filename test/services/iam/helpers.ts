// Shared pieces of the IAM integration tests: a client for an account and error capture.
import { IAMClient } from "@aws-sdk/client-iam";
import { sdkConfig, type TestNimbus } from "../../support/nimbus.js";

/** An IAM client acting as the root of `account` (a 12-digit id from freshAccount()). */
export function iamFor(n: TestNimbus, account: string): IAMClient {
  return new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
}

/** The error a call fails with: name, message and HTTP status (fails the test if it succeeds). */
export async function error(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error("expected the request to fail");
}
