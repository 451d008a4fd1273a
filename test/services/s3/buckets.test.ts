import {
  CreateBucketCommand,
  DeleteBucketCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { localhostRequestHandler } from "../../support/localhost.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

function s3(opts: { accountId?: string; region?: string; virtualHost?: boolean } = {}) {
  const cfg = sdkConfig(opts.virtualHost ? n.endpoint.replace("127.0.0.1", "localhost") : n.endpoint, opts);
  return new S3Client({ ...cfg, forcePathStyle: !opts.virtualHost, requestHandler: localhostRequestHandler() });
}

const name = (p: string) => `${p}-${Math.random().toString(36).slice(2, 10)}`;

describe("S3 buckets (restXml)", () => {
  it("creates, heads, lists and deletes a bucket path-style", async () => {
    const account = freshAccount();
    const client = s3({ accountId: account });
    const b = name("path");
    const created = await client.send(new CreateBucketCommand({ Bucket: b }));
    expect(created.Location).toBe(`/${b}`);
    const head = await client.send(new HeadBucketCommand({ Bucket: b }));
    expect(head.BucketRegion).toBe("us-east-1");
    const list = await client.send(new ListBucketsCommand({}));
    expect(list.Buckets!.map((x) => x.Name)).toEqual([b]);
    expect(list.Buckets![0].CreationDate).toBeInstanceOf(Date);
    expect(Math.abs(list.Buckets![0].CreationDate!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(list.Owner!.ID).toMatch(/^[0-9a-f]{64}$/);
    const del = await client.send(new DeleteBucketCommand({ Bucket: b }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    const after = await client.send(new ListBucketsCommand({}));
    expect(after.Buckets ?? []).toEqual([]);
  });

  it("works virtual-hosted style on <bucket>.localhost", async () => {
    const client = s3({ accountId: freshAccount(), virtualHost: true });
    const b = name("vhost");
    await client.send(new CreateBucketCommand({ Bucket: b }));
    const head = await client.send(new HeadBucketCommand({ Bucket: b }));
    expect(head.$metadata.httpStatusCode).toBe(200);
    const list = await client.send(new ListBucketsCommand({}));
    expect(list.Buckets!.map((x) => x.Name)).toContain(b);
    await client.send(new DeleteBucketCommand({ Bucket: b }));
  });

  it("answers NoSuchBucket, BucketAlreadyExists and InvalidBucketName as AWS does", async () => {
    const a = s3({ accountId: freshAccount() });
    const other = s3({ accountId: freshAccount() });
    const missing = await a.send(new DeleteBucketCommand({ Bucket: name("missing") })).catch((e) => e);
    expect(missing.name).toBe("NoSuchBucket");
    expect(missing.$metadata.httpStatusCode).toBe(404);
    expect(missing.message).toBe("The specified bucket does not exist");
    expect(missing.BucketName).toMatch(/^missing-/);
    const headMissing = await a.send(new HeadBucketCommand({ Bucket: name("missing") })).catch((e) => e);
    expect(headMissing.$metadata.httpStatusCode).toBe(404);
    expect(headMissing.name).toBe("NotFound");

    const b = name("taken");
    await a.send(new CreateBucketCommand({ Bucket: b }));
    const taken = await other.send(new CreateBucketCommand({ Bucket: b })).catch((e) => e);
    expect(taken.name).toBe("BucketAlreadyExists");
    expect(taken.$metadata.httpStatusCode).toBe(409);
    const forbidden = await other.send(new HeadBucketCommand({ Bucket: b })).catch((e) => e);
    expect(forbidden.$metadata.httpStatusCode).toBe(403);

    const bad = await a.send(new CreateBucketCommand({ Bucket: "Bad_Name" })).catch((e) => e);
    expect(bad.name).toBe("InvalidBucketName");
    expect(bad.$metadata.httpStatusCode).toBe(400);
  });

  it("requires the region's location constraint outside us-east-1 and answers BucketAlreadyOwnedByYou there", async () => {
    const account = freshAccount();
    const eu = s3({ accountId: account, region: "eu-west-1" });
    const b = name("eu");
    const noConstraint = await eu.send(new CreateBucketCommand({ Bucket: b })).catch((e) => e);
    // The SDK adds the client's region as LocationConstraint itself; send a wrong one instead.
    if (noConstraint.name) expect(noConstraint.name).toBe("IllegalLocationConstraintException");
    else await eu.send(new DeleteBucketCommand({ Bucket: b }));
    const wrong = await eu.send(new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: { LocationConstraint: "eu-west-2" } })).catch((e) => e);
    expect(wrong.name).toBe("IllegalLocationConstraintException");
    await eu.send(new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
    const again = await eu.send(new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } })).catch((e) => e);
    expect(again.name).toBe("BucketAlreadyOwnedByYou");
    const list = await eu.send(new ListBucketsCommand({ BucketRegion: "eu-west-1" }));
    expect(list.Buckets!.map((x) => [x.Name, x.BucketRegion])).toEqual([[b, "eu-west-1"]]);
  });

  it("paginates ListBuckets with MaxBuckets and ContinuationToken", async () => {
    const client = s3({ accountId: freshAccount() });
    const names = ["pg-a", "pg-b", "pg-c"].map((p) => name(p)).sort();
    for (const b of names) await client.send(new CreateBucketCommand({ Bucket: b }));
    const p1 = await client.send(new ListBucketsCommand({ MaxBuckets: 2 }));
    expect(p1.Buckets!.map((x) => x.Name)).toEqual(names.slice(0, 2));
    expect(p1.ContinuationToken).toBeTruthy();
    const p2 = await client.send(new ListBucketsCommand({ MaxBuckets: 2, ContinuationToken: p1.ContinuationToken }));
    expect(p2.Buckets!.map((x) => x.Name)).toEqual(names.slice(2));
    expect(p2.ContinuationToken).toBeUndefined();
  });
});
