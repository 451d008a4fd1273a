// CloudWatch Logs through the real SDK: groups, streams, PutLogEvents rules, GetLogEvents tokens,
// FilterLogEvents with every filter pattern family, retention on the Nimbus clock, metric
// filters feeding CloudWatch, tags, and state across a restart.
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DeleteMetricFilterCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  DescribeMetricFiltersCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  ListTagsForResourceCommand,
  PutLogEventsCommand,
  PutMetricFilterCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand,
  TestMetricFilterCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CloudWatchClient, GetMetricStatisticsCommand, type GetMetricStatisticsCommandOutput } from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advanceClock, freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const err = (p: Promise<unknown>) => p.then(() => ({ name: "none", message: "" }), (e) => ({ name: e.name as string, message: e.message as string }));

function client(account = freshAccount()) {
  return { account, logs: new CloudWatchLogsClient(sdkConfig(n.endpoint, { accountId: account })) };
}

async function clock(): Promise<number> {
  const r = await fetch(`${n.endpoint}/_nimbus/clock`);
  return ((await r.json()) as { epochMillis: number }).epochMillis;
}

const advance = (duration: string) => advanceClock(n, duration);

async function groupWithStream(logs: CloudWatchLogsClient, group = "/app/g", stream = "s1") {
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
}

describe("log groups", () => {
  it("creates, describes with prefix / pattern / pages, tags, and deletes", async () => {
    const { account, logs } = client();
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/aws/lambda/a", tags: { team: "x" }, kmsKeyId: "arn:aws:kms:us-east-1:111122223333:key/k1" }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/aws/lambda/b", logGroupClass: "INFREQUENT_ACCESS" }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: "other-App" }));
    expect(await err(logs.send(new CreateLogGroupCommand({ logGroupName: "/aws/lambda/a" })))).toEqual({ name: "ResourceAlreadyExistsException", message: "The specified log group already exists" });
    expect((await err(logs.send(new CreateLogGroupCommand({ logGroupName: "bad name!" })))).name).toBe("InvalidParameterException");

    const all = await logs.send(new DescribeLogGroupsCommand({}));
    expect(all.logGroups?.map((g) => g.logGroupName)).toEqual(["/aws/lambda/a", "/aws/lambda/b", "other-App"]);
    const a = all.logGroups![0];
    expect(a.arn).toBe(`arn:aws:logs:us-east-1:${account}:log-group:/aws/lambda/a:*`);
    expect(a.logGroupArn).toBe(`arn:aws:logs:us-east-1:${account}:log-group:/aws/lambda/a`);
    expect(a.kmsKeyId).toBe("arn:aws:kms:us-east-1:111122223333:key/k1");
    expect(a.logGroupClass).toBe("STANDARD");
    expect(a.metricFilterCount).toBe(0);
    expect(a.storedBytes).toBe(0);
    expect(all.logGroups![1].logGroupClass).toBe("INFREQUENT_ACCESS");

    const prefixed = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/aws/lambda/" }));
    expect(prefixed.logGroups?.map((g) => g.logGroupName)).toEqual(["/aws/lambda/a", "/aws/lambda/b"]);
    const pattern = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePattern: "app" }));
    expect(pattern.logGroups?.map((g) => g.logGroupName)).toEqual(["other-App"]);

    const p1 = await logs.send(new DescribeLogGroupsCommand({ limit: 2 }));
    expect(p1.logGroups?.map((g) => g.logGroupName)).toEqual(["/aws/lambda/a", "/aws/lambda/b"]);
    const p2 = await logs.send(new DescribeLogGroupsCommand({ limit: 2, nextToken: p1.nextToken }));
    expect(p2.logGroups?.map((g) => g.logGroupName)).toEqual(["other-App"]);
    expect(p2.nextToken).toBeUndefined();

    const arn = a.logGroupArn!;
    expect((await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual({ team: "x" });
    await logs.send(new TagResourceCommand({ resourceArn: arn, tags: { env: "dev" } }));
    await logs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["team"] }));
    expect((await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual({ env: "dev" });

    await logs.send(new DeleteLogGroupCommand({ logGroupName: "/aws/lambda/a" }));
    expect(await err(logs.send(new DeleteLogGroupCommand({ logGroupName: "/aws/lambda/a" })))).toEqual({ name: "ResourceNotFoundException", message: "The specified log group does not exist." });
    expect((await logs.send(new DescribeLogGroupsCommand({}))).logGroups).toHaveLength(2);
  });

  it("accepts only AWS's retention values", async () => {
    const { logs } = client();
    await logs.send(new CreateLogGroupCommand({ logGroupName: "r" }));
    const bad = await err(logs.send(new PutRetentionPolicyCommand({ logGroupName: "r", retentionInDays: 2 })));
    expect(bad.name).toBe("InvalidParameterException");
    expect(bad.message).toContain("Member must satisfy enum value set: [1, 3, 5, 7, 14");
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: "r", retentionInDays: 7 }));
    expect((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "r" }))).logGroups?.[0].retentionInDays).toBe(7);
    await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: "r" }));
    expect((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "r" }))).logGroups?.[0].retentionInDays).toBeUndefined();
  });
});

