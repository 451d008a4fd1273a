// Subscription filters to Lambda: refused until the function's policy lets logs.amazonaws.com
// invoke it (AddPermission), then matching events arrive as AWS's gzipped, base64 `awslogs`
// payload.
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DeleteSubscriptionFilterCommand, DescribeSubscriptionFiltersCommand, PutLogEventsCommand, PutSubscriptionFilterCommand } from "@aws-sdk/client-cloudwatch-logs";
import { AddPermissionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { collector, createFunction, until, type Collector } from "../lambda/event-source-mapping-support.js";

let n: TestNimbus;
let col: Collector;
beforeAll(async () => {
  n = await startNimbus();
  col = await collector();
});
afterAll(async () => {
  await n.stop();
  await col.close();
});

const DECODER = `const zlib = require("node:zlib");
exports.handler = async (event) => {
  const doc = JSON.parse(zlib.gunzipSync(Buffer.from(event.awslogs.data, "base64")).toString("utf8"));
  await fetch(process.env.COLLECTOR + "/sub", { method: "POST", body: JSON.stringify(doc) });
};`;

describe("subscription filters", () => {
  it("need the function's permission, then deliver matching events as the awslogs payload", async () => {
    const account = freshAccount();
    const cfg = sdkConfig(n.endpoint, { accountId: account });
    const logs = new CloudWatchLogsClient(cfg);
    const lambda = new LambdaClient(cfg);
    const fn = await createFunction(lambda, account, "sink", "nodejs20.x", "index.handler", { "index.js": DECODER }, { COLLECTOR: col.url });
    await logs.send(new CreateLogGroupCommand({ logGroupName: "app" }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: "app", logStreamName: "web" }));

    const denied = await logs.send(new PutSubscriptionFilterCommand({ logGroupName: "app", filterName: "errors", filterPattern: "ERROR", destinationArn: fn.FunctionArn })).then(() => undefined, (e) => e);
    expect(denied?.name).toBe("InvalidParameterException");
    expect(denied?.message).toBe("Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute your function.");

    await lambda.send(new AddPermissionCommand({ FunctionName: "sink", StatementId: "logs", Action: "lambda:InvokeFunction", Principal: "logs.amazonaws.com", SourceArn: `arn:aws:logs:us-east-1:${account}:log-group:app:*` }));
    await logs.send(new PutSubscriptionFilterCommand({ logGroupName: "app", filterName: "errors", filterPattern: "ERROR", destinationArn: fn.FunctionArn }));
    const d = await logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName: "app" }));
    expect(d.subscriptionFilters).toMatchObject([{ filterName: "errors", logGroupName: "app", filterPattern: "ERROR", destinationArn: fn.FunctionArn, distribution: "ByLogStream" }]);

    const now = Date.now();
    await logs.send(new PutLogEventsCommand({ logGroupName: "app", logStreamName: "web", logEvents: [
      { timestamp: now - 2, message: "INFO fine" },
      { timestamp: now - 1, message: "ERROR broken" },
    ] }));
    const got = await until(() => col.posts.get("/sub")?.[0] as Record<string, any> | undefined, "the subscription delivery");
    expect(got).toMatchObject({ messageType: "DATA_MESSAGE", owner: account, logGroup: "app", logStream: "web", subscriptionFilters: ["errors"] });
    expect(got.logEvents).toHaveLength(1);
    expect(got.logEvents[0]).toMatchObject({ timestamp: now - 1, message: "ERROR broken" });
    expect(got.logEvents[0].id).toMatch(/^\d{56}$/);

    await logs.send(new DeleteSubscriptionFilterCommand({ logGroupName: "app", filterName: "errors" }));
    expect((await logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName: "app" }))).subscriptionFilters).toEqual([]);
  });
});
