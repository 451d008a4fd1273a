// CloudWatch Logs through the aws CLI: groups, retention, streams, put/get/filter events,
// metric filters, tags and `aws logs tail`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { AWS, failed, ok, useClients } from "../../clients/support.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());
const cli = useClients(() => n.endpoint);

describe.skipIf(!AWS)("aws logs", () => {
  it("drives groups, streams, events, metric filters and tail", async () => {
    const a = freshAccount();
    ok(await cli.aws(a, "logs", "create-log-group", "--log-group-name", "/cli/app", "--tags", "team=core"));
    ok(await cli.aws(a, "logs", "put-retention-policy", "--log-group-name", "/cli/app", "--retention-in-days", "30"));
    expect(failed(await cli.aws(a, "logs", "put-retention-policy", "--log-group-name", "/cli/app", "--retention-in-days", "31"))).toContain("InvalidParameterException");
    expect(failed(await cli.aws(a, "logs", "create-log-group", "--log-group-name", "/cli/app"))).toContain("ResourceAlreadyExistsException");
    const groups = ok(await cli.aws(a, "logs", "describe-log-groups", "--log-group-name-prefix", "/cli"));
    expect(groups.logGroups).toHaveLength(1);
    expect(groups.logGroups[0]).toMatchObject({ logGroupName: "/cli/app", retentionInDays: 30, arn: `arn:aws:logs:us-east-1:${a}:log-group:/cli/app:*` });
    expect(ok(await cli.aws(a, "logs", "list-tags-log-group", "--log-group-name", "/cli/app")).tags).toEqual({ team: "core" });

    ok(await cli.aws(a, "logs", "create-log-stream", "--log-group-name", "/cli/app", "--log-stream-name", "web-1"));
    const now = Date.now();
    const events = JSON.stringify([
      { timestamp: now - 3000, message: "GET /index.html 200 12" },
      { timestamp: now - 2000, message: "GET /missing 404 3" },
      { timestamp: now - 1000, message: "POST /api 500 40" },
    ]);
    const put = ok(await cli.aws(a, "logs", "put-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "web-1", "--log-events", events));
    expect(put.nextSequenceToken).toMatch(/^\d+$/);
    const got = ok(await cli.aws(a, "logs", "get-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "web-1", "--start-from-head"));
    expect(got.events.map((e: { message: string }) => e.message)).toEqual(["GET /index.html 200 12", "GET /missing 404 3", "POST /api 500 40"]);
    const filtered = ok(await cli.aws(a, "logs", "filter-log-events", "--log-group-name", "/cli/app", "--filter-pattern", "[method, path, status >= 400, ms]"));
    expect(filtered.events.map((e: { message: string }) => e.message)).toEqual(["GET /missing 404 3", "POST /api 500 40"]);

    ok(await cli.aws(a, "logs", "put-metric-filter", "--log-group-name", "/cli/app", "--filter-name", "errors", "--filter-pattern", "[method, path, status = 5*, ms]", "--metric-transformations", "metricName=ServerErrors,metricNamespace=Web,metricValue=1"));
    const mf = ok(await cli.aws(a, "logs", "describe-metric-filters", "--log-group-name", "/cli/app"));
    expect(mf.metricFilters).toMatchObject([{ filterName: "errors", metricTransformations: [{ metricName: "ServerErrors", metricNamespace: "Web", metricValue: "1" }] }]);
    const test = ok(await cli.aws(a, "logs", "test-metric-filter", "--filter-pattern", "[method, path, status = 5*, ms]", "--log-event-messages", "POST /api 500 40", "GET / 200 1"));
    expect(test.matches).toEqual([{ eventNumber: 1, eventMessage: "POST /api 500 40", extractedValues: { $method: "POST", $path: "/api", $status: "500", $ms: "40" } }]);

    const tail = await cli.aws(a, "logs", "tail", "/cli/app", "--since", "10m", "--format", "short");
    expect(tail.code).toBe(0);
    expect(tail.stdout.trim().split("\n").map((l) => l.replace(/^\S+\s+/, ""))).toEqual(["GET /index.html 200 12", "GET /missing 404 3", "POST /api 500 40"]);

    ok(await cli.aws(a, "logs", "delete-log-stream", "--log-group-name", "/cli/app", "--log-stream-name", "web-1"));
    ok(await cli.aws(a, "logs", "delete-log-group", "--log-group-name", "/cli/app"));
    expect(ok(await cli.aws(a, "logs", "describe-log-groups")).logGroups).toEqual([]);
  }, 180_000);
});
