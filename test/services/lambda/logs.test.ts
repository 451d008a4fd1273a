// Lambda writes each invocation's logs to CloudWatch Logs: /aws/lambda/<name>, one stream per
// worker named YYYY/MM/DD/[$LATEST]<32 hex>, START / output / END / REPORT (Init Duration on a
// cold start). Node lines are "time\trequestId\tLEVEL\tmessage"; python prints are raw. Read
// back through the SDK and through the aws CLI (filter-log-events, tail).
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CloudWatchLogsClient, DescribeLogGroupsCommand, DescribeLogStreamsCommand, FilterLogEventsCommand, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, ok, useClients } from "../../clients/support.js";
import { createFunction, until } from "./event-source-mapping-support.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());
const cli = useClients(() => n.endpoint);

function clients(account = freshAccount()) {
  const cfg = sdkConfig(n.endpoint, { accountId: account });
  return { account, lambda: new LambdaClient(cfg), logs: new CloudWatchLogsClient(cfg) };
}

const NODE = `exports.handler = async (event) => {
  console.log("hello", event.who);
  console.error("multi\\nline");
  return { ok: true };
};`;
const PY = `def handler(event, context):
    print("py says", event["who"])
    return 1
`;

async function messages(logs: CloudWatchLogsClient, group: string, count: number) {
  return until(async () => {
    const r = await logs.send(new FilterLogEventsCommand({ logGroupName: group })).catch(() => undefined);
    return r && r.events!.length >= count ? r.events! : undefined;
  }, `${count} log events in ${group}`);
}

describe("Lambda function logs in CloudWatch Logs", () => {
  it("writes START, the node function's lines, END and REPORT to /aws/lambda/<name>, per worker stream", async () => {
    const { account, lambda, logs } = clients();
    await createFunction(lambda, account, "logger", "nodejs20.x", "index.handler", { "index.js": NODE });
    const r1 = await lambda.send(new InvokeCommand({ FunctionName: "logger", Payload: Buffer.from(JSON.stringify({ who: "first" })) }));
    expect(r1.FunctionError).toBeUndefined();
    await lambda.send(new InvokeCommand({ FunctionName: "logger", Payload: Buffer.from(JSON.stringify({ who: "second" })) }));
    const events = await messages(logs, "/aws/lambda/logger", 10);
    const texts = events.map((e) => e.message!);
    // Two invocations, five events each, in order.
    expect(texts.map((t) => t.split(/[\t ]/)[0])).toEqual(["START", expect.stringMatching(/^\d{4}-/), expect.stringMatching(/^\d{4}-/), "END", "REPORT", "START", expect.stringMatching(/^\d{4}-/), expect.stringMatching(/^\d{4}-/), "END", "REPORT"]);
    const id = /^START RequestId: ([0-9a-f-]{36}) Version: \$LATEST\n$/.exec(texts[0])![1];
    expect(texts[1]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${id}\\tINFO\\thello first\\n$`));
    expect(texts[2]).toMatch(new RegExp(`\\t${id}\\tERROR\\tmulti\\nline\\n$`));
    expect(texts[3]).toBe(`END RequestId: ${id}\n`);
    expect(texts[4]).toMatch(new RegExp(`^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: \\d+\\.\\d\\d ms\\t\\n$`));
    // The warm second invocation has no Init Duration; same worker, same stream.
    expect(texts[9]).not.toContain("Init Duration");
    expect(texts[6]).toContain("INFO\thello second");
    expect(new Set(events.map((e) => e.logStreamName)).size).toBe(1);
    expect(events[0].logStreamName).toMatch(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/aws/lambda/" }));
    expect(groups.logGroups?.map((g) => g.logGroupName)).toEqual(["/aws/lambda/logger"]);
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: "/aws/lambda/logger" }));
    expect(streams.logStreams?.map((s) => s.logStreamName)).toEqual([events[0].logStreamName]);
  });

  it("writes python's prints raw", async () => {
    const { account, lambda, logs } = clients();
    await createFunction(lambda, account, "pylog", "python3.12", "index.handler", { "index.py": PY });
    await lambda.send(new InvokeCommand({ FunctionName: "pylog", Payload: Buffer.from(JSON.stringify({ who: "snake" })) }));
    const events = await messages(logs, "/aws/lambda/pylog", 4);
    const texts = events.map((e) => e.message!);
    expect(texts[0]).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST\n$/);
    expect(texts).toContain("py says snake\n");
    expect(texts[texts.length - 1]).toMatch(/^REPORT RequestId: /);
    const stream = events[0].logStreamName!;
    const got = await logs.send(new GetLogEventsCommand({ logGroupName: "/aws/lambda/pylog", logStreamName: stream, startFromHead: true }));
    expect(got.events?.map((e) => e.message)).toEqual(texts);
  });

  it.skipIf(!AWS)("the aws CLI reads them: logs filter-log-events with a pattern, and logs tail", async () => {
    const { account, lambda, logs } = clients();
    await createFunction(lambda, account, "clilog", "nodejs20.x", "index.handler", { "index.js": NODE });
    await lambda.send(new InvokeCommand({ FunctionName: "clilog", Payload: Buffer.from(JSON.stringify({ who: "cli" })) }));
    await messages(logs, "/aws/lambda/clilog", 5);
    const filtered = ok(await cli.aws(account, "logs", "filter-log-events", "--log-group-name", "/aws/lambda/clilog", "--filter-pattern", "?REPORT ?hello"));
    expect(filtered.events.map((e: { message: string }) => e.message.split("\t")[0].split(" ")[0])).toEqual([expect.stringMatching(/^\d{4}-/), "REPORT"]);
    expect(filtered.events[0].message).toContain("INFO\thello cli");
    const tail = await cli.aws(account, "logs", "tail", "/aws/lambda/clilog", "--since", "1h", "--format", "short");
    expect(tail.code).toBe(0);
    expect(tail.stdout).toContain("hello cli");
    expect(tail.stdout).toContain("END RequestId:");
  }, 120_000);
});
