// Logs Insights through the SDK: fields / filter / parse / stats by bin / sort / limit over
// JSON, plain and Lambda REPORT lines, and the MalformedQueryException for a bad query.
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DescribeQueriesCommand, GetQueryResultsCommand, PutLogEventsCommand, StartQueryCommand, type ResultField } from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const asObjects = (rows: ResultField[][] | undefined) => (rows ?? []).map((r) => Object.fromEntries(r.map((f) => [f.field, f.value])));

describe("Logs Insights", () => {
  it("runs fields, filter, parse, stats and sort queries", async () => {
    const logs = new CloudWatchLogsClient(sdkConfig(n.endpoint, { accountId: freshAccount() }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/aws/lambda/api" }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: "/aws/lambda/api", logStreamName: "w1" }));
    const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
    const id = "11111111-2222-3333-4444-555555555555";
    await logs.send(new PutLogEventsCommand({ logGroupName: "/aws/lambda/api", logStreamName: "w1", logEvents: [
      { timestamp: base + 1000, message: '{"level":"ERROR","user":{"id":"u1"},"ms":120}' },
      { timestamp: base + 2000, message: '{"level":"INFO","user":{"id":"u2"},"ms":20}' },
      { timestamp: base + 3000, message: '{"level":"ERROR","user":{"id":"u2"},"ms":300}' },
      { timestamp: base + 4000, message: "user=u3 action=login" },
      { timestamp: base + 5000, message: `REPORT RequestId: ${id}\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t\n` },
      { timestamp: base + 3_600_000 + 1000, message: '{"level":"ERROR","user":{"id":"u1"},"ms":5}' },
    ] }));
    const run = async (queryString: string) => {
      const { queryId } = await logs.send(new StartQueryCommand({ logGroupName: "/aws/lambda/api", startTime: Math.floor(base / 1000) - 60, endTime: Math.floor(base / 1000) + 7200, queryString }));
      const r = await logs.send(new GetQueryResultsCommand({ queryId }));
      expect(r.status).toBe("Complete");
      return r;
    };

    const errors = await run('fields @timestamp, level, user.id | filter level = "ERROR" and ms > 50 | sort @timestamp asc');
    expect(asObjects(errors.results)).toEqual([
      { "@timestamp": new Date(base + 1000).toISOString().replace("T", " ").replace("Z", ""), level: "ERROR", "user.id": "u1", "@ptr": expect.any(String) },
      { "@timestamp": new Date(base + 3000).toISOString().replace("T", " ").replace("Z", ""), level: "ERROR", "user.id": "u2", "@ptr": expect.any(String) },
    ]);
    expect(errors.statistics).toMatchObject({ recordsMatched: 2, recordsScanned: 6 });

    const byHour = await run('filter level = "ERROR" | stats count(*) as errors, max(ms) as worst by bin(1h) | sort errors desc');
    expect(asObjects(byHour.results)).toEqual([
      { "bin(1h)": new Date(base).toISOString().replace("T", " ").replace("Z", ""), errors: "2", worst: "300" },
      { "bin(1h)": new Date(base + 3_600_000).toISOString().replace("T", " ").replace("Z", ""), errors: "1", worst: "5" },
    ]);

    const parsed = await run('filter @message like /action=/ | parse @message "user=* action=*" as who, what | display who, what');
    expect(asObjects(parsed.results)).toEqual([{ who: "u3", what: "login" }]);

    const reports = await run('filter @type = "REPORT" | stats avg(@duration) as d, max(@maxMemoryUsed) as mem');
    expect(asObjects(reports.results)).toEqual([{ d: "12.5", mem: "60000000" }]);

    const newest = await run("fields @message | limit 2");
    expect(asObjects(newest.results).map((r) => r["@message"])).toEqual(['{"level":"ERROR","user":{"id":"u1"},"ms":5}', expect.stringMatching(/^REPORT/)]);

    const bad = await logs.send(new StartQueryCommand({ logGroupName: "/aws/lambda/api", startTime: 0, endTime: 1, queryString: "fields @message | frobnicate" })).then(() => undefined, (e) => e);
    expect(bad?.name).toBe("MalformedQueryException");
    expect((await logs.send(new DescribeQueriesCommand({}))).queries).toHaveLength(5);
  });
});
