// SQS queue lifecycle and configuration through the real SDK v3 client (JSON protocol).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AddPermissionCommand,
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  RemovePermissionCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from "@aws-sdk/client-sqs";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, advance, attributes, client, codeOf, counts, createQueue, failure, unique } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

describe("CreateQueue / GetQueueUrl / ListQueues / DeleteQueue", () => {
  it("creates a queue with AWS's URL, ARN and default attributes", async () => {
    const { id, client: c } = account(n);
    const url = await createQueue(c, "orders");
    expect(url).toBe(`${n.endpoint}/${id}/orders`);
    const a = await attributes(c, url);
    expect(a).toMatchObject({
      QueueArn: `arn:aws:sqs:us-east-1:${id}:orders`,
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
      ApproximateNumberOfMessagesDelayed: "0",
      DelaySeconds: "0",
      MaximumMessageSize: "1048576",
      MessageRetentionPeriod: "345600",
      ReceiveMessageWaitTimeSeconds: "0",
      VisibilityTimeout: "30",
      SqsManagedSseEnabled: "true",
    });
    expect(a.FifoQueue).toBeUndefined();
    expect(Number(a.CreatedTimestamp)).toBeGreaterThan(1_600_000_000);
    expect(Math.abs(Number(a.CreatedTimestamp) - Date.now() / 1000)).toBeLessThan(120);
    expect(a.LastModifiedTimestamp).toBe(a.CreatedTimestamp);

    const got = await c.send(new GetQueueUrlCommand({ QueueName: "orders" }));
    expect(got.QueueUrl).toBe(url);
  });

  it("is idempotent for equal attributes and refuses different ones", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "idem", { VisibilityTimeout: "60", DelaySeconds: "5" });
    expect(await createQueue(c, "idem", { VisibilityTimeout: "60", DelaySeconds: "5" })).toBe(url);
    expect(await createQueue(c, "idem")).toBe(url);
    expect(await createQueue(c, "idem", { VisibilityTimeout: "60" })).toBe(url);
    const e = await failure(c.send(new CreateQueueCommand({ QueueName: "idem", Attributes: { DelaySeconds: "6" } })));
    expect(e.name).toBe("QueueNameExists");
    expect(e.Code).toBe("QueueAlreadyExists");
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.message).toBe("A queue already exists with the same name and a different value for attribute DelaySeconds");
  });

  it("enforces AWS's queue name rules", async () => {
    const { client: c } = account(n);
    const bad = ["has space", "a".repeat(81), "dot.name", "", "slash/name", "plain.fifo"];
    for (const name of bad) {
      const e = await failure(c.send(new CreateQueueCommand({ QueueName: name })));
      expect(codeOf(e), name).toBe("InvalidParameterValue");
      expect(e.message).toBe("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
      expect(e.$metadata.httpStatusCode).toBe(400);
    }
    expect(await createQueue(c, "a".repeat(80))).toContain("a".repeat(80));
    expect(await createQueue(c, "Az09_-x")).toContain("/Az09_-x");
    const fifo = await failure(c.send(new CreateQueueCommand({ QueueName: "nofifosuffix", Attributes: { FifoQueue: "true" } })));
    expect(codeOf(fifo)).toBe("InvalidParameterValue");
    expect(fifo.message).toBe(
      "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
    );
    // .fifo counts towards the 80 characters
    expect(await createQueue(c, "f".repeat(75) + ".fifo", { FifoQueue: "true" })).toContain(".fifo");
    const long = await failure(c.send(new CreateQueueCommand({ QueueName: "f".repeat(76) + ".fifo", Attributes: { FifoQueue: "true" } })));
    expect(codeOf(long)).toBe("InvalidParameterValue");
  });

  it("answers QueueDoesNotExist with AWS's message", async () => {
    const { id, client: c } = account(n);
    const e = await failure(c.send(new GetQueueUrlCommand({ QueueName: "missing" })));
    expect(e.name).toBe("QueueDoesNotExist");
    expect(e.Code).toBe("AWS.SimpleQueueService.NonExistentQueue");
    expect(e.message).toBe("The specified queue does not exist.");
    expect(e.$metadata.httpStatusCode).toBe(400);
    const e2 = await failure(c.send(new SendMessageCommand({ QueueUrl: `${n.endpoint}/${id}/missing`, MessageBody: "x" })));
    expect(e2.name).toBe("QueueDoesNotExist");
  });

  it("resolves a QueueUrl by account and name, whatever the host", async () => {
    const { id, client: c } = account(n);
    await createQueue(c, "anyhost");
    const out = await c.send(new GetQueueAttributesCommand({ QueueUrl: `https://sqs.us-east-1.amazonaws.com/${id}/anyhost`, AttributeNames: ["QueueArn"] }));
    expect(out.Attributes!.QueueArn).toBe(`arn:aws:sqs:us-east-1:${id}:anyhost`);
  });

  it("GetQueueUrl with QueueOwnerAWSAccountId finds another account's queue (once its policy allows that account)", async () => {
    const owner = account(n);
    const other = account(n);
    const url = await createQueue(owner.client, "shared");
    expect((await failure(other.client.send(new GetQueueUrlCommand({ QueueName: "shared", QueueOwnerAWSAccountId: owner.id })))).name).toBe("AccessDenied");
    await owner.client.send(new AddPermissionCommand({ QueueUrl: url, Label: "other", AWSAccountIds: [other.id], Actions: ["GetQueueUrl"] }));
    const got = await other.client.send(new GetQueueUrlCommand({ QueueName: "shared", QueueOwnerAWSAccountId: owner.id }));
    expect(got.QueueUrl).toBe(url);
    expect((await failure(other.client.send(new GetQueueUrlCommand({ QueueName: "shared" })))).name).toBe("QueueDoesNotExist");
  });

  it("lists queues by prefix with MaxResults/NextToken pagination", async () => {
    const { id, client: c } = account(n);
    expect((await c.send(new ListQueuesCommand({}))).QueueUrls).toBeUndefined();
    const names = ["app-a", "app-b", "app-c", "app-d", "app-e", "other"];
    for (const name of names) await createQueue(c, name);
    const all = await c.send(new ListQueuesCommand({}));
    expect(all.QueueUrls).toEqual(names.map((x) => `${n.endpoint}/${id}/${x}`));
    expect(all.NextToken).toBeUndefined();
    const prefixed = await c.send(new ListQueuesCommand({ QueueNamePrefix: "app-" }));
    expect(prefixed.QueueUrls!.length).toBe(5);

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await c.send(new ListQueuesCommand({ QueueNamePrefix: "app-", MaxResults: 2, NextToken: token }));
      pages++;
      seen.push(...(page.QueueUrls ?? []));
      token = page.NextToken;
    } while (token && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(prefixed.QueueUrls);
    const e = await failure(c.send(new ListQueuesCommand({ MaxResults: 1001 })));
    expect(codeOf(e)).toBe("InvalidParameterValue");
  });

  it("lists only the caller's queues in the caller's region", async () => {
    const a = account(n);
    const b = account(n);
    await createQueue(a.client, "mine");
    expect((await b.client.send(new ListQueuesCommand({}))).QueueUrls).toBeUndefined();
    const west = client(n, a.id, { region: "us-west-2" });
    expect((await west.send(new ListQueuesCommand({}))).QueueUrls).toBeUndefined();
    const wurl = await createQueue(west, "mine");
    expect(await attributes(west, wurl, ["QueueArn"])).toEqual({ QueueArn: `arn:aws:sqs:us-west-2:${a.id}:mine` });
  });

  it("deletes a queue and blocks its name for 60 seconds", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "gone");
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "m" }));
    await c.send(new DeleteQueueCommand({ QueueUrl: url }));
    expect((await failure(c.send(new GetQueueUrlCommand({ QueueName: "gone" })))).name).toBe("QueueDoesNotExist");
    expect((await failure(c.send(new DeleteQueueCommand({ QueueUrl: url })))).name).toBe("QueueDoesNotExist");
    const e = await failure(c.send(new CreateQueueCommand({ QueueName: "gone" })));
    expect(e.name).toBe("QueueDeletedRecently");
    expect(e.Code).toBe("AWS.SimpleQueueService.QueueDeletedRecently");
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.message).toBe("You must wait 60 seconds after deleting a queue before you can create another with the same name.");
    await advance(n, "PT61S");
    const again = await createQueue(c, "gone");
    expect(again).toBe(url);
    expect(await counts(c, again)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });
});