describe("log streams and events", () => {
  it("PutLogEvents stores unordered batches, reports events too old / too new, and streams describe their times", async () => {
    const { logs } = client();
    await groupWithStream(logs);
    const now = await clock();
    const put = await logs.send(new PutLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", sequenceToken: "ignored", logEvents: [
      { timestamp: now - 1000, message: "second" },
      { timestamp: now - 2000, message: "first" },
      { timestamp: now - 500, message: "third" },
    ] }));
    expect(put.nextSequenceToken).toMatch(/^\d{56}$/);
    expect(put.rejectedLogEventsInfo).toBeUndefined();

    const old = await logs.send(new PutLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", logEvents: [
      { timestamp: now - 14 * 86_400_000 - 3_600_000, message: "too old" },
      { timestamp: now - 13 * 86_400_000 - 3_600_000, message: "old but fine" },
    ] }));
    expect(old.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 0 });
    const rej = await logs.send(new PutLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", logEvents: [
      { timestamp: now - 400, message: "fine" },
      { timestamp: now + 3 * 3_600_000, message: "too new" },
    ] }));
    expect(rej.rejectedLogEventsInfo).toEqual({ tooNewLogEventStartIndex: 1 });

    const span = await err(logs.send(new PutLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", logEvents: [{ timestamp: now - 25 * 3_600_000, message: "a" }, { timestamp: now, message: "b" }] })));
    expect(span).toEqual({ name: "InvalidParameterException", message: "The batch of log events in a single PutLogEvents request cannot span more than 24 hours." });
    const big = await err(logs.send(new PutLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", logEvents: Array.from({ length: 5 }, () => ({ timestamp: now, message: "x".repeat(250_000) })) })));
    expect(big.name).toBe("InvalidParameterException");
    expect(big.message).toMatch(/^Upload too large: 1250130 bytes exceeds limit of 1048576$/);
    expect((await err(logs.send(new PutLogEventsCommand({ logGroupName: "/app/g", logStreamName: "nope", logEvents: [{ timestamp: now, message: "m" }] })))).message).toBe("The specified log stream does not exist.");

    const got = await logs.send(new GetLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", startFromHead: true }));
    expect(got.events?.map((e) => e.message)).toEqual(["old but fine", "first", "second", "third", "fine"]);
    expect(got.events?.[1].timestamp).toBe(now - 2000);
    expect(got.events?.[0].ingestionTime).toBeGreaterThanOrEqual(now);

    const ds = await logs.send(new DescribeLogStreamsCommand({ logGroupName: "/app/g" }));
    expect(ds.logStreams).toHaveLength(1);
    expect(ds.logStreams?.[0]).toMatchObject({ logStreamName: "s1", firstEventTimestamp: now - 13 * 86_400_000 - 3_600_000, lastEventTimestamp: now - 400 });
    expect(ds.logStreams?.[0].lastIngestionTime).toBeGreaterThanOrEqual(now);
  });

  it("GetLogEvents pages forward and backward and hands back the same token at the end", async () => {
    const { logs } = client();
    await groupWithStream(logs);
    const now = await clock();
    await logs.send(new PutLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", logEvents: Array.from({ length: 7 }, (_, i) => ({ timestamp: now - 10_000 + i, message: `m${i}` })) }));
    // From the tail (the default): the last `limit` events, oldest first.
    const tail = await logs.send(new GetLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", limit: 3 }));
    expect(tail.events?.map((e) => e.message)).toEqual(["m4", "m5", "m6"]);
    const back = await logs.send(new GetLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", limit: 3, nextToken: tail.nextBackwardToken }));
    expect(back.events?.map((e) => e.message)).toEqual(["m1", "m2", "m3"]);
    const back2 = await logs.send(new GetLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", limit: 3, nextToken: back.nextBackwardToken }));
    expect(back2.events?.map((e) => e.message)).toEqual(["m0"]);
    const back3 = await logs.send(new GetLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", limit: 3, nextToken: back2.nextBackwardToken }));
    expect(back3.events).toEqual([]);
    expect(back3.nextBackwardToken).toBe(back2.nextBackwardToken);
    // Forward from the head, to the end, then the same token again; new events appear behind it.
    const h1 = await logs.send(new GetLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", limit: 4, startFromHead: true }));
    expect(h1.events?.map((e) => e.message)).toEqual(["m0", "m1", "m2", "m3"]);
    const h2 = await logs.send(new GetLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", limit: 4, nextToken: h1.nextForwardToken }));
    expect(h2.events?.map((e) => e.message)).toEqual(["m4", "m5", "m6"]);
    const h3 = await logs.send(new GetLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", limit: 4, nextToken: h2.nextForwardToken }));
    expect(h3.events).toEqual([]);
    expect(h3.nextForwardToken).toBe(h2.nextForwardToken);
    await logs.send(new PutLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", logEvents: [{ timestamp: now, message: "later" }] }));
    const h4 = await logs.send(new GetLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", nextToken: h3.nextForwardToken }));
    expect(h4.events?.map((e) => e.message)).toEqual(["later"]);
    // startTime / endTime bound the stream.
    const window = await logs.send(new GetLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", startFromHead: true, startTime: now - 9998, endTime: now - 9995 }));
    expect(window.events?.map((e) => e.message)).toEqual(["m2", "m3", "m4"]);
    expect((await err(logs.send(new GetLogEventsCommand({ logGroupName: "/app/g", logStreamName: "s1", nextToken: "garbage" })))).name).toBe("InvalidParameterException");
  });

  it("DescribeLogStreams orders by name or last event time, descending, in pages; DeleteLogStream drops events", async () => {
    const { logs } = client();
    await logs.send(new CreateLogGroupCommand({ logGroupName: "g" }));
    const now = await clock();
    for (const [name, age] of [["b", 100], ["a", 300], ["c", 200]] as const) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: "g", logStreamName: name }));
      await logs.send(new PutLogEventsCommand({ logGroupName: "g", logStreamName: name, logEvents: [{ timestamp: now - age, message: name }] }));
    }
    expect(await err(logs.send(new CreateLogStreamCommand({ logGroupName: "g", logStreamName: "a" })))).toEqual({ name: "ResourceAlreadyExistsException", message: "The specified log stream already exists" });
    const names = async (input: Record<string, unknown>) => (await logs.send(new DescribeLogStreamsCommand({ logGroupName: "g", ...input }))).logStreams?.map((s) => s.logStreamName);
    expect(await names({})).toEqual(["a", "b", "c"]);
    expect(await names({ descending: true })).toEqual(["c", "b", "a"]);
    expect(await names({ orderBy: "LastEventTime" })).toEqual(["a", "c", "b"]);
    expect(await names({ orderBy: "LastEventTime", descending: true })).toEqual(["b", "c", "a"]);
    expect(await names({ logStreamNamePrefix: "b" })).toEqual(["b"]);
    expect((await err(logs.send(new DescribeLogStreamsCommand({ logGroupName: "g", orderBy: "LastEventTime", logStreamNamePrefix: "a" })))).message).toBe("Cannot order by LastEventTime with a logStreamNamePrefix.");
    const p1 = await logs.send(new DescribeLogStreamsCommand({ logGroupName: "g", limit: 2 }));
    const p2 = await logs.send(new DescribeLogStreamsCommand({ logGroupName: "g", limit: 2, nextToken: p1.nextToken }));
    expect([...p1.logStreams!, ...p2.logStreams!].map((s) => s.logStreamName)).toEqual(["a", "b", "c"]);
    expect(p2.nextToken).toBeUndefined();
    await logs.send(new DeleteLogStreamCommand({ logGroupName: "g", logStreamName: "a" }));
    const left = await logs.send(new FilterLogEventsCommand({ logGroupName: "g" }));
    expect(left.events?.map((e) => e.message)).toEqual(["c", "b"]);
  });
});

describe("FilterLogEvents", () => {
  const LINES = [
    "ERROR disk full on /dev/sda1",
    "INFO user alice logged in",
    "WARN slow request took 1200 ms",
    "ERROR timeout talking to db",
    '{"level":"ERROR","latency":250,"user":{"id":"u1"},"tags":["a","b"]}',
    '{"level":"INFO","latency":20,"user":{"id":"u2"}}',
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326',
    '10.0.0.2 - bob [10/Oct/2000:13:26:15 -0700] "POST /login HTTP/1.0" 200 512',
  ];

  async function seeded() {
    const { logs } = client();
    await logs.send(new CreateLogGroupCommand({ logGroupName: "f" }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: "f", logStreamName: "one" }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: "f", logStreamName: "two" }));
    const now = await clock();
    // Interleave the lines across the two streams.
    await logs.send(new PutLogEventsCommand({ logGroupName: "f", logStreamName: "one", logEvents: LINES.map((m, i) => ({ m, i })).filter((x) => x.i % 2 === 0).map(({ m, i }) => ({ timestamp: now - 1000 + i, message: m })) }));
    await logs.send(new PutLogEventsCommand({ logGroupName: "f", logStreamName: "two", logEvents: LINES.map((m, i) => ({ m, i })).filter((x) => x.i % 2 === 1).map(({ m, i }) => ({ timestamp: now - 1000 + i, message: m })) }));
    const filter = async (filterPattern: string, extra: Record<string, unknown> = {}) =>
      (await logs.send(new FilterLogEventsCommand({ logGroupName: "f", filterPattern, ...extra }))).events?.map((e) => LINES.indexOf(e.message!));
    return { logs, now, filter };
  }

  it("matches terms, phrases, exclusions and OR terms, interleaving streams in time order", async () => {
    const { filter } = await seeded();
    expect(await filter("")).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await filter("ERROR")).toEqual([0, 3, 4]);
    expect(await filter("ERROR timeout")).toEqual([3]);
    expect(await filter('"disk full"')).toEqual([0]);
    expect(await filter("ERROR -disk")).toEqual([3, 4]);
    expect(await filter("?WARN ?alice")).toEqual([1, 2]);
    expect(await filter("error")).toEqual([]);
  });

  it("matches JSON patterns", async () => {
    const { filter } = await seeded();
    expect(await filter('{ $.level = "ERROR" }')).toEqual([4]);
    expect(await filter("{ $.latency > 100 }")).toEqual([4]);
    expect(await filter('{ $.level = "INFO" || $.latency >= 250 }')).toEqual([4, 5]);
    expect(await filter('{ ($.user.id = "u*") && $.latency < 100 }')).toEqual([5]);
    expect(await filter('{ $.tags[1] = "b" }')).toEqual([4]);
    expect(await filter("{ $.tags NOT EXISTS }")).toEqual([5]);
    expect(await filter('{ $.level != "ERROR" }')).toEqual([5]);
  });

  it("matches space-delimited patterns", async () => {
    const { filter } = await seeded();
    expect(await filter("[ip, identity, user, timestamp, request, status_code = 404, bytes]")).toEqual([6]);
    expect(await filter("[ip, identity, user = bob, ...]")).toEqual([7]);
    expect(await filter('[..., request = "POST*", status, bytes < 1000]')).toEqual([7]);
    expect(await filter("[..., status = 4* || status = 2*, bytes]")).toEqual([6, 7]);
  });

  it("narrows by streams, prefix and time, and pages with nextToken", async () => {
    const { logs, now, filter } = await seeded();
    expect(await filter("", { logStreamNames: ["two"] })).toEqual([1, 3, 5, 7]);
    expect(await filter("", { logStreamNamePrefix: "on" })).toEqual([0, 2, 4, 6]);
    expect(await filter("", { startTime: now - 998, endTime: now - 996 })).toEqual([2, 3, 4]);
    const first = await logs.send(new FilterLogEventsCommand({ logGroupName: "f", limit: 3 }));
    expect(first.events?.map((e) => e.logStreamName)).toEqual(["one", "two", "one"]);
    expect(first.events?.[0].eventId).toMatch(/^\d{56}$/);
    const seen = [...first.events!];
    let token = first.nextToken;
    while (token) {
      const page = await logs.send(new FilterLogEventsCommand({ logGroupName: "f", limit: 3, nextToken: token }));
      seen.push(...page.events!);
      token = page.nextToken;
    }
    expect(seen.map((e) => LINES.indexOf(e.message!))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect((await err(logs.send(new FilterLogEventsCommand({ logGroupName: "f", filterPattern: "{ $.x = }" })))).name).toBe("InvalidParameterException");
  });
});

describe("retention on the Nimbus clock", () => {
  it("deletes events older than the retention when time moves on", async () => {
    const { logs } = client();
    await groupWithStream(logs, "ret");
    const now = await clock();
    await logs.send(new PutLogEventsCommand({ logGroupName: "ret", logStreamName: "s1", logEvents: [{ timestamp: now - 2 * 86_400_000, message: "old" }] }));
    await logs.send(new PutLogEventsCommand({ logGroupName: "ret", logStreamName: "s1", logEvents: [{ timestamp: now, message: "new" }] }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: "ret", retentionInDays: 1 }));
    const g = await logs.send(new GetLogEventsCommand({ logGroupName: "ret", logStreamName: "s1", startFromHead: true }));
    expect(g.events?.map((e) => e.message)).toEqual(["new"]);
    // Older than the retention: rejected as expired.
    const put = await logs.send(new PutLogEventsCommand({ logGroupName: "ret", logStreamName: "s1", logEvents: [{ timestamp: now - 3 * 86_400_000, message: "ancient" }] }));
    expect(put.rejectedLogEventsInfo).toEqual({ expiredLogEventEndIndex: 0 });
    await advance("P2D");
    expect((await logs.send(new FilterLogEventsCommand({ logGroupName: "ret" }))).events).toEqual([]);
    // Really deleted: a wider retention does not bring them back.
    await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: "ret" }));
    expect((await logs.send(new FilterLogEventsCommand({ logGroupName: "ret" }))).events).toEqual([]);
    expect((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "ret" }))).logGroups?.[0].storedBytes).toBe(0);
  });
});

