// restXml against the real @aws-sdk/client-s3 (path style). The test routes requests itself
// (method + path + literal query keys), matching `/{Bucket}/{Key+}` by hand, as the gateway's
// router does; everything else is the protocol under test.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetBucketAclCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  PutBucketAclCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { AwsError } from "../../errors.js";
import type { ProtocolRequest } from "../types.js";
import { loadModel, startTestServer, type Route, type TestServer } from "../shared/xml-test-server.js";
import { restXml } from "./index.js";

function s3Route(req: ProtocolRequest): Route {
  const segs = req.rawPath.split("/");
  const bucket = segs[1] ? decodeURIComponent(segs[1]) : undefined;
  const key = segs.length > 2 ? decodeURIComponent(segs.slice(2).join("/")) : undefined;
  const q = new Set(req.query.map(([k]) => k));
  const labels: Record<string, string> = {};
  if (bucket) labels.Bucket = bucket;
  if (key) labels.Key = key;
  const m = req.method;
  let op: string;
  if (!bucket) op = "ListBuckets";
  else if (!key) {
    if (m === "PUT" && q.has("acl")) op = "PutBucketAcl";
    else if (m === "GET" && q.has("acl")) op = "GetBucketAcl";
    else if (m === "GET" && q.has("location")) op = "GetBucketLocation";
    else if (m === "GET" && q.has("list-type")) op = "ListObjectsV2";
    else if (m === "POST" && q.has("delete")) op = "DeleteObjects";
    else if (m === "PUT") op = "CreateBucket";
    else if (m === "HEAD") op = "HeadBucket";
    else throw new Error(`no test route for ${m} ${req.rawPath}`);
  } else {
    op = m === "PUT" ? "PutObject" : m === "HEAD" ? "HeadObject" : "GetObject";
  }
  return { op, labels };
}

const lastModified = new Date("2024-06-07T08:09:10.000Z");

