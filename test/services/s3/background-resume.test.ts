// S3's background work left in a data directory resumes when Nimbus starts again, without a
// request or a clock advance to set it off: a replication task a stopped Nimbus had not run yet,
// and lifecycle actions that fell due while it was stopped. The left-over state is written with
// SQL into the stopped data directory, as a Nimbus killed at that moment leaves it.
import Database from "better-sqlite3";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutBucketLifecycleConfigurationCommand, PutBucketReplicationCommand, PutBucketVersioningCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { client, text, uniq } from "./helpers.js";

const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const ALLOW = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObjectVersionForReplication", "s3:ReplicateObject"], Resource: "*" }] });

/** Polls until `probe` answers something other than undefined (deadline 10 s). */
async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function status(s3: S3Client, Bucket: string, Key: string, code = false): Promise<string | undefined> {
  try {
    const h = await s3.send(new HeadObjectCommand({ Bucket, Key }));
    return code ? "200" : h.ReplicationStatus;
  } catch (e) {
    return String((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode);
  }
}

describe("S3 background work after a restart", () => {
  it("runs a replication task the previous run left queued", async () => {
    const account = freshAccount();
    const a = await startNimbus();
    let b: TestNimbus | undefined;
    try {
      const s3 = client(a, { accountId: account });
      const src = uniq("resume-src");
      const dest = uniq("resume-dst");
      for (const bucket of [src, dest]) {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
      }
      // Written before the configuration: no task of its own.
      const put = await s3.send(new PutObjectCommand({ Bucket: src, Key: "left/behind.txt", Body: "queued when Nimbus stopped" }));
      const iam = new IAMClient(sdkConfig(a.endpoint, { accountId: account }));
      const role = (await iam.send(new CreateRoleCommand({ RoleName: "resume-replication", AssumeRolePolicyDocument: TRUST }))).Role!.Arn!;
      await iam.send(new PutRolePolicyCommand({ RoleName: "resume-replication", PolicyName: "replication", PolicyDocument: ALLOW }));
      await s3.send(
        new PutBucketReplicationCommand({
          Bucket: src,
          ReplicationConfiguration: { Role: role, Rules: [{ ID: "all", Status: "Enabled", Priority: 1, Filter: { Prefix: "" }, DeleteMarkerReplication: { Status: "Disabled" }, Destination: { Bucket: `arn:aws:s3:::${dest}` } }] },
        }),
      );
      expect(await status(s3, src, "left/behind.txt")).toBeUndefined();
      await a.stop({ keepData: true });

      // What a write leaves in its transaction: the version PENDING and a task document.
      const db = new Database(join(a.dataDir, "nimbus.db"));
      const key = Buffer.from("left/behind.txt", "utf8");
      const marked = db.prepare("UPDATE s3_objects SET headers = json_set(headers, '$.replication', 'PENDING') WHERE bucket = ? AND key = ?").run(src, key);
      expect(marked.changes).toBe(1);
      const task = { bucket: src, key: "left/behind.txt", versionId: put.VersionId, kind: "object" };
      db.prepare("INSERT INTO nimbus_docs (service, scope, kind, id, doc) VALUES ('s3', 'global', 'repl-task', ?, ?)").run("1".padStart(20, "0"), JSON.stringify(task));
      db.close();

      b = await startNimbus({ dataDir: a.dataDir });
      const s3b = client(b, { accountId: account });
      expect(await eventually(async () => ((await status(s3b, src, "left/behind.txt")) === "COMPLETED" ? "COMPLETED" : undefined))).toBe("COMPLETED");
      const replica = await s3b.send(new GetObjectCommand({ Bucket: dest, Key: "left/behind.txt" }));
      expect(replica.ReplicationStatus).toBe("REPLICA");
      expect(replica.VersionId).toBe(put.VersionId);
      expect(await text(replica.Body)).toBe("queued when Nimbus stopped");
      expect(b.nimbus.db.prepare("SELECT count(*) AS n FROM nimbus_docs WHERE service = 's3' AND kind = 'repl-task'").get()).toEqual({ n: 0 });
    } finally {
      await b?.stop();
      rmSync(a.dataDir, { recursive: true, force: true });
    }
  });

  it("applies lifecycle actions that fell due while Nimbus was stopped", async () => {
    const account = freshAccount();
    const a = await startNimbus();
    let b: TestNimbus | undefined;
    try {
      const s3 = client(a, { accountId: account });
      const bucket = uniq("resume-lc");
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "old/a.txt", Body: "expires" }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "keep/b.txt", Body: "stays" }));
      await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: [{ ID: "old", Status: "Enabled", Filter: { Prefix: "old/" }, Expiration: { Days: 1 } }] } }));
      await a.stop({ keepData: true });

      // Three days pass while Nimbus is stopped (the clock's offset is kept in the data directory).
      const db = new Database(join(a.dataDir, "nimbus.db"));
      db.prepare("INSERT INTO nimbus_meta (key, value) VALUES ('clock.offset', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(3 * 86_400_000));
      db.close();

      b = await startNimbus({ dataDir: a.dataDir });
      const s3b = client(b, { accountId: account });
      expect(await eventually(async () => ((await status(s3b, bucket, "old/a.txt", true)) === "404" ? "404" : undefined))).toBe("404");
      expect(await status(s3b, bucket, "keep/b.txt", true)).toBe("200");
    } finally {
      await b?.stop();
      rmSync(a.dataDir, { recursive: true, force: true });
    }
  });
});
