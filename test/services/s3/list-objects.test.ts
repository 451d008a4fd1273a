import { ListObjectsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { withBucket } from "./helpers.js";

let n: TestNimbus;
let s3: S3Client;
let bucket: string;

// A few hundred keys: nested paths, spaces, unicode (S3 orders by UTF-8 bytes: "Z" < "a" <
// "z" < "é" < "ü" < "日" < "😀"), keys that are a prefix of others, empty path segments.
const KEYS = [
  ...Array.from({ length: 120 }, (_, i) => `photos/2024/img-${i}.jpg`),
  ...Array.from({ length: 40 }, (_, i) => `photos/2025/${i} summer.png`),
  ...Array.from({ length: 50 }, (_, i) => `docs/a b ${i}.txt`),
  ...Array.from({ length: 60 }, (_, i) => `top-${i}`),
  "ümlaut", "日本/語", "日本/本", "emoji-😀", "emoji-\uff61", "z", "Z", "a/b/c", "a b", "é/x", "a", "a/", "a//b", "zz/", "Ω",
];
const utf8Sort = (xs: string[]) => [...xs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
const SORTED = utf8Sort(KEYS);

/** The reference answer: every entry (key or common prefix) of a delimited listing, in order. */
function entries(prefix: string, delimiter: string): Array<{ key?: string; prefix?: string }> {
  const out: Array<{ key?: string; prefix?: string }> = [];
  const seen = new Set<string>();
  for (const k of SORTED) {
    if (!k.startsWith(prefix)) continue;
    const at = k.indexOf(delimiter, prefix.length);
    if (at < 0) out.push({ key: k });
    else {
      const cp = k.slice(0, at + delimiter.length);
      if (!seen.has(cp)) out.push({ prefix: cp });
      seen.add(cp);
    }
  }
  return out;
}

beforeAll(async () => {
  n = await startNimbus();
  ({ s3, bucket } = await withBucket(n, "list"));
  for (let i = 0; i < KEYS.length; i += 40) {
    await Promise.all(KEYS.slice(i, i + 40).map((Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }))));
  }
}, 60_000);
afterAll(() => n.stop());

