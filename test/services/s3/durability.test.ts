// Nothing acknowledged is lost (DESIGN.md principle 5), tested the hard way: Nimbus runs as a
// child process, many single and multipart uploads are in flight, the server is SIGKILLed,
// restarted on the same data directory, and then:
//   - every object whose upload was acknowledged (200) reads back byte-identical, with the
//     ETag and checksum the acknowledgement carried;
//   - an object whose upload was not acknowledged is either absent or whole (its bytes are
//     exactly what was sent), never half-written;
//   - after the orphan sweep, every blob file left on disk is referenced by S3's state.
import { createHash, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import Database from "better-sqlite3";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { describe, expect, it } from "vitest";
import { useChildNimbus, type ChildNimbus } from "../../support/child-nimbus.js";
import { freshAccount, sdkConfig } from "../../support/nimbus.js";

const MIB = 1024 * 1024;
/** Sizes of single PutObjects: empty, tiny, around the chunking thresholds, a few MiB. */
const PUT_SIZES = [0, 1, 4096, 65_537, 300_000, MIB + 3, 3 * MIB];

interface Sent {
  sha256: string;
  size: number;
}
interface Acked extends Sent {
  etag: string;
  checksumCRC32?: string;
}

const nimbus = useChildNimbus("durability");

function client(endpoint: string, account: string): S3Client {
  // Many sockets, so that many uploads are really in flight at once.
  return new S3Client({ ...sdkConfig(endpoint, { accountId: account }), requestHandler: new NodeHttpHandler({ httpAgent: { maxSockets: 64 } as never }) });
}

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

async function readAll(s3: S3Client, bucket: string, key: string): Promise<{ body: Buffer; etag: string; crc32?: string }> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
  const body = Buffer.from(await r.Body!.transformToByteArray());
  return { body, etag: r.ETag!, crc32: r.ChecksumCRC32 };
}

