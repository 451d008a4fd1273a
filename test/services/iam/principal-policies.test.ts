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
  TagUserCommand,
  UntagUserCommand,
} from "@aws-sdk/client-iam";
import { CreateQueueCommand, GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
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

// The gateway decides once per principal and IAM change what reads only the principal's own
// keys (core/iam/principal-plan.ts): a tag change must still apply on the very next request,
// and keys of the request (aws:SourceIp) are still read on every request.
describe("conditions on the principal's own keys and on the request's", () => {
  it("a principal tag added or removed applies on the next request; aws:SourceIp and ${aws:username} are honoured", async () => {
    const account = freshAccount();
    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
    const root = new SQSClient(sdkConfig(n.endpoint, { accountId: account }));
    const mine = (await root.send(new CreateQueueCommand({ QueueName: "carol-jobs" }))).QueueUrl!;
    const theirs = (await root.send(new CreateQueueCommand({ QueueName: "dave-jobs" }))).QueueUrl!;
    const office = (await root.send(new CreateQueueCommand({ QueueName: "office" }))).QueueUrl!;
    await iam.send(new CreateUserCommand({ UserName: "carol" }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "carol",
        PolicyName: "queues",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Sid: "Blocked", Effect: "Deny", Action: "sqs:*", Resource: "*", Condition: { StringEquals: { "aws:PrincipalTag/blocked": "true" } } },
            { Sid: "Own", Effect: "Allow", Action: "sqs:GetQueueAttributes", Resource: `arn:aws:sqs:*:${account}:\${aws:username}-*` },
            { Sid: "Loopback", Effect: "Allow", Action: "sqs:GetQueueAttributes", Resource: `arn:aws:sqs:*:${account}:office`, Condition: { IpAddress: { "aws:SourceIp": "127.0.0.0/8" } } },
            { Sid: "Elsewhere", Effect: "Deny", Action: "sqs:GetQueueAttributes", Resource: `arn:aws:sqs:*:${account}:office`, Condition: { NotIpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] } } },
          ],
        }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "carol" }))).AccessKey!;
    const sqs = new SQSClient({ endpoint: n.endpoint, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
    const get = async (QueueUrl: string) => {
      try {
        const r = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
        return r.Attributes?.QueueArn?.split(":").pop();
      } catch (e) {
        return (e as Error).name;
      }
    };

    expect(await get(mine)).toBe("carol-jobs");
    expect(await get(theirs)).toBe("AccessDenied");
    // Requests from 127.0.0.1 match the Loopback allow and escape the Elsewhere deny.
    expect(await get(office)).toBe("office");
    // Tagging the user blocked denies at once, every queue; untagging gives access back at once.
    await iam.send(new TagUserCommand({ UserName: "carol", Tags: [{ Key: "blocked", Value: "true" }] }));
    expect(await get(mine)).toBe("AccessDenied");
    expect(await get(office)).toBe("AccessDenied");
    await iam.send(new TagUserCommand({ UserName: "carol", Tags: [{ Key: "blocked", Value: "no" }] }));
    expect(await get(mine)).toBe("carol-jobs");
    await iam.send(new TagUserCommand({ UserName: "carol", Tags: [{ Key: "blocked", Value: "true" }] }));
    expect(await get(mine)).toBe("AccessDenied");
    await iam.send(new UntagUserCommand({ UserName: "carol", TagKeys: ["blocked"] }));
    expect(await get(mine)).toBe("carol-jobs");
    expect(await get(office)).toBe("office");
  });
});
