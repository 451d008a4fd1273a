// Queue policies enforced by the IAM engine (issue 6): cross-account access only where the queue
// policy allows it (and the caller's own identity policies too, for IAM users), explicit denies
// against anyone, same-account grants naming a user, AddPermission/RemovePermission writing the
// policy, owner-only actions, and the Policy attribute validated as AWS validates it.
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand, AttachUserPolicyCommand, type IAMClient } from "@aws-sdk/client-iam";
import {
  AddPermissionCommand,
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  RemovePermissionCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { iamFor } from "../iam/helpers.js";
import { PYTHON, ok, useClients } from "../../clients/support.js";
import { account, attributes, codeOf, createQueue, failure } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const arnOf = (account: string, name: string) => `arn:aws:sqs:us-east-1:${account}:${name}`;
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

/** An IAM user of `account` with an access key, and an SQS client acting as it. */
async function user(iam: IAMClient, account: string, name: string): Promise<{ arn: string; sqs: SQSClient }> {
  const u = await iam.send(new CreateUserCommand({ UserName: name }));
  const k = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  expect(u.User?.Arn).toBe(`arn:aws:iam::${account}:user/${name}`);
  return { arn: u.User!.Arn!, sqs: new SQSClient(sdkConfig(n.endpoint, { accountId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! })) };
}

async function bodies(c: SQSClient, url: string): Promise<string[]> {
  const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
  return (got.Messages ?? []).map((m) => m.Body ?? "").sort();
}

describe("cross-account access through the queue policy", () => {
  it("refuses another account until the policy names it; its IAM users need their own policy too", async () => {
    const owner = account(n);
    const other = account(n);
    const url = await createQueue(owner.client, "shared");
    const arn = arnOf(owner.id, "shared");

    const denied = await failure(other.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "early" })));
    expect(codeOf(denied)).toBe("AccessDenied");
    expect(denied.$metadata.httpStatusCode).toBe(403);
    expect(denied.message).toBe(`User: arn:aws:iam::${other.id}:root is not authorized to perform: sqs:sendmessage on resource: ${arn} because no resource-based policy allows the sqs:sendmessage action`);

    await owner.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: doc({ Sid: "other-send", Effect: "Allow", Principal: { AWS: other.id }, Action: "sqs:SendMessage", Resource: arn }) } }));
    await other.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "from root" }));
    // SendMessage only: receiving stays the owner's.
    expect(codeOf(await failure(other.client.send(new ReceiveMessageCommand({ QueueUrl: url }))))).toBe("AccessDenied");

    // The other account's IAM user: the account-wide grant delegates to its identity policies.
    const bob = await user(iamFor(n, other.id), other.id, "bob");
    const bobDenied = await failure(bob.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "bob early" })));
    expect(codeOf(bobDenied)).toBe("AccessDenied");
    expect(bobDenied.message).toContain("because no identity-based policy allows the sqs:sendmessage action");
    await iamFor(n, other.id).send(new PutUserPolicyCommand({ UserName: "bob", PolicyName: "send", PolicyDocument: doc({ Effect: "Allow", Action: "sqs:SendMessage", Resource: "*" }) }));
    await bob.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "from bob" }));

    expect(await bodies(owner.client, url)).toEqual(["from bob", "from root"]);
  });

  it("AddPermission writes the statement AWS writes and grants; RemovePermission takes it back", async () => {
    const owner = account(n);
    const other = account(n);
    const url = await createQueue(owner.client, "perm");
    const arn = arnOf(owner.id, "perm");
    await owner.client.send(new AddPermissionCommand({ QueueUrl: url, Label: "consumer_1", AWSAccountIds: [other.id], Actions: ["ReceiveMessage", "GetQueueUrl", "SendMessage"] }));
    const policy = JSON.parse((await attributes(owner.client, url, ["Policy"])).Policy);
    expect(policy).toEqual({
      Version: "2008-10-17",
      Id: `${arn}/SQSDefaultPolicy`,
      Statement: [{ Sid: "consumer_1", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${other.id}:root` }, Action: ["SQS:ReceiveMessage", "SQS:GetQueueUrl", "SQS:SendMessage"], Resource: arn }],
    });
    expect((await other.client.send(new GetQueueUrlCommand({ QueueName: "perm", QueueOwnerAWSAccountId: owner.id }))).QueueUrl).toBe(url);
    await other.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "granted" }));
    expect(await bodies(other.client, url)).toEqual(["granted"]);

    await owner.client.send(new RemovePermissionCommand({ QueueUrl: url, Label: "consumer_1" }));
    expect((await attributes(owner.client, url, ["Policy"])).Policy).toBeUndefined();
    expect(codeOf(await failure(other.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "revoked" }))))).toBe("AccessDenied");
  });

  it("never lets another account manage the queue, whatever the policy grants", async () => {
    const owner = account(n);
    const other = account(n);
    const url = await createQueue(owner.client, "managed");
    await owner.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: doc({ Effect: "Allow", Principal: { AWS: other.id }, Action: "sqs:*", Resource: arnOf(owner.id, "managed") }) } }));
    await other.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
    for (const call of [
      () => other.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: "5" } })),
      () => other.client.send(new DeleteQueueCommand({ QueueUrl: url })),
      () => other.client.send(new AddPermissionCommand({ QueueUrl: url, Label: "x", AWSAccountIds: [other.id], Actions: ["*"] })),
    ]) {
      expect(codeOf(await failure(call()))).toBe("AccessDenied");
    }
    expect((await attributes(owner.client, url, ["VisibilityTimeout"])).VisibilityTimeout).toBe("30");
  });
});

describe("the queue policy within the owner's account", () => {
  it("grants a user it names directly, and an explicit Deny wins over AmazonSQSFullAccess", async () => {
    const owner = account(n);
    const iam = iamFor(n, owner.id);
    const url = await createQueue(owner.client, "inside");
    const arn = arnOf(owner.id, "inside");
    const carol = await user(iam, owner.id, "carol");
    const dave = await user(iam, owner.id, "dave");
    await iam.send(new AttachUserPolicyCommand({ UserName: "dave", PolicyArn: "arn:aws:iam::aws:policy/AmazonSQSFullAccess" }));

    expect(codeOf(await failure(carol.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "no" }))))).toBe("AccessDenied");
    await dave.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "dave before" }));

    await owner.client.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: {
          Policy: doc(
            { Sid: "carol", Effect: "Allow", Principal: { AWS: carol.arn }, Action: "sqs:SendMessage", Resource: arn },
            { Sid: "no-dave", Effect: "Deny", Principal: { AWS: dave.arn }, Action: ["sqs:SendMessage", "sqs:PurgeQueue"], Resource: arn },
          ),
        },
      }),
    );
    // Carol has no identity policy: the queue policy naming her is enough in her own account.
    await carol.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "carol" }));
    const denied = await failure(dave.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "dave after" })));
    expect(codeOf(denied)).toBe("AccessDenied");
    expect(denied.message).toBe(`User: ${dave.arn} is not authorized to perform: sqs:sendmessage on resource: ${arn} with an explicit deny in a resource-based policy`);
    // Dave may still do what the Deny does not name.
    expect(await bodies(dave.sqs, url)).toEqual(["carol", "dave before"]);
  });

  it("binds the account root to an explicit Deny too (CreateQueue's Policy attribute is enforced at once)", async () => {
    const owner = account(n);
    const url = await createQueue(owner.client, "locked", { Policy: doc({ Effect: "Deny", Principal: "*", Action: "sqs:PurgeQueue", Resource: arnOf(owner.id, "locked") }) });
    await owner.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "ok" }));
    const denied = await failure(owner.client.send(new PurgeQueueCommand({ QueueUrl: url })));
    expect(codeOf(denied)).toBe("AccessDenied");
    expect(denied.message).toContain("with an explicit deny in a resource-based policy");
    expect(await bodies(owner.client, url)).toEqual(["ok"]);
  });
});

describe("the Policy attribute", () => {
  it("is validated as AWS validates it and changes nothing when refused", async () => {
    const owner = account(n);
    const url = await createQueue(owner.client, "validated");
    const arn = arnOf(owner.id, "validated");
    const bad = [
      "not json",
      "[]",
      doc(), // no statements
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sqs:SendMessage", Resource: arn }] }), // no Principal
      doc({ Effect: "Maybe", Principal: "*", Action: "sqs:SendMessage", Resource: arn }),
      doc({ Effect: "Allow", Principal: "*", Action: "SendMessage", Resource: arn }),
      doc({ Effect: "Allow", Principal: { AWS: "bob" }, Action: "sqs:SendMessage", Resource: arn }),
      doc({ Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: arn, Condition: { StringLikeish: { "aws:SourceArn": "x" } } }),
      doc(...Array.from({ length: 21 }, (_, i) => ({ Sid: `s${i}`, Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: arn }))),
      doc({ Effect: "Allow", Principal: "*", Action: ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility", "sqs:PurgeQueue", "sqs:ListQueueTags"], Resource: arn }),
      doc({ Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: arn, Condition: { StringEquals: { "aws:SourceAccount": "1".repeat(9000) } } }),
    ];
    for (const Policy of bad) {
      const e = await failure(owner.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy } })));
      expect([codeOf(e), e.message, e.$metadata.httpStatusCode]).toEqual(["InvalidAttributeValue", "Invalid value for the parameter Policy.", 400]);
    }
    expect(codeOf(await failure(owner.client.send(new CreateQueueCommand({ QueueName: "never", Attributes: { Policy: "{}" } }))))).toBe("InvalidAttributeValue");
    expect((await attributes(owner.client, url, ["Policy"])).Policy).toBeUndefined();
    // A valid policy is stored compact, as GetQueueAttributes answers it; "" removes it.
    const good = `{\n  "Version": "2012-10-17",\n  "Statement": [{"Sid": "__owner_statement", "Effect": "Allow", "Principal": {"AWS": "${owner.id}"}, "Action": "SQS:*", "Resource": "${arn}"}]\n}`;
    await owner.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: good } }));
    expect((await attributes(owner.client, url, ["Policy"])).Policy).toBe(JSON.stringify(JSON.parse(good)));
    await owner.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: "" } }));
    expect((await attributes(owner.client, url, ["Policy"])).Policy).toBeUndefined();
  });
});

describe.skipIf(!PYTHON)("boto3 (query protocol)", () => {
  const clients = useClients(() => n.endpoint);
  it("is refused cross-account with AccessDenied, then let in by the queue policy", async () => {
    const owner = account(n);
    const other = account(n);
    const url = await createQueue(owner.client, "boto");
    const script = `
import json, sys, boto3, botocore
c = boto3.client("sqs", endpoint_url=sys.argv[1], region_name="us-east-1")
out = {}
try:
    c.send_message(QueueUrl=sys.argv[2], MessageBody="denied")
except botocore.exceptions.ClientError as e:
    out["error"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Message"]]
print(json.dumps(out))
`;
    const first = ok(await clients.python(other.id, script, n.endpoint, url));
    expect(first.error).toEqual(["AccessDenied", 403, `User: arn:aws:iam::${other.id}:root is not authorized to perform: sqs:sendmessage on resource: ${arnOf(owner.id, "boto")} because no resource-based policy allows the sqs:sendmessage action`]);
    await owner.client.send(new AddPermissionCommand({ QueueUrl: url, Label: "boto", AWSAccountIds: [other.id], Actions: ["SendMessage"] }));
    expect(ok(await clients.python(other.id, script, n.endpoint, url))).toEqual({});
    expect(await bodies(owner.client, url)).toEqual(["denied"]);
  }, 120_000);
});