describe("S3 durability under SIGKILL", () => {
  it("keeps every acknowledged upload whole and shows no half-written one after a crash", async () => {
    const dataDir = join(nimbus.workDir, "data");
    const account = freshAccount();
    const bucket = "durability";
    const first = await nimbus.start(dataDir);
    const s3 = client(first.endpoint, account);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    const sent = new Map<string, Sent>();
    const acked = new Map<string, Acked>();
    let inFlight = 0;
    let maxInFlight = 0;
    let killed = false;
    let seq = 0;

    const putOne = async (w: number): Promise<void> => {
      const n = seq++;
      const key = `put/${w}/${n}`;
      const body = randomBytes(PUT_SIZES[n % PUT_SIZES.length]);
      sent.set(key, { sha256: sha(body), size: body.length });
      const r = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      if (!killed) acked.set(key, { sha256: sha(body), size: body.length, etag: r.ETag!, checksumCRC32: r.ChecksumCRC32 });
    };
    const multipartOne = async (w: number): Promise<void> => {
      const n = seq++;
      const key = `mpu/${w}/${n}`;
      const parts = [randomBytes(5 * MIB), randomBytes(5 * MIB), randomBytes(1000 + n)];
      const whole = Buffer.concat(parts);
      sent.set(key, { sha256: sha(whole), size: whole.length });
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      // Parts concurrently and out of order, as lib-storage and the CLI send them.
      const etags = await Promise.all(
        [2, 0, 1].map(async (i) => {
          const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: parts[i] }));
          return { i, etag: r.ETag! };
        }),
      );
      etags.sort((a, b) => a.i - b.i);
      const r = await s3.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: etags.map((e) => ({ PartNumber: e.i + 1, ETag: e.etag })) } }),
      );
      if (!killed) acked.set(key, { sha256: sha(whole), size: whole.length, etag: r.ETag! });
    };

    // Workers loop until the kill; each operation's failure after the kill is expected.
    const worker = async (w: number): Promise<void> => {
      while (!killed) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          if (w % 4 === 3) await multipartOne(w);
          else await putOne(w);
        } catch (e) {
          if (!killed) throw e;
        } finally {
          inFlight--;
        }
      }
    };
    // Uploads that stall half-way until the kill: the server holds partial bytes at that moment.
    const stalled = async (n: number): Promise<void> => {
      const key = `stalled/${n}`;
      const body = randomBytes(2 * MIB);
      sent.set(key, { sha256: sha(body), size: body.length });
      let pushed = false;
      const stream = new Readable({
        read() {
          if (!pushed) {
            pushed = true;
            this.push(body.subarray(0, MIB));
          }
        },
      });
      const send =
        n % 2 === 0
          ? s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: stream, ContentLength: body.length }))
          : s3
              .send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))
              .then(({ UploadId }) => s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: stream, ContentLength: body.length })));
      await send.catch((e) => {
        if (!killed) throw e;
      });
      stream.destroy();
    };
    const stalls = Array.from({ length: 4 }, (_, n) => stalled(n));
    const workers = Array.from({ length: 16 }, (_, w) => worker(w));
    // Kill once enough has been acknowledged (some multipart uploads included) with uploads in flight.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (acked.size < 60 || ![...acked.keys()].some((k) => k.startsWith("mpu/")) || inFlight < 8)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const inFlightAtKill = inFlight;
    first.child.kill("SIGKILL");
    killed = true;
    await new Promise((r) => first.child.once("exit", r));
    await Promise.all([...workers, ...stalls]);
    expect(inFlightAtKill).toBeGreaterThanOrEqual(8);
    expect([...acked.keys()].filter((k) => k.startsWith("mpu/")).length).toBeGreaterThan(0);
    const unacked = [...sent.keys()].filter((k) => !acked.has(k));
    expect(unacked.length).toBeGreaterThan(0);

    // Restart on the same data directory.
    const second = await nimbus.start(dataDir);
    let running: ChildNimbus | undefined = second;
    try {
      const s3b = client(second.endpoint, account);
      // 1. Every acknowledged object reads back byte-identical, with its ETag and checksum.
      for (const [key, a] of acked) {
        const got = await readAll(s3b, bucket, key);
        expect({ key, size: got.body.length, sha256: sha(got.body), etag: got.etag }).toEqual({ key, size: a.size, sha256: a.sha256, etag: a.etag });
        if (a.checksumCRC32 !== undefined) expect({ key, crc32: got.crc32 }).toEqual({ key, crc32: a.checksumCRC32 });
      }
      // 2. What the listing shows is exactly what was sent: no stranger, nothing half-written.
      const listed = new Map<string, number>();
      let token: string | undefined;
      do {
        const page = await s3b.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        for (const o of page.Contents ?? []) listed.set(o.Key!, o.Size!);
        token = page.NextContinuationToken;
      } while (token);
      for (const key of acked.keys()) expect(listed.has(key)).toBe(true);
      let visibleUnacked = 0;
      for (const [key, size] of listed) {
        const s = sent.get(key);
        expect(s, `listed key ${key} was never sent`).toBeDefined();
        expect({ key, size }).toEqual({ key, size: s!.size });
        if (!acked.has(key)) {
          visibleUnacked++;
          const got = await readAll(s3b, bucket, key);
          expect({ key, sha256: sha(got.body) }).toEqual({ key, sha256: s!.sha256 });
        }
      }
      // Unacknowledged and not listed: really absent, not just unlisted.
      for (const key of unacked.filter((k) => !listed.has(k))) {
        const err = await s3b.send(new GetObjectCommand({ Bucket: bucket, Key: key })).then(
          () => undefined,
          (e: { name: string }) => e.name,
        );
        expect({ key, err }).toEqual({ key, err: "NoSuchKey" });
      }
      expect(visibleUnacked).toBeLessThanOrEqual(unacked.length);

      // 3. The orphan sweep runs after the crash: once it is done every blob is referenced.
      // Blobs are files under blobs/ (large) and rows of nimbus_small_blobs (small). A running
      // Nimbus holds nimbus.db exclusively, so it is read after a clean stop (SIGTERM), which
      // records blobs.clean only when this run's sweep finished; a stop that cut the sweep
      // short leaves the mark unset, and the next start sweeps again.
      const blobDir = join(dataDir, "blobs");
      const stopped = async (): Promise<{ clean: boolean; blobs: string[]; refs: Set<string> }> => {
        const exited = new Promise((r) => running!.child.once("exit", r));
        running!.child.kill("SIGTERM");
        await exited;
        running = undefined;
        const files = readdirSync(blobDir)
          .filter((d) => /^[0-9a-f]{2}$/.test(d))
          .flatMap((d) => readdirSync(join(blobDir, d)));
        const db = new Database(join(dataDir, "nimbus.db"), { readonly: true });
        try {
          const clean = db.prepare("SELECT value FROM nimbus_meta WHERE key = 'blobs.clean'").pluck().get() === "1";
          const rows = db.prepare("SELECT 'i' || n FROM nimbus_small_blobs UNION ALL SELECT id FROM nimbus_blobs").pluck().all() as string[];
          const refs = db.prepare("SELECT blob_id FROM s3_objects UNION ALL SELECT blob_id FROM s3_parts UNION ALL SELECT blob_id FROM s3_versions WHERE delete_marker = 0").pluck().all() as string[];
          return { clean, blobs: [...files, ...rows], refs: new Set(refs) };
        } finally {
          db.close();
        }
      };
      let state = await stopped();
      for (let i = 0; i < 5 && !state.clean; i++) {
        running = await nimbus.start(dataDir);
        await new Promise((r) => setTimeout(r, 200));
        state = await stopped();
      }
      expect(state.clean).toBe(true);
      expect(state.blobs.filter((f) => !state.refs.has(f))).toEqual([]);
      expect(readdirSync(join(blobDir, "tmp"))).toEqual([]);
    } finally {
      if (running) {
        running.child.kill("SIGKILL");
        await new Promise((r) => running!.child.once("exit", r));
      }
    }
  }, 60_000);
});
