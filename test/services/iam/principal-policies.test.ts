// The principal-policy provider the IAM service gives the gateway's authorize step: a user's
// own, attached and groups' policies and its boundary decide its requests, and every IAM change
// takes effect on the next request (no stale cache).
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateUserCommand,
  DeleteUserPermissionsBoundaryCommand,
  DetachGroupPolicyCommand,
  IAMClient,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
} from "@aws-sdk/client-iam";
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "allowed";
  } catch (e) {
    return (e as Error).name;
  }
}

describe("a user's policies decide its requests", () => {
  it("group-attached policies grant, boundaries and explicit denies take away, each change applies at once", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    await iam.send(new CreateUserCommand({ UserName: "worker" }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "worker" }))).AccessKey!;
    const sqs = new SQSClient({ endpoint: n.endpoint, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
    const list = () => outcome(sqs.send(new ListQueuesCommand({})));

    // 1. No policy: denied.
    expect(await list()).toBe("AccessDenied");
    // 2. Through a group's attached AWS-managed policy: allowed.
    await iam.send(new CreateGroupCommand({ GroupName: "queue-readers" }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: "queue-readers", PolicyArn: "arn:aws:iam::aws:policy/AmazonSQSFullAccess" }));
    await iam.send(new AddUserToGroupCommand({ GroupName: "queue-readers", UserName: "worker" }));
    expect(await list()).toBe("allowed");
    // 3. A boundary that does not allow SQS takes it away; removing the boundary gives it back.
    await iam.send(new PutUserPermissionsBoundaryCommand({ UserName: "worker", PermissionsBoundary: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }));
    expect(await list()).toBe("AccessDenied");
    await iam.send(new DeleteUserPermissionsBoundaryCommand({ UserName: "worker" }));
    expect(await list()).toBe("allowed");
    // 4. An explicit deny in the user's inline policy wins over the group's allow.
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "worker",
        PolicyName: "no-sqs",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "sqs:*", Resource: "*" }] }),
      }),
    );
    expect(await list()).toBe("AccessDenied");
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "worker",
        PolicyName: "no-sqs",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "s3:*", Resource: "*" }] }),
      }),
    );
    expect(await list()).toBe("allowed");
    // 5. Leaving the group (or the policy leaving it) takes the grant away.
    await iam.send(new RemoveUserFromGroupCommand({ GroupName: "queue-readers", UserName: "worker" }));
    expect(await list()).toBe("AccessDenied");
    await iam.send(new AddUserToGroupCommand({ GroupName: "queue-readers", UserName: "worker" }));
    expect(await list()).toBe("allowed");
    await iam.send(new DetachGroupPolicyCommand({ GroupName: "queue-readers", PolicyArn: "arn:aws:iam::aws:policy/AmazonSQSFullAccess" }));
    expect(await list()).toBe("AccessDenied");
  });
});
