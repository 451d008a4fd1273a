// Object operations virtual-hosted style (<bucket>.localhost), the SDK's default addressing.
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { lookup } from "node:dns";
import { Agent } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { text, uniq } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

// Resolve *.localhost to 127.0.0.1 whatever the libc does (see buckets.test.ts).
const agent = new Agent({
  keepAlive: true,
  lookup: (hostname, options, cb) => {
    if (hostname === "localhost" || hostname.endsWith(".localhost")) {
      if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: "127.0.0.1", family: 4 }]);
      else cb(null, "127.0.0.1", 4);
    } else lookup(hostname, options, cb);
  },
});

it("puts, gets and lists objects on <bucket>.localhost", async () => {
  const cfg = sdkConfig(n.endpoint.replace("127.0.0.1", "localhost"), { accountId: freshAccount() });
  const s3 = new S3Client({ ...cfg, forcePathStyle: false, requestHandler: new NodeHttpHandler({ httpAgent: agent }) });
  const bucket = uniq("vh");
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const keys = ["plain", "nested/path/to/file.txt", "with space & plus+.txt", "ünïcödé/ключ"];
  for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: `body of ${Key}` }));
  for (const Key of keys) expect(await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body)).toBe(`body of ${Key}`);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  expect(listed.Contents!.map((o) => o.Key)).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
});
