// Function policies: AddPermission builds AWS's statements, GetPolicy answers them with the
// revision, RemovePermission edits them; the policy decides cross-account invocations.
import { AddPermissionCommand, CreateAliasCommand, CreateFunctionCommand, GetFunctionConfigurationCommand, GetPolicyCommand, InvokeCommand, LambdaClient, PublishVersionCommand, RemovePermissionCommand } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { zip } from "./zip-writer.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const err = (p: Promise<unknown>) => p.then(() => ({ name: "none", message: "", status: 0 }), (e) => ({ name: e.name, message: e.message, status: e.$metadata?.httpStatusCode }));

async function setup() {
  const account = freshAccount();
  const lambda = new LambdaClient(sdkConfig(n.endpoint, { accountId: account }));
  await lambda.send(new CreateFunctionCommand({ FunctionName: "p", Runtime: "nodejs20.x", Role: `arn:aws:iam::${account}:role/r`, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": "exports.handler = async (e) => ({ got: e });" }) } }));
  return { account, lambda, arn: `arn:aws:lambda:us-east-1:${account}:function:p` };
}

describe("Lambda permissions", () => {
  it("builds each statement as AWS does and answers the whole policy with the function's revision", async () => {
    const { account, lambda, arn } = await setup();
    expect(await err(lambda.send(new GetPolicyCommand({ FunctionName: "p" })))).toEqual({ name: "ResourceNotFoundException", message: "The resource you requested does not exist.", status: 404 });
    const before = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "p" }));
    const s3 = await lambda.send(new AddPermissionCommand({ FunctionName: "p", StatementId: "s3invoke", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::uploads", SourceAccount: account }));
    expect(s3.$metadata.httpStatusCode).toBe(201);
    const s3Statement = { Sid: "s3invoke", Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "lambda:InvokeFunction", Resource: arn, Condition: { StringEquals: { "AWS:SourceAccount": account }, ArnLike: { "AWS:SourceArn": "arn:aws:s3:::uploads" } } };
    expect(JSON.parse(s3.Statement!)).toEqual(s3Statement);
    expect(s3.Statement).toBe(JSON.stringify(s3Statement));
    const other = await lambda.send(new AddPermissionCommand({ FunctionName: arn, StatementId: "acct", Action: "lambda:GetFunction", Principal: "111122223333" }));
    expect(JSON.parse(other.Statement!)).toEqual({ Sid: "acct", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "lambda:GetFunction", Resource: arn });
    const url = await lambda.send(new AddPermissionCommand({ FunctionName: "p", StatementId: "url", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE" }));
    expect(JSON.parse(url.Statement!)).toEqual({ Sid: "url", Effect: "Allow", Principal: "*", Action: "lambda:InvokeFunctionUrl", Resource: arn, Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "NONE" } } });
    const org = await lambda.send(new AddPermissionCommand({ FunctionName: "p", StatementId: "org", Action: "lambda:InvokeFunction", Principal: "*", PrincipalOrgID: "o-abcdefghij", EventSourceToken: "tok" }));
    expect(JSON.parse(org.Statement!).Condition).toEqual({ StringEquals: { "aws:PrincipalOrgID": "o-abcdefghij", "lambda:EventSourceToken": "tok" } });
    const policy = await lambda.send(new GetPolicyCommand({ FunctionName: "p" }));
    const doc = JSON.parse(policy.Policy!);
    expect(doc.Version).toBe("2012-10-17");
    expect(doc.Id).toBe("default");
    expect(doc.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["s3invoke", "acct", "url", "org"]);
    expect(doc.Statement[0]).toEqual(s3Statement);
    const after = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "p" }));
    expect(after.RevisionId).not.toBe(before.RevisionId);
    expect(policy.RevisionId).toBe(after.RevisionId);
  });

  it("refuses a duplicate StatementId, a stale RevisionId and bad members, changing nothing", async () => {
    const { lambda } = await setup();
    await lambda.send(new AddPermissionCommand({ FunctionName: "p", StatementId: "one", Action: "lambda:InvokeFunction", Principal: "sns.amazonaws.com" }));
    expect(await err(lambda.send(new AddPermissionCommand({ FunctionName: "p", StatementId: "one", Action: "lambda:InvokeFunction", Principal: "sqs.amazonaws.com" })))).toEqual({
      name: "ResourceConflictException",
      message: "The statement id (one) provided already exists. Please provide a new statement id, or remove the existing statement.",
      status: 409,
    });
    expect((await err(lambda.send(new AddPermissionCommand({ FunctionName: "p", StatementId: "two", Action: "lambda:InvokeFunction", Principal: "sns.amazonaws.com", RevisionId: "stale" })))).name).toBe("PreconditionFailedException");
    expect((await err(lambda.send(new AddPermissionCommand({ FunctionName: "p", StatementId: "bad sid", Action: "lambda:InvokeFunction", Principal: "sns.amazonaws.com" })))).name).toBe("ValidationException");
    expect((await err(lambda.send(new AddPermissionCommand({ FunctionName: "p", StatementId: "x", Action: "s3:GetObject", Principal: "sns.amazonaws.com" })))).name).toBe("ValidationException");
    expect((await err(lambda.send(new AddPermissionCommand({ FunctionName: "nope", StatementId: "x", Action: "lambda:InvokeFunction", Principal: "sns.amazonaws.com" })))).name).toBe("ResourceNotFoundException");
    const policy = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: "p" }))).Policy!);
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["one"]);
  });

  it("removes statements one by one; the last one removes the policy", async () => {
    const { lambda } = await setup();
    await lambda.send(new AddPermissionCommand({ FunctionName: "p", StatementId: "a", Action: "lambda:InvokeFunction", Principal: "sns.amazonaws.com" }));
    await lambda.send(new AddPermissionCommand({ FunctionName: "p", StatementId: "b", Action: "lambda:InvokeFunction", Principal: "events.amazonaws.com" }));
    expect(await err(lambda.send(new RemovePermissionCommand({ FunctionName: "p", StatementId: "zz" })))).toEqual({ name: "ResourceNotFoundException", message: "Statement zz is not found in resource policy.", status: 404 });
    const r = await lambda.send(new RemovePermissionCommand({ FunctionName: "p", StatementId: "a" }));
    expect(r.$metadata.httpStatusCode).toBe(204);
    expect(JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: "p" }))).Policy!).Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["b"]);
    await lambda.send(new RemovePermissionCommand({ FunctionName: "p", StatementId: "b" }));
    expect((await err(lambda.send(new GetPolicyCommand({ FunctionName: "p" })))).name).toBe("ResourceNotFoundException");
    expect(await err(lambda.send(new RemovePermissionCommand({ FunctionName: "p", StatementId: "b" })))).toEqual({ name: "ResourceNotFoundException", message: "No policy is associated with the given resource.", status: 404 });
  });

  it("keeps a policy per version and alias, with the qualified ARN as Resource", async () => {
    const { lambda, arn } = await setup();
    await lambda.send(new PublishVersionCommand({ FunctionName: "p" }));
    await lambda.send(new CreateAliasCommand({ FunctionName: "p", Name: "live", FunctionVersion: "1" }));
    const st = await lambda.send(new AddPermissionCommand({ FunctionName: "p", Qualifier: "live", StatementId: "a", Action: "lambda:InvokeFunction", Principal: "sns.amazonaws.com" }));
    expect(JSON.parse(st.Statement!).Resource).toBe(`${arn}:live`);
    await lambda.send(new AddPermissionCommand({ FunctionName: `${arn}:1`, StatementId: "v", Action: "lambda:InvokeFunction", Principal: "sns.amazonaws.com" }));
    expect(JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: "p", Qualifier: "live" }))).Policy!).Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["a"]);
    expect(JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: "p", Qualifier: "1" }))).Policy!).Statement[0].Resource).toBe(`${arn}:1`);
    expect((await err(lambda.send(new GetPolicyCommand({ FunctionName: "p" })))).name).toBe("ResourceNotFoundException");
  });

  it("lets another account invoke only when the function's policy names it", async () => {
    const { account, lambda, arn } = await setup();
    const other = freshAccount();
    const them = new LambdaClient(sdkConfig(n.endpoint, { accountId: other }));
    const denied = await err(them.send(new InvokeCommand({ FunctionName: arn, Payload: Buffer.from('{"n":1}') })));
    expect(denied.name).toBe("AccessDeniedException");
    expect(denied.message).toContain(`arn:aws:iam::${other}:root is not authorized to perform: lambda:InvokeFunction on resource: ${arn}`);
    await lambda.send(new AddPermissionCommand({ FunctionName: "p", StatementId: "them", Action: "lambda:InvokeFunction", Principal: other }));
    const ok = await them.send(new InvokeCommand({ FunctionName: arn, Payload: Buffer.from('{"n":1}') }));
    expect(JSON.parse(Buffer.from(ok.Payload!).toString())).toEqual({ got: { n: 1 } });
    // The grant is for InvokeFunction only; a qualifier's policy is separate.
    expect((await err(them.send(new GetFunctionConfigurationCommand({ FunctionName: arn })))).name).toBe("AccessDeniedException");
    await lambda.send(new PublishVersionCommand({ FunctionName: "p" }));
    expect((await err(them.send(new InvokeCommand({ FunctionName: `${arn}:1` })))).name).toBe("AccessDeniedException");
    // The owner removes the grant: denied again.
    await lambda.send(new RemovePermissionCommand({ FunctionName: "p", StatementId: "them" }));
    expect((await err(them.send(new InvokeCommand({ FunctionName: arn })))).name).toBe("AccessDeniedException");
    expect(account).not.toBe(other);
  });
});
