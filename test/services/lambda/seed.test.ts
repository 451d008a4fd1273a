import { GetAccountSettingsCommand, LambdaClient, ListProvisionedConcurrencyConfigsCommand, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

describe("Lambda seed (restJson1)", () => {
  it("reports AWS's default account limits and an empty usage", async () => {
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: freshAccount() }));
    const out = await lambda.send(new GetAccountSettingsCommand({}));
    expect(out.AccountLimit).toEqual({
      TotalCodeSize: 80530636800,
      CodeSizeUnzipped: 262144000,
      CodeSizeZipped: 52428800,
      ConcurrentExecutions: 1000,
      UnreservedConcurrentExecutions: 1000,
    });
    expect(out.AccountUsage).toEqual({ TotalCodeSize: 0, FunctionCount: 0 });
  });

  it("lists no functions in a fresh account", async () => {
    const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: freshAccount() }));
    const out = await lambda.send(new ListFunctionsCommand({ MaxItems: 10 }));
    expect(out.Functions).toEqual([]);
    expect(out.NextMarker).toBeUndefined();
    expect(out.$metadata.httpStatusCode).toBe(200);
  });

  it("answers an unimplemented operation with a uniform NotImplemented error", async () => {
    const lambda = new LambdaClient(sdkConfig(n.endpoint));
    const e = await lambda.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: "nope" })).catch((err) => err);
    expect(e.name).toBe("NotImplemented");
    expect(e.$metadata.httpStatusCode).toBe(501);
    expect(e.message).toContain("lambda:ListProvisionedConcurrencyConfigs");
  });
});
