// Object operations virtual-hosted style (<bucket>.localhost), the SDK's default addressing.
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { localhostRequestHandler } from "../../support/localhost.js";
import { text, uniq } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

it("puts, gets and lists objects on <bucket>.localhost", async () => {
  const cfg = sdkConfig(n.endpoint.replace("127.0.0.1", "localhost"), { accountId: freshAccount() });
  const s3 = new S3Client({ ...cfg, forcePathStyle: false, requestHandler: localhostRequestHandler() });
  const bucket = uniq("vh");
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const keys = ["plain", "nested/path/to/file.txt", "with space & plus+.txt", "ünïcödé/ключ"];
  for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: `body of ${Key}` }));
  for (const Key of keys) expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body)).toBe(`body of ${Key}`);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  expect(listed.Contents!.map((o) => o.Key)).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
});
