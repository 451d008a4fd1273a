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

/**
 * Runs `before` on a Nimbus, stops it, lets `stopped` change its data directory with SQL, starts
 * a Nimbus again on that directory and runs `after` there. One account throughout.
 */
async function acrossRestart<T>(before: (s3: S3Client, n: TestNimbus, account: string) => Promise<T>, stopped: (db: Database.Database, left: T) => void, after: (s3: S3Client, n: TestNimbus, left: T) => Promise<void>): Promise<void> {
  const account = freshAccount();
  const a = await startNimbus();
  let b: TestNimbus | undefined;
  try {
    const left = await before(client(a, { accountId: account }), a, account);
    await a.stop({ keepData: true });
    const db = new Database(join(a.dataDir, "nimbus.db"));
    try {
      stopped(db, left);
    } finally {
      db.close();
    }
    b = await startNimbus({ dataDir: a.dataDir });
    await after(client(b, { accountId: account }), b, left);
  } finally {
    await b?.stop();
    rmSync(a.dataDir, { recursive: true, force: true });
  }
}

describe("S3 background work after a restart", () => {
  it("runs a replication task the previous run left queued", async () => {
    await acrossRestart(
      async (s3, a, account) => {
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
        return { src, dest, versionId: put.VersionId! };
      },
      // What a write leaves in its transaction: the version PENDING and a task document.
      (db, { src, versionId }) => {
        const marked = db.prepare("UPDATE s3_objects SET headers = json_set(headers, '$.replication', 'PENDING') WHERE bucket = ? AND key = ?").run(src, Buffer.from("left/behind.txt", "utf8"));
        expect(marked.changes).toBe(1);
        const task = { bucket: src, key: "left/behind.txt", versionId, kind: "object" };
        db.prepare("INSERT INTO nimbus_docs (service, scope, kind, id, doc) VALUES ('s3', 'global', 'repl-task', ?, ?)").run("1".padStart(20, "0"), JSON.stringify(task));
      },
      async (s3, b, { src, dest, versionId }) => {
        expect(await eventually(async () => ((await status(s3, src, "left/behind.txt")) === "COMPLETED" ? "COMPLETED" : undefined))).toBe("COMPLETED");
        const replica = await s3.send(new GetObjectCommand({ Bucket: dest, Key: "left/behind.txt" }));
        expect(replica.ReplicationStatus).toBe("REPLICA");
        expect(replica.VersionId).toBe(versionId);
        expect(await text(replica.Body)).toBe("queued when Nimbus stopped");
        expect(b.nimbus.db.prepare("SELECT count(*) AS n FROM nimbus_docs WHERE service = 's3' AND kind = 'repl-task'").get()).toEqual({ n: 0 });
      },
    );
  });

  it("applies lifecycle actions that fell due while Nimbus was stopped", async () => {
    await acrossRestart(
      async (s3) => {
        const bucket = uniq("resume-lc");
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "old/a.txt", Body: "expires" }));
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "keep/b.txt", Body: "stays" }));
        await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: [{ ID: "old", Status: "Enabled", Filter: { Prefix: "old/" }, Expiration: { Days: 1 } }] } }));
        return bucket;
      },
      // Three days pass while Nimbus is stopped (the clock's offset is kept in the data directory).
      (db) => {
        db.prepare("INSERT INTO nimbus_meta (key, value) VALUES ('clock.offset', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(3 * 86_400_000));
      },
      async (s3, _b, bucket) => {
        expect(await eventually(async () => ((await status(s3, bucket, "old/a.txt", true)) === "404" ? "404" : undefined))).toBe("404");
        expect(await status(s3, bucket, "keep/b.txt", true)).toBe("200");
      },
    );
  });
});
