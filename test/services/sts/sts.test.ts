import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

describe("STS GetCallerIdentity (awsQuery)", () => {
  it("answers the root of the account a 12-digit access key names", async () => {
    const account = freshAccount();
    const sts = new STSClient(sdkConfig(n.endpoint, { accountId: account }));
    const out = await sts.send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe(account);
    expect(out.Arn).toBe(`arn:aws:iam::${account}:root`);
    expect(out.UserId).toBe(account);
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("maps any other access key to account 000000000000", async () => {
    const sts = new STSClient(sdkConfig(n.endpoint, { accountId: "AKIAEXAMPLE" }));
    const out = await sts.send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe("000000000000");
    expect(out.Arn).toBe("arn:aws:iam::000000000000:root");
  });
});
