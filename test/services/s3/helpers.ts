// Shared setup for the S3 object tests: a path-style client per fresh account and a bucket.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { freshAccount, sdkConfig, type TestNimbus } from "../../support/nimbus.js";

export const uniq = (p: string): string => `${p}-${Math.random().toString(36).slice(2, 10)}`;

export function client(n: TestNimbus, opts: { accountId?: string; region?: string } = {}): S3Client {
  return new S3Client({ ...sdkConfig(n.endpoint, { accountId: opts.accountId ?? freshAccount(), ...(opts.region ? { region: opts.region } : {}) }), forcePathStyle: true });
}

/** A client of a fresh account and a new bucket it owns. */
export async function withBucket(n: TestNimbus, prefix = "obj"): Promise<{ s3: S3Client; bucket: string }> {
  const s3 = client(n);
  const bucket = uniq(prefix);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return { s3, bucket };
}

export async function text(body: unknown): Promise<string> {
  return (body as { transformToString(): Promise<string> }).transformToString();
}

export async function bytes(body: unknown): Promise<Buffer> {
  return Buffer.from(await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

/** The bytes the blob store holds for a blob id: a row of nimbus_small_blobs ("i<n>") or nimbus_blobs (older ids), or a file under blobs/. */
export function rawBlob(n: TestNimbus, id: string): Buffer {
  if (/^i\d+$/.test(id)) return n.nimbus.db.prepare("SELECT bytes FROM nimbus_small_blobs WHERE n = ?").pluck().get(Number(id.slice(1))) as Buffer;
  if (id.startsWith("i")) return n.nimbus.db.prepare("SELECT bytes FROM nimbus_blobs WHERE id = ?").pluck().get(id) as Buffer;
  return readFileSync(join(n.dataDir, "blobs", id.slice(0, 2), id));
}
