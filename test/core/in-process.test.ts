// The in-process client runs the same handlers and validation as HTTP, for services that
// call each other; what it writes is what SDK clients read.
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../support/nimbus.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

describe("in-process client", () => {
  it("creates a queue and sends a message that an SDK client then receives", async () => {
    const account = freshAccount();
    const created = await n.nimbus.client.call<{ QueueUrl: string }>("sqs", "CreateQueue", { QueueName: "internal" }, { accountId: account, region: "eu-west-1" });
    expect(created.QueueUrl).toMatch(new RegExp(`/${account}/internal$`));
    await n.nimbus.client.call("sqs", "SendMessage", { QueueUrl: created.QueueUrl, MessageBody: "from inside" }, { accountId: account, region: "eu-west-1" });

    const sqs = new SQSClient(sdkConfig(n.endpoint, { accountId: account, region: "eu-west-1" }));
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: "internal" }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(["from inside"]);
  });

  it("validates input against the model and answers AWS errors and NotImplemented", async () => {
    const missing = await n.nimbus.client.call("sqs", "SendMessage", { MessageBody: "x" }).catch((e) => e);
    expect(missing.code).toBe("MissingParameter");
    const noQueue = await n.nimbus.client.call("sqs", "GetQueueUrl", { QueueName: "nope" }, { accountId: freshAccount() }).catch((e) => e);
    expect(noQueue.code).toBe("QueueDoesNotExist");
    const gap = await n.nimbus.client.call("efs", "DescribeFileSystems", {}).catch((e) => e);
    expect(gap.code).toBe("NotImplemented");
    expect(gap.message).toContain("efs:DescribeFileSystems");
  });
});
