// Shared pieces of the DynamoDB integration tests: a client per fresh account, table creation,
// error capture, attribute-value shorthands and the Nimbus clock.
import { expect } from "vitest";
import { CreateTableCommand, DynamoDBClient, type AttributeDefinition, type KeySchemaElement } from "@aws-sdk/client-dynamodb";
import { freshAccount, sdkConfig, type TestNimbus } from "../../support/nimbus.js";

export interface Account {
  id: string;
  client: DynamoDBClient;
}

export function account(n: TestNimbus, region?: string): Account {
  const id = freshAccount();
  return { id, client: new DynamoDBClient(sdkConfig(n.endpoint, { accountId: id, region })) };
}

/** Creates a PAY_PER_REQUEST table with a hash key (and a range key when given). */
export async function createTable(c: DynamoDBClient, name: string, hash: [string, "S" | "N" | "B"], range?: [string, "S" | "N" | "B"]): Promise<void> {
  const KeySchema: KeySchemaElement[] = [{ AttributeName: hash[0], KeyType: "HASH" }];
  const AttributeDefinitions: AttributeDefinition[] = [{ AttributeName: hash[0], AttributeType: hash[1] }];
  if (range) {
    KeySchema.push({ AttributeName: range[0], KeyType: "RANGE" });
    AttributeDefinitions.push({ AttributeName: range[0], AttributeType: range[1] });
  }
  await c.send(new CreateTableCommand({ TableName: name, KeySchema, AttributeDefinitions, BillingMode: "PAY_PER_REQUEST" }));
}

export interface CapturedError {
  name: string;
  message: string;
  Item?: Record<string, unknown>;
  $metadata: { httpStatusCode?: number };
}

/** The error a call fails with (fails the test if it succeeds). */
export async function failure(p: Promise<unknown>): Promise<CapturedError> {
  try {
    await p;
  } catch (e) {
    return e as CapturedError;
  }
  throw new Error("expected the call to fail");
}

/** Attribute-value shorthands: S("a") is { S: "a" }, N(1) is { N: "1" }. */
export const S = (s: string) => ({ S: s });
export const N = (s: string | number) => ({ N: String(s) });

/** Moves the Nimbus clock forward by an ISO-8601 duration (POST /_nimbus/clock). */
export { advanceClock } from "../../support/nimbus.js";