describe("Get/SetQueueAttributes", () => {
  it("sets attributes, bumps LastModifiedTimestamp and validates like AWS", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "attrs", { VisibilityTimeout: "20", MessageRetentionPeriod: "604800", ReceiveMessageWaitTimeSeconds: "10" });
    const before = await attributes(c, url);
    expect(before).toMatchObject({ VisibilityTimeout: "20", MessageRetentionPeriod: "604800", ReceiveMessageWaitTimeSeconds: "10" });
    await advance(n, "PT5S");
    await c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: "69", MaximumMessageSize: "2048", DelaySeconds: "420" } }));
    const after = await attributes(c, url);
    expect(after).toMatchObject({ VisibilityTimeout: "69", MaximumMessageSize: "2048", DelaySeconds: "420", MessageRetentionPeriod: "604800" });
    expect(Number(after.LastModifiedTimestamp)).toBeGreaterThan(Number(before.LastModifiedTimestamp));
    expect(after.CreatedTimestamp).toBe(before.CreatedTimestamp);

    const selected = await c.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["VisibilityTimeout", "DelaySeconds"] }));
    expect(selected.Attributes).toEqual({ VisibilityTimeout: "69", DelaySeconds: "420" });
    expect((await c.send(new GetQueueAttributesCommand({ QueueUrl: url }))).Attributes).toBeUndefined();

    const invalid: Array<[string, string]> = [
      ["VisibilityTimeout", "43201"],
      ["VisibilityTimeout", "-1"],
      ["DelaySeconds", "901"],
      ["MaximumMessageSize", "1023"],
      ["MaximumMessageSize", "1048577"],
      ["MessageRetentionPeriod", "59"],
      ["MessageRetentionPeriod", "1209601"],
      ["ReceiveMessageWaitTimeSeconds", "21"],
      ["VisibilityTimeout", "abc"],
    ];
    for (const [k, v] of invalid) {
      const e = await failure(c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { [k]: v } })));
      expect(e.name, `${k}=${v}`).toBe("InvalidAttributeValue");
      expect(e.message).toBe(`Invalid value for the parameter ${k}.`);
      expect(e.$metadata.httpStatusCode).toBe(400);
    }
    const unknown = await failure(c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Nope: "1" } as never })));
    expect(unknown.name).toBe("InvalidAttributeName");
    expect(unknown.message).toBe("Unknown Attribute Nope.");
    const readOnly = await failure(c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { QueueArn: "x" } })));
    expect(readOnly.message).toBe("Unknown Attribute QueueArn.");
    const getUnknown = await failure(c.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["Bogus" as never] })));
    expect(getUnknown.name).toBe("InvalidAttributeName");
    expect(getUnknown.message).toBe("Unknown Attribute Bogus.");
  });

  it("refuses FIFO attributes on a standard queue and queue type changes", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "std");
    const e1 = await failure(c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { ContentBasedDeduplication: "true" } })));
    expect(e1.name).toBe("InvalidAttributeName");
    expect(e1.message).toBe("Unknown Attribute ContentBasedDeduplication.");
    const e2 = await failure(c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { FifoThroughputLimit: "perQueue" } })));
    expect(e2.message).toBe("You can specify the FifoThroughputLimit only when FifoQueue is set to true.");
    const fifo = await createQueue(c, "typed.fifo", { FifoQueue: "true" });
    const e3 = await failure(c.send(new SetQueueAttributesCommand({ QueueUrl: fifo, Attributes: { FifoQueue: "false" } })));
    expect(e3.name).toBe("InvalidAttributeValue");
    expect(e3.message).toBe("Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.");
    expect(await attributes(c, fifo, ["FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"])).toEqual({
      FifoQueue: "true",
      ContentBasedDeduplication: "false",
      DeduplicationScope: "queue",
      FifoThroughputLimit: "perQueue",
    });
    await c.send(new SetQueueAttributesCommand({ QueueUrl: fifo, Attributes: { ContentBasedDeduplication: "true", DeduplicationScope: "messageGroup", FifoThroughputLimit: "perMessageGroupId" } }));
    expect(await attributes(c, fifo, ["ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"])).toEqual({
      ContentBasedDeduplication: "true",
      DeduplicationScope: "messageGroup",
      FifoThroughputLimit: "perMessageGroupId",
    });
  });

  it("handles SSE attributes: KMS and SQS-managed SSE are exclusive", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "sse");
    await c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { KmsMasterKeyId: "testKeyId", KmsDataKeyReusePeriodSeconds: "6000" } }));
    expect(await attributes(c, url, ["KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"])).toEqual({
      KmsMasterKeyId: "testKeyId",
      KmsDataKeyReusePeriodSeconds: "6000",
      SqsManagedSseEnabled: "false",
    });
    const e = await failure(c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { KmsMasterKeyId: "k", SqsManagedSseEnabled: "true" } })));
    expect(e.name).toBe("InvalidAttributeName");
    expect(e.message).toBe("You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.");
    await c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { SqsManagedSseEnabled: "true" } }));
    expect(await attributes(c, url, ["KmsMasterKeyId", "SqsManagedSseEnabled"])).toEqual({ SqsManagedSseEnabled: "true" });
  });

  it("stores a Policy and removes it with an empty value", async () => {
    const { id, client: c } = account(n);
    const url = await createQueue(c, "pol");
    const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: `arn:aws:sqs:us-east-1:${id}:pol` }] };
    await c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: JSON.stringify(policy, null, 2) } }));
    expect(JSON.parse((await attributes(c, url, ["Policy"])).Policy)).toEqual(policy);
    const e = await failure(c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: "{not json" } })));
    expect(e.name).toBe("InvalidAttributeValue");
    await c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: "" } }));
    expect(await attributes(c, url, ["Policy"])).toEqual({});
  });
});