describe("metric filters", () => {
  it("tests patterns, stores filters, and turns matching events into CloudWatch datapoints", async () => {
    const { account, logs } = client();
    await groupWithStream(logs, "app");
    const t = await logs.send(new TestMetricFilterCommand({ filterPattern: "[ip, user, status = 5*, bytes]", logEventMessages: ["1.2.3.4 bob 500 10", "1.2.3.4 bob 200 10", "x"] }));
    expect(t.matches).toEqual([{ eventNumber: 1, eventMessage: "1.2.3.4 bob 500 10", extractedValues: { $ip: "1.2.3.4", $user: "bob", $status: "500", $bytes: "10" } }]);

    await logs.send(new PutMetricFilterCommand({ logGroupName: "app", filterName: "latency", filterPattern: '{ $.level = "ERROR" }', metricTransformations: [{ metricName: "ErrorLatency", metricNamespace: "App", metricValue: "$.latency", unit: "Milliseconds" }] }));
    const d = await logs.send(new DescribeMetricFiltersCommand({ logGroupName: "app" }));
    expect(d.metricFilters).toHaveLength(1);
    expect(d.metricFilters?.[0]).toMatchObject({ filterName: "latency", filterPattern: '{ $.level = "ERROR" }', logGroupName: "app", metricTransformations: [{ metricName: "ErrorLatency", metricNamespace: "App", metricValue: "$.latency", unit: "Milliseconds" }] });
    expect((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "app" }))).logGroups?.[0].metricFilterCount).toBe(1);
    expect((await logs.send(new DescribeMetricFiltersCommand({ metricName: "ErrorLatency", metricNamespace: "App" }))).metricFilters).toHaveLength(1);

    const now = await clock();
    await logs.send(new PutLogEventsCommand({ logGroupName: "app", logStreamName: "s1", logEvents: [
      { timestamp: now - 3000, message: '{"level":"ERROR","latency":100}' },
      { timestamp: now - 2000, message: '{"level":"INFO","latency":5}' },
      { timestamp: now - 1000, message: '{"level":"ERROR","latency":300}' },
    ] }));
    const cw = new CloudWatchClient(sdkConfig(n.endpoint, { accountId: account }));
    let stats: GetMetricStatisticsCommandOutput | undefined;
    for (let i = 0; i < 50; i++) {
      stats = await cw.send(new GetMetricStatisticsCommand({ Namespace: "App", MetricName: "ErrorLatency", StartTime: new Date(now - 3_600_000), EndTime: new Date(now + 60_000), Period: 3600, Statistics: ["Sum", "SampleCount", "Maximum"] }));
      if (stats.Datapoints?.length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const points = stats!.Datapoints!;
    expect(points.reduce((s, p) => s + p.Sum!, 0)).toBe(400);
    expect(points.reduce((s, p) => s + p.SampleCount!, 0)).toBe(2);
    expect(Math.max(...points.map((p) => p.Maximum!))).toBe(300);

    await logs.send(new DeleteMetricFilterCommand({ logGroupName: "app", filterName: "latency" }));
    expect((await logs.send(new DescribeMetricFiltersCommand({ logGroupName: "app" }))).metricFilters).toEqual([]);
    expect((await err(logs.send(new DeleteMetricFilterCommand({ logGroupName: "app", filterName: "latency" })))).name).toBe("ResourceNotFoundException");
  });
});

describe("durability", () => {
  it("keeps groups, streams and events across a restart", async () => {
    const m = await startNimbus();
    const account = freshAccount();
    const logs = new CloudWatchLogsClient(sdkConfig(m.endpoint, { accountId: account }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: "keep" }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: "keep", logStreamName: "s" }));
    await logs.send(new PutLogEventsCommand({ logGroupName: "keep", logStreamName: "s", logEvents: [{ timestamp: Date.now(), message: "persisted" }] }));
    await m.stop({ keepData: true });
    const again = await startNimbus({ dataDir: m.dataDir });
    try {
      const logs2 = new CloudWatchLogsClient(sdkConfig(again.endpoint, { accountId: account }));
      const got = await logs2.send(new GetLogEventsCommand({ logGroupName: "keep", logStreamName: "s" }));
      expect(got.events?.map((e) => e.message)).toEqual(["persisted"]);
    } finally {
      await again.stop();
    }
  });
});
