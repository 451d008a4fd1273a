// A gzipped RPC v2 CBOR request, framed correctly (the pinned SDK frames it wrongly; see
// src/services/cloudwatch/GAPS.md), and unsigned requests refused outside S3.
import { gzipSync } from "node:zlib";
import { cbor } from "@smithy/core/cbor";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../support/nimbus.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

function amzDate(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

describe("request bodies", () => {
  it("decompresses a gzipped CBOR PutMetricData", async () => {
    const account = freshAccount();
    const now = new Date();
    const body = gzipSync(cbor.serialize({ Namespace: "Gz", MetricData: [{ MetricName: "M", Value: 7, Timestamp: Math.floor(now.getTime() / 1000) }] }));
    const date = amzDate(now);
    const res = await fetch(`${n.endpoint}/service/GraniteServiceVersion20100801/operation/PutMetricData`, {
      method: "POST",
      headers: {
        "content-type": "application/cbor",
        accept: "application/cbor",
        "smithy-protocol": "rpc-v2-cbor",
        "content-encoding": "gzip",
        "x-amz-date": date,
        authorization: `AWS4-HMAC-SHA256 Credential=${account}/${date.slice(0, 8)}/us-east-1/monitoring/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`,
      },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("smithy-protocol")).toBe("rpc-v2-cbor");
    const cw = new CloudWatchClient(sdkConfig(n.endpoint, { accountId: account }));
    const out = await cw.send(
      new GetMetricStatisticsCommand({ Namespace: "Gz", MetricName: "M", StartTime: new Date(now.getTime() - 600_000), EndTime: new Date(now.getTime() + 600_000), Period: 3600, Statistics: ["Sum"] }),
    );
    expect(out.Datapoints!.map((d) => d.Sum)).toEqual([7]);
  });

  it("refuses an unsigned request outside S3 with AWS's MissingAuthenticationToken", async () => {
    const res = await fetch(`${n.endpoint}/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=GetCallerIdentity&Version=2011-06-15",
    });
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(text).toContain("<Code>MissingAuthenticationToken</Code>");
    expect(text).toContain("Request is missing Authentication Token");
  });
});