describe("tags and permissions", () => {
  it("tags on CreateQueue, TagQueue, UntagQueue, ListQueueTags", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "tagged", undefined, { team: "core", env: "dev" });
    expect((await c.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({ team: "core", env: "dev" });
    await c.send(new TagQueueCommand({ QueueUrl: url, Tags: { env: "prod", empty: "" } }));
    expect((await c.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({ team: "core", env: "prod", empty: "" });
    await c.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ["team", "empty", "absent"] }));
    expect((await c.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({ env: "prod" });
    await c.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ["env"] }));
    expect((await c.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toBeUndefined();
  });

  it("AddPermission / RemovePermission edit the queue policy by label", async () => {
    const { id, client: c } = account(n);
    const url = await createQueue(c, "perm");
    const arn = `arn:aws:sqs:us-east-1:${id}:perm`;
    await c.send(new AddPermissionCommand({ QueueUrl: url, Label: "crossaccount", AWSAccountIds: [id, "668614515564"], Actions: ["ReceiveMessage"] }));
    expect(JSON.parse((await attributes(c, url, ["Policy"])).Policy)).toEqual({
      Version: "2008-10-17",
      Id: `${arn}/SQSDefaultPolicy`,
      Statement: [
        {
          Sid: "crossaccount",
          Effect: "Allow",
          Principal: { AWS: [`arn:aws:iam::${id}:root`, "arn:aws:iam::668614515564:root"] },
          Action: "SQS:ReceiveMessage",
          Resource: arn,
        },
      ],
    });
    const dup = await failure(c.send(new AddPermissionCommand({ QueueUrl: url, Label: "crossaccount", AWSAccountIds: [id], Actions: ["SendMessage"] })));
    expect(codeOf(dup)).toBe("InvalidParameterValue");
    expect(dup.message).toBe("Value crossaccount for parameter Label is invalid. Reason: Already exists.");
    await c.send(new AddPermissionCommand({ QueueUrl: url, Label: "second", AWSAccountIds: [id], Actions: ["SendMessage", "DeleteMessage"] }));
    const two = JSON.parse((await attributes(c, url, ["Policy"])).Policy) as { Statement: Array<{ Sid: string; Action: unknown }> };
    expect(two.Statement.map((s) => s.Sid)).toEqual(["crossaccount", "second"]);
    expect(two.Statement[1].Action).toEqual(["SQS:SendMessage", "SQS:DeleteMessage"]);
    await c.send(new RemovePermissionCommand({ QueueUrl: url, Label: "crossaccount" }));
    await c.send(new RemovePermissionCommand({ QueueUrl: url, Label: "second" }));
    expect(await attributes(c, url, ["Policy"])).toEqual({});
    const missing = await failure(c.send(new RemovePermissionCommand({ QueueUrl: url, Label: "second" })));
    expect(missing.message).toBe("Value second for parameter Label is invalid. Reason: can't find label.");
    const badAction = await failure(c.send(new AddPermissionCommand({ QueueUrl: url, Label: "x", AWSAccountIds: [id], Actions: ["Explode"] })));
    expect(codeOf(badAction)).toBe("InvalidParameterValue");
  });
});

describe("PurgeQueue", () => {
  it("deletes every message and refuses a second purge within 60 seconds", async () => {
    const { client: c } = account(n);
    const url = await createQueue(c, "purge-me");
    for (let i = 0; i < 5; i++) await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}`, DelaySeconds: i % 2 ? 60 : 0 }));
    expect(await counts(c, url)).toEqual({ visible: 3, inflight: 0, delayed: 2 });
    await c.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(await counts(c, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
    const e = await failure(c.send(new PurgeQueueCommand({ QueueUrl: url })));
    expect(e.name).toBe("PurgeQueueInProgress");
    expect(e.Code).toBe("AWS.SimpleQueueService.PurgeQueueInProgress");
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(e.message).toBe("Only one PurgeQueue operation on purge-me is allowed every 60 seconds.");
    await advance(n, "PT60S");
    await c.send(new PurgeQueueCommand({ QueueUrl: url }));
  });
});