describe("restXml with @aws-sdk/client-s3", () => {
  const model = loadModel("s3");
  let server: TestServer;
  let client: S3Client;

  beforeAll(async () => {
    server = await startTestServer({
      protocol: restXml,
      model,
      route: s3Route,
      streamOps: ["PutObject"],
      handle(op, input) {
        if (input.Bucket === "missing") throw new AwsError("NoSuchBucket", "The specified bucket does not exist", undefined, { fields: { BucketName: "missing" } });
        switch (op) {
          case "CreateBucket":
            return { Location: `/${input.Bucket as string}` };
          case "PutObject":
            return { ETag: '"9b2cf535f27731c974343645a3985328"', VersionId: "v1", BucketKeyEnabled: true };
          case "GetObject":
            return {
              Body: Readable.from([Buffer.from("hello "), Buffer.from("world")]),
              ContentType: "text/plain",
              ContentLength: 11,
              ETag: '"abc"',
              LastModified: lastModified,
              Metadata: { owner: "me", "two-words": "a b" },
              TagCount: 2,
              ObjectLockRetainUntilDate: new Date("2030-01-01T00:00:00Z"),
            };
          case "HeadObject":
            if (input.Key === "nope") throw new AwsError("NotFound", "Not Found", 404);
            return { ContentLength: 5, ETag: '"e"', Metadata: { unicode: "héllo wörld" }, LastModified: lastModified };
          case "ListObjectsV2":
            return {
              Name: input.Bucket,
              Prefix: input.Prefix,
              MaxKeys: input.MaxKeys,
              KeyCount: 2,
              IsTruncated: true,
              NextContinuationToken: "next==",
              Contents: [
                { Key: "photos/a&b <1>.jpg", Size: 3, ETag: '"e1"', LastModified: lastModified, StorageClass: "STANDARD", ChecksumAlgorithm: ["CRC32"] },
                { Key: "photos/c\r\nd.jpg", Size: 0, ETag: '"e2"', LastModified: lastModified, Owner: { ID: "owner-id", DisplayName: "me" } },
              ],
              CommonPrefixes: [{ Prefix: "photos/2024/" }, { Prefix: "photos/2025/" }],
            };
          case "DeleteObjects":
            return {
              Deleted: (input.Delete as { Objects: Array<{ Key: string }> }).Objects.filter((o) => o.Key !== "locked").map((o) => ({ Key: o.Key })),
              Errors: [{ Key: "locked", Code: "AccessDenied", Message: "Access Denied" }],
            };
          case "GetBucketAcl":
            return {
              Owner: { ID: "o1", DisplayName: "owner" },
              Grants: [
                { Grantee: { Type: "CanonicalUser", ID: "o1", DisplayName: "owner" }, Permission: "FULL_CONTROL" },
                { Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers" }, Permission: "READ" },
              ],
            };
          case "PutBucketAcl":
            return undefined;
          case "GetBucketLocation":
            return { LocationConstraint: "eu-west-1" };
          case "ListBuckets":
            return { Buckets: [{ Name: "b1", CreationDate: lastModified, BucketRegion: "us-east-1" }, { Name: "b2" }], Owner: { ID: "o1" } };
        }
        throw new Error(op);
      },
    });
    client = new S3Client({
      endpoint: server.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
      // Checksums would make the SDK send aws-chunked bodies, which the gateway (not the protocol) decodes.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it("CreateBucket: label, header and the CreateBucketConfiguration payload in; Location header out", async () => {
    const out = await client.send(
      new CreateBucketCommand({ Bucket: "my-bucket", ACL: "private", CreateBucketConfiguration: { LocationConstraint: "eu-west-1", Tags: [{ Key: "k", Value: "v" }] } }),
    );
    expect(out.Location).toBe("/my-bucket");
    expect(out.$metadata.requestId).toMatch(/^req-/);
    expect(out.$metadata.extendedRequestId).toBeTruthy();
    expect(server.calls.at(-1)!.input).toEqual({
      Bucket: "my-bucket",
      ACL: "private",
      CreateBucketConfiguration: { LocationConstraint: "eu-west-1", Tags: [{ Key: "k", Value: "v" }] },
    });
  });

  it("PutObject: greedy key label, metadata prefix headers, typed headers and a streaming body in", async () => {
    const out = await client.send(
      new PutObjectCommand({
        Bucket: "b",
        Key: "dir/sub dir/file+name?.txt",
        Body: Readable.from([Buffer.from("streamed "), Buffer.from("bytes")]),
        ContentLength: 14,
        ContentType: "text/plain",
        Metadata: { Color: "blue", "x-y": "z" },
        Expires: new Date("2031-02-03T04:05:06Z"),
        ObjectLockRetainUntilDate: new Date("2032-01-01T00:00:00Z"),
        BucketKeyEnabled: false,
      }),
    );
    expect(out.ETag).toBe('"9b2cf535f27731c974343645a3985328"');
    expect(out.VersionId).toBe("v1");
    expect(out.BucketKeyEnabled).toBe(true);
    const call = server.calls.at(-1)!;
    expect(call.streamed?.toString()).toBe("streamed bytes");
    expect(call.input).toMatchObject({
      Bucket: "b",
      Key: "dir/sub dir/file+name?.txt",
      ContentLength: 14,
      ContentType: "text/plain",
      Metadata: { color: "blue", "x-y": "z" },
      Expires: new Date("2031-02-03T04:05:06Z"),
      ObjectLockRetainUntilDate: new Date("2032-01-01T00:00:00Z"),
      BucketKeyEnabled: false,
    });
    expect(call.input.Body).toBeInstanceOf(Readable);
  });

  it("GetObject: streaming body and typed headers out", async () => {
    const out = await client.send(new GetObjectCommand({ Bucket: "b", Key: "k", Range: "bytes=0-10", ResponseContentType: "text/plain", PartNumber: 1 }));
    expect(await out.Body!.transformToString()).toBe("hello world");
    expect(out.ContentType).toBe("text/plain");
    expect(out.ContentLength).toBe(11);
    expect(out.ETag).toBe('"abc"');
    expect(out.LastModified?.toISOString()).toBe(lastModified.toISOString());
    expect(out.Metadata).toEqual({ owner: "me", "two-words": "a b" });
    expect(out.TagCount).toBe(2);
    expect(out.ObjectLockRetainUntilDate?.toISOString()).toBe("2030-01-01T00:00:00.000Z");
    expect(server.calls.at(-1)!.input).toEqual({ Bucket: "b", Key: "k", Range: "bytes=0-10", ResponseContentType: "text/plain", PartNumber: 1 });
  });

  it("HeadObject: headers only; non-Latin-1 metadata goes out RFC 2047 encoded", async () => {
    const out = await client.send(new HeadObjectCommand({ Bucket: "b", Key: "k" }));
    expect(out.ContentLength).toBe(5);
    expect(out.ETag).toBe('"e"');
    expect(out.Metadata?.unicode).toBe(`=?UTF-8?B?${Buffer.from("héllo wörld").toString("base64")}?=`);
  });

  it("HEAD 404: no body, the SDK reports NotFound", async () => {
    const err = await client.send(new HeadObjectCommand({ Bucket: "b", Key: "nope" })).catch((e) => e);
    expect(err.name).toBe("NotFound");
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.$metadata.requestId).toMatch(/^req-/);
  });

  it("ListObjectsV2: typed query in; flattened Contents/CommonPrefixes, escaped keys, timestamps out", async () => {
    const out = await client.send(new ListObjectsV2Command({ Bucket: "b", Prefix: "photos/", MaxKeys: 2, FetchOwner: true, Delimiter: "/", ContinuationToken: "c1" }));
    expect(server.calls.at(-1)!.input).toEqual({ Bucket: "b", Prefix: "photos/", MaxKeys: 2, FetchOwner: true, Delimiter: "/", ContinuationToken: "c1" });
    expect(out.Name).toBe("b");
    expect(out.MaxKeys).toBe(2);
    expect(out.KeyCount).toBe(2);
    expect(out.IsTruncated).toBe(true);
    expect(out.NextContinuationToken).toBe("next==");
    expect(out.Contents?.map((c) => c.Key)).toEqual(["photos/a&b <1>.jpg", "photos/c\r\nd.jpg"]);
    expect(out.Contents?.[0]).toMatchObject({ Size: 3, ETag: '"e1"', StorageClass: "STANDARD", ChecksumAlgorithm: ["CRC32"] });
    expect(out.Contents?.[0].LastModified?.toISOString()).toBe(lastModified.toISOString());
    expect(out.Contents?.[1].Owner).toEqual({ ID: "owner-id", DisplayName: "me" });
    expect(out.CommonPrefixes).toEqual([{ Prefix: "photos/2024/" }, { Prefix: "photos/2025/" }]);
  });

  it("DeleteObjects: XML payload with a flattened Object list in; Deleted/Error lists out", async () => {
    const out = await client.send(
      new DeleteObjectsCommand({ Bucket: "b", Delete: { Objects: [{ Key: "a" }, { Key: "locked", VersionId: "v1" }, { Key: "c&d\r\n" }], Quiet: false } }),
    );
    expect(server.calls.at(-1)!.input).toMatchObject({
      Bucket: "b",
      Delete: { Objects: [{ Key: "a" }, { Key: "locked", VersionId: "v1" }, { Key: "c&d\r\n" }], Quiet: false },
    });
    expect(out.Deleted).toEqual([{ Key: "a" }, { Key: "c&d\r\n" }]);
    expect(out.Errors).toEqual([{ Key: "locked", Code: "AccessDenied", Message: "Access Denied" }]);
  });

  it("PutBucketAcl / GetBucketAcl: xsi:type attribute with its namespace both ways", async () => {
    await client.send(
      new PutBucketAclCommand({
        Bucket: "b",
        AccessControlPolicy: {
          Owner: { ID: "o1" },
          Grants: [{ Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers" }, Permission: "READ" }],
        },
      }),
    );
    expect(server.calls.at(-1)!.input.AccessControlPolicy).toEqual({
      Owner: { ID: "o1" },
      Grants: [{ Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers" }, Permission: "READ" }],
    });
    const out = await client.send(new GetBucketAclCommand({ Bucket: "b" }));
    expect(out.Owner).toEqual({ ID: "o1", DisplayName: "owner" });
    expect(out.Grants).toEqual([
      { Grantee: { Type: "CanonicalUser", ID: "o1", DisplayName: "owner" }, Permission: "FULL_CONTROL" },
      { Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers" }, Permission: "READ" },
    ]);
  });

  it("GetBucketLocation: the value is the root element's text", async () => {
    const out = await client.send(new GetBucketLocationCommand({ Bucket: "b" }));
    expect(out.LocationConstraint).toBe("eu-west-1");
  });

  it("ListBuckets: wrapped Buckets list rooted at ListAllMyBucketsResult", async () => {
    const out = await client.send(new ListBucketsCommand({}));
    expect(out.Buckets).toEqual([{ Name: "b1", CreationDate: lastModified, BucketRegion: "us-east-1" }, { Name: "b2" }]);
    expect(out.Owner?.ID).toBe("o1");
  });

  it("NoSuchBucket: bare <Error> with BucketName, typed exception, status from the model", async () => {
    const err = await client.send(new ListObjectsV2Command({ Bucket: "missing" })).catch((e) => e);
    expect(err).toBeInstanceOf(NoSuchBucket);
    expect(err.name).toBe("NoSuchBucket");
    expect(err.message).toBe("The specified bucket does not exist");
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.$metadata.requestId).toMatch(/^req-/);
    expect(err.BucketName).toBe("missing");
  });
});
