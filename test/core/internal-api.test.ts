import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { DescribeFileSystemsCommand, EFSClient } from "@aws-sdk/client-efs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../support/nimbus.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

describe("/_nimbus internal API", () => {
  it("health lists every modeled service and which ones run", async () => {
    const res = await fetch(`${n.endpoint}/_nimbus/health`);
    expect(res.status).toBe(200);
    const h = await res.json();
    expect(h.status).toBe("running");
    expect(h.services.s3).toBe("running");
    expect(h.services.sts).toBe("running");
    expect(h.services.rds).toBe("not implemented");
    expect(Object.keys(h.services)).toHaveLength(27);
  });

  it("the clock moves forward by an ISO-8601 duration and never back", async () => {
    const before = await (await fetch(`${n.endpoint}/_nimbus/clock`)).json();
    const res = await fetch(`${n.endpoint}/_nimbus/clock`, { method: "POST", body: JSON.stringify({ advance: "P1DT2H" }) });
    expect(res.status).toBe(200);
    const after = await res.json();
    expect(after.offsetMillis - before.offsetMillis).toBe((24 + 2) * 3600 * 1000);
    expect(after.epochMillis - before.epochMillis).toBeGreaterThanOrEqual(26 * 3600 * 1000);
    const bad = await fetch(`${n.endpoint}/_nimbus/clock`, { method: "POST", body: JSON.stringify({ advance: "-PT1S" }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe("ERR_BAD_DURATION");
  });

  it("state/reset empties one service without a restart", async () => {
    const s3 = new S3Client(sdkConfig(n.endpoint, { accountId: freshAccount() }));
    await s3.send(new CreateBucketCommand({ Bucket: `reset-${Date.now()}` }));
    expect((await s3.send(new ListBucketsCommand({}))).Buckets).toHaveLength(1);
    const res = await fetch(`${n.endpoint}/_nimbus/state/reset`, { method: "POST", body: JSON.stringify({ service: "s3" }) });
    expect(await res.json()).toEqual({ reset: ["s3"] });
    expect((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
    const unknown = await fetch(`${n.endpoint}/_nimbus/state/reset`, { method: "POST", body: JSON.stringify({ service: "nope" }) });
    expect(unknown.status).toBe(400);
  });

  it("a modeled service without handlers answers NotImplemented naming service and operation", async () => {
    // EFS has a model and no handlers yet (rest-json).
    const efs = new EFSClient(sdkConfig(n.endpoint));
    const e = await efs.send(new DescribeFileSystemsCommand({})).catch((err) => err);
    expect(e.name).toBe("NotImplemented");
    expect(e.message).toContain("efs:DescribeFileSystems");
    expect(e.$metadata.httpStatusCode).toBe(501);
  });
});