describe("ListObjectsV2", () => {
  it("pages through every key in UTF-8 binary order", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 100, ...(token ? { ContinuationToken: token } : {}) }));
      pages++;
      const keys = page.Contents!.map((o) => o.Key!);
      seen.push(...keys);
      expect(page.KeyCount).toBe(keys.length);
      expect(page.MaxKeys).toBe(100);
      expect(page.Name).toBe(bucket);
      if (token) expect(page.ContinuationToken).toBe(token);
      expect(page.IsTruncated).toBe(seen.length < KEYS.length);
      token = page.NextContinuationToken;
      expect(token !== undefined).toBe(page.IsTruncated);
    } while (token);
    expect(pages).toBe(Math.ceil(KEYS.length / 100));
    expect(seen).toEqual(SORTED);
    expect(seen.slice(-7)).toEqual(["z", "zz/", "é/x", "ümlaut", "Ω", "日本/本", "日本/語"]);
    // UTF-8 byte order, not JavaScript's UTF-16 order: U+FF61 (EF BD A1) sorts before U+1F600 (F0 9F 98 80).
    expect(seen.indexOf("emoji-\uff61")).toBe(seen.indexOf("emoji-😀") - 1);
    expect(["emoji-😀", "emoji-\uff61"].sort()).toEqual(["emoji-😀", "emoji-\uff61"]);
    expect(seen.indexOf("Z")).toBeLessThan(seen.indexOf("a"));
  });

  it("rolls keys up into CommonPrefixes with a delimiter", async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/" }));
    const want = entries("", "/");
    expect(r.Contents!.map((o) => o.Key)).toEqual(want.filter((e) => e.key).map((e) => e.key));
    expect(r.CommonPrefixes!.map((p) => p.Prefix)).toEqual(["a/", "docs/", "photos/", "zz/", "é/", "日本/"]);
    expect(r.CommonPrefixes!.map((p) => p.Prefix)).toEqual(want.filter((e) => e.prefix).map((e) => e.prefix));
    expect(r.KeyCount).toBe(want.length);
    expect(r.Delimiter).toBe("/");
    expect(r.IsTruncated).toBe(false);

    const photos = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "photos/", Delimiter: "/" }));
    expect(photos.Contents).toBeUndefined();
    expect(photos.CommonPrefixes!.map((p) => p.Prefix)).toEqual(["photos/2024/", "photos/2025/"]);
    expect(photos.Prefix).toBe("photos/");

    const a = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "a/", Delimiter: "/" }));
    expect(a.Contents!.map((o) => o.Key)).toEqual(["a/"]);
    expect(a.CommonPrefixes!.map((p) => p.Prefix)).toEqual(["a//", "a/b/"]);

    const summer = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "photos/2025/1", Delimiter: "/" }));
    expect(summer.Contents!.map((o) => o.Key)).toEqual(SORTED.filter((k) => k.startsWith("photos/2025/1")));
    expect(summer.Contents![0]).toMatchObject({ Size: Buffer.byteLength(summer.Contents![0].Key!), StorageClass: "STANDARD" });
    expect(summer.Contents![0].ETag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it("paginates a delimited listing across keys and common prefixes alike", async () => {
    const got: Array<{ key?: string; prefix?: string }> = [];
    let token: string | undefined;
    for (let i = 0; i < 100; i++) {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/", MaxKeys: 7, ...(token ? { ContinuationToken: token } : {}) }));
      const batch: Array<{ key?: string; prefix?: string }> = [...(page.Contents ?? []).map((o) => ({ key: o.Key! })), ...(page.CommonPrefixes ?? []).map((p) => ({ prefix: p.Prefix! }))];
      expect(page.KeyCount).toBe(batch.length);
      expect(batch.length).toBeLessThanOrEqual(7);
      got.push(...batch.sort((x, y) => Buffer.compare(Buffer.from(x.key ?? x.prefix!), Buffer.from(y.key ?? y.prefix!))));
      token = page.NextContinuationToken;
      if (!page.IsTruncated) break;
    }
    expect(token).toBeUndefined();
    expect(got).toEqual(entries("", "/"));
  });

  it("starts after StartAfter, fetches owners and url-encodes on request", async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, StartAfter: "top-8", MaxKeys: 3, FetchOwner: true }));
    const i = SORTED.indexOf("top-8");
    expect(r.Contents!.map((o) => o.Key)).toEqual(SORTED.slice(i + 1, i + 4));
    expect(r.StartAfter).toBe("top-8");
    expect(r.Contents![0].Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
    const noOwner = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }));
    expect(noOwner.Contents![0].Owner).toBeUndefined();

    const enc = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "docs/a b 1", EncodingType: "url", MaxKeys: 2 }));
    expect(enc.EncodingType).toBe("url");
    expect(enc.Prefix).toBe("docs/a+b+1");
    expect(enc.Contents!.map((o) => o.Key)).toEqual(["docs/a+b+1.txt", "docs/a+b+10.txt"]);
    const uni = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "ü", EncodingType: "url" }));
    expect(uni.Contents!.map((o) => o.Key)).toEqual(["%C3%BCmlaut"]);
  });

  it("rejects bad max-keys, encoding types and continuation tokens", async () => {
    const bad = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: -1 })).catch((e) => e);
    expect([bad.name, bad.$metadata.httpStatusCode, bad.ArgumentName]).toEqual(["InvalidArgument", 400, "maxKeys"]);
    const enc = await s3.send(new ListObjectsV2Command({ Bucket: bucket, EncodingType: "base64" as "url" })).catch((e) => e);
    expect(enc.name).toBe("InvalidArgument");
    const tok = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: "bogus" })).catch((e) => e);
    expect(tok.name).toBe("InvalidArgument");
    const zero = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 0 }));
    expect([zero.KeyCount, zero.Contents, zero.IsTruncated]).toEqual([0, undefined, false]);
    const none = await s3.send(new ListObjectsV2Command({ Bucket: `${bucket}-none` })).catch((e) => e);
    expect(none.name).toBe("NoSuchBucket");
  });
});

describe("ListObjects (v1)", () => {
  it("pages with Marker and NextMarker (with a delimiter) or the last key (without)", async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await s3.send(new ListObjectsCommand({ Bucket: bucket, MaxKeys: 90, ...(marker ? { Marker: marker } : {}) }));
      expect(page.Marker ?? "").toBe(marker ?? "");
      expect(page.NextMarker).toBeUndefined();
      seen.push(...page.Contents!.map((o) => o.Key!));
      expect(page.Contents![0].Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
      if (!page.IsTruncated) break;
      marker = seen[seen.length - 1];
    }
    expect(seen).toEqual(SORTED);

    const p1 = await s3.send(new ListObjectsCommand({ Bucket: bucket, Delimiter: "/", MaxKeys: 4 }));
    const want = entries("", "/").map((e) => e.key ?? e.prefix);
    expect([...(p1.Contents ?? []).map((o) => o.Key), ...(p1.CommonPrefixes ?? []).map((p) => p.Prefix)].sort()).toEqual(want.slice(0, 4).sort());
    expect(p1.IsTruncated).toBe(true);
    expect(p1.NextMarker).toBe(want[3]);
    const p2 = await s3.send(new ListObjectsCommand({ Bucket: bucket, Delimiter: "/", MaxKeys: 4, Marker: p1.NextMarker }));
    expect([...(p2.Contents ?? []).map((o) => o.Key), ...(p2.CommonPrefixes ?? []).map((p) => p.Prefix)].sort()).toEqual(want.slice(4, 8).sort());
  });
});
