// Replication beyond copying objects: Replication:OperationFailedReplication events for rules
// with metrics (and AWS's configuration checks for metrics / RTC / SSE-KMS), SSE-KMS objects
// (left alone without SseKmsEncryptedObjects; with it, replicas under ReplicaKmsKeyID, and FAILED
// when the role lacks kms:Encrypt), and metadata changes following replicated versions (source
// to replica always, replica back to source with ReplicaModifications). Asynchronous work is
// observed by polling with a deadline.
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetBucketReplicationCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectTaggingCommand,
  type ReplicationRule,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReplicationWorker, stopReplicationWorker } from "../../../src/services/s3/replication/engine.js";
import { advanceClock, freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { err } from "./access-helpers.js";
import { eventQueue } from "./event-queue.js";
import { client, text, uniq } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n.stop();
});

const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const S3_ALLOW = [
  { Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"], Resource: "*" },
  { Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: "*" },
];

async function role(account: string, name: string, statements: object[]): Promise<string> {
  const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: account }));
  const r = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
  await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "replication", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }) }));
  return r.Role!.Arn!;
}

async function versioned(s3: S3Client): Promise<string> {
  const bucket = uniq("rsync");
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  return bucket;
}

/** Polls HEAD until the status is one of `want` (deadline 10 s); returns the last answer. */
async function waitStatus(s3: S3Client, Bucket: string, Key: string, want: string[]) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const h = await s3.send(new HeadObjectCommand({ Bucket, Key }));
    if (want.includes(h.ReplicationStatus ?? "") || Date.now() > deadline) return h;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls a check until it returns true (deadline 10 s). */
async function until(check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const rule = (dest: string, extra: Partial<ReplicationRule> = {}): ReplicationRule => ({
  ID: "r1",
  Status: "Enabled",
  Priority: 1,
  Filter: { Prefix: "" },
  DeleteMarkerReplication: { Status: "Disabled" },
  Destination: { Bucket: `arn:aws:s3:::${dest}` },
  ...extra,
});

const tagsOf = async (s3: S3Client, Bucket: string, Key: string, VersionId?: string) => (await s3.send(new GetObjectTaggingCommand({ Bucket, Key, VersionId }))).TagSet;

describe("replication events and checks", () => {
  it("refuses RTC without metrics and SSE-KMS selection without a replica key", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const src = await versioned(s3);
    const dest = await versioned(s3);
    const Role = await role(account, "repl-checks", S3_ALLOW);
    const rtc = rule(dest, { Destination: { Bucket: `arn:aws:s3:::${dest}`, ReplicationTime: { Status: "Enabled", Time: { Minutes: 15 } } } });
    expect(await err(s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: { Role, Rules: [rtc] } })))).toMatchObject({ name: "InvalidRequest", status: 400 });
    const kms = rule(dest, { SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: "Enabled" } } });
    expect(await err(s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: { Role, Rules: [kms] } })))).toMatchObject({
      name: "InvalidRequest",
      message: "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present.",
    });
  });

  it("sends Replication:OperationFailedReplication with the failure reason for a rule with metrics, and nothing for one without", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const src = await versioned(s3);
    const dest = await versioned(s3);
    // The role may read the source but not write to the destination.
    const Role = await role(account, "repl-noput", [S3_ALLOW[0]]);
    await s3.send(
      new PutBucketReplicationCommand({
        Bucket: src,
        ReplicationConfiguration: {
          Role,
          Rules: [
            rule(dest, { ID: "watched", Priority: 2, Filter: { Prefix: "m/" }, Destination: { Bucket: `arn:aws:s3:::${dest}`, Metrics: { Status: "Enabled", EventThreshold: { Minutes: 15 } } } }),
            rule(dest, { ID: "quiet", Priority: 1, Filter: { Prefix: "q/" } }),
          ],
        },
      }),
    );
    const q = await eventQueue(n, s3, account, src, ["s3:Replication:*"]);
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "q/1", Body: "quiet" }));
    const put = await s3.send(new PutObjectCommand({ Bucket: src, Key: "m/1", Body: "watched" }));
    expect((await waitStatus(s3, src, "q/1", ["FAILED", "COMPLETED"])).ReplicationStatus).toBe("FAILED");
    expect((await waitStatus(s3, src, "m/1", ["FAILED", "COMPLETED"])).ReplicationStatus).toBe("FAILED");
    const events = await q.receive(5, 2500);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      eventVersion: "2.2",
      eventName: "Replication:OperationFailedReplication",
      userIdentity: { principalId: "s3.amazonaws.com" },
      s3: { bucket: { name: src }, object: { key: "m/1", size: 7, versionId: put.VersionId } },
      replicationEventData: { replicationRuleId: "watched", destinationBucket: `arn:aws:s3:::${dest}`, s3Operation: "OBJECT_PUT", failureReason: "DstPutObjectNotPermitted" },
    });
    expect(Number.isNaN(Date.parse(events[0].replicationEventData.requestTime))).toBe(false);
  });
});

describe("delete markers", () => {
  it("DeleteObjects' delete markers are replicated when the rule says so", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const src = await versioned(s3);
    const dest = await versioned(s3);
    const Role = await role(account, "repl-batch-del", S3_ALLOW);
    await s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: { Role, Rules: [rule(dest, { DeleteMarkerReplication: { Status: "Enabled" } })] } }));
    for (const k of ["a", "b"]) await s3.send(new PutObjectCommand({ Bucket: src, Key: k, Body: k }));
    for (const k of ["a", "b"]) expect((await waitStatus(s3, src, k, ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("COMPLETED");
    const del = await s3.send(new DeleteObjectsCommand({ Bucket: src, Delete: { Objects: [{ Key: "a" }, { Key: "b" }] } }));
    expect(del.Deleted!.every((d) => d.DeleteMarker === true)).toBe(true);
    const markers = async () => (await s3.send(new ListObjectVersionsCommand({ Bucket: dest }))).DeleteMarkers?.filter((m) => m.IsLatest).map((m) => m.Key).sort() ?? [];
    expect(await until(async () => (await markers()).length === 2)).toBe(true);
    expect(await markers()).toEqual(["a", "b"]);
    expect((await err(s3.send(new HeadObjectCommand({ Bucket: dest, Key: "a" })))).status).toBe(404);
  });
});

describe("S3 Replication Time Control events", () => {
  it("a replication that starts more than 15 minutes (Nimbus time) after its write sends OperationMissedThreshold, then OperationReplicatedAfterThreshold", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const src = await versioned(s3);
    const dest = await versioned(s3);
    const Role = await role(account, "repl-rtc", S3_ALLOW);
    const Destination = { Bucket: `arn:aws:s3:::${dest}`, Metrics: { Status: "Enabled" as const, EventThreshold: { Minutes: 15 } }, ReplicationTime: { Status: "Enabled" as const, Time: { Minutes: 15 } } };
    await s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: { Role, Rules: [rule(dest, { Destination })] } }));
    const q = await eventQueue(n, s3, account, src, ["s3:Replication:*"]);
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "on-time", Body: "fast" }));
    expect((await waitStatus(s3, src, "on-time", ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("COMPLETED");
    // The worker paused (as across a restart with tasks queued) while 20 minutes pass.
    const rt = n.nimbus.runtimeFor("s3");
    stopReplicationWorker(rt);
    try {
      await s3.send(new PutObjectCommand({ Bucket: src, Key: "late", Body: "slow" }));
      expect((await s3.send(new HeadObjectCommand({ Bucket: src, Key: "late" }))).ReplicationStatus).toBe("PENDING");
      await advanceClock(n, "PT20M");
    } finally {
      startReplicationWorker(rt);
    }
    expect((await waitStatus(s3, src, "late", ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("COMPLETED");
    const events = await q.receive(2);
    expect(events.map((e) => [e.eventName, e.s3.object.key])).toEqual([
      ["Replication:OperationMissedThreshold", "late"],
      ["Replication:OperationReplicatedAfterThreshold", "late"],
    ]);
    const data = events[1].replicationEventData;
    expect(data).toMatchObject({ replicationRuleId: "r1", destinationBucket: `arn:aws:s3:::${dest}`, s3Operation: "OBJECT_PUT" });
    expect(Date.parse(data.replicationTime) - Date.parse(data.requestTime)).toBeGreaterThanOrEqual(20 * 60_000);
  });
});

describe("SSE-KMS replication", () => {
  async function kmsSetup(opts: { encrypt: boolean }) {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const kms = new KMSClient(sdkConfig(n.endpoint, { accountId: account }));
    const srcKey = (await kms.send(new CreateKeyCommand({ Description: "source" }))).KeyMetadata!.Arn!;
    const destKey = (await kms.send(new CreateKeyCommand({ Description: "replica" }))).KeyMetadata!.Arn!;
    const src = await versioned(s3);
    const dest = await versioned(s3);
    const kmsStatements = [{ Effect: "Allow", Action: "kms:Decrypt", Resource: srcKey }, ...(opts.encrypt ? [{ Effect: "Allow", Action: "kms:Encrypt", Resource: destKey }] : [])];
    const Role = await role(account, `repl-kms-${opts.encrypt}`, [...S3_ALLOW, ...kmsStatements]);
    return { account, s3, srcKey, destKey, src, dest, Role };
  }

  it("leaves SSE-KMS objects alone without SseKmsEncryptedObjects (no status), as AWS does", async () => {
    const { s3, srcKey, src, dest, Role } = await kmsSetup({ encrypt: true });
    await s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: { Role, Rules: [rule(dest)] } }));
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "secret", Body: "kms bytes", ServerSideEncryption: "aws:kms", SSEKMSKeyId: srcKey }));
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "plain", Body: "s3 bytes" }));
    // Tasks run in write order: once the later write is done, the earlier one would have been.
    expect((await waitStatus(s3, src, "plain", ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("COMPLETED");
    expect((await s3.send(new HeadObjectCommand({ Bucket: src, Key: "secret" }))).ReplicationStatus).toBeUndefined();
    expect((await err(s3.send(new HeadObjectCommand({ Bucket: dest, Key: "secret" })))).status).toBe(404);
  });

  it("with SseKmsEncryptedObjects: the replica is encrypted under ReplicaKmsKeyID; without kms:Encrypt on it, FAILED", async () => {
    const { s3, srcKey, destKey, src, dest, Role } = await kmsSetup({ encrypt: true });
    const kmsRule = (d: string, key: string) =>
      rule(d, { SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: "Enabled" } }, Destination: { Bucket: `arn:aws:s3:::${d}`, EncryptionConfiguration: { ReplicaKmsKeyID: key } } });
    await s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: { Role, Rules: [kmsRule(dest, destKey)] } }));
    const got = await s3.send(new GetBucketReplicationCommand({ Bucket: src }));
    expect(got.ReplicationConfiguration!.Rules![0]).toMatchObject({ SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: "Enabled" } }, Destination: { EncryptionConfiguration: { ReplicaKmsKeyID: destKey } } });
    const put = await s3.send(new PutObjectCommand({ Bucket: src, Key: "secret", Body: "kms bytes", ServerSideEncryption: "aws:kms", SSEKMSKeyId: srcKey }));
    expect((await waitStatus(s3, src, "secret", ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("COMPLETED");
    const replica = await s3.send(new GetObjectCommand({ Bucket: dest, Key: "secret" }));
    expect([replica.ReplicationStatus, replica.VersionId, replica.ServerSideEncryption, replica.SSEKMSKeyId, replica.ETag]).toEqual(["REPLICA", put.VersionId, "aws:kms", destKey, put.ETag]);
    expect(await text(replica.Body)).toBe("kms bytes");

    // Same setup, but the role may not use the replica key.
    const denied = await kmsSetup({ encrypt: false });
    await denied.s3.send(new PutBucketReplicationCommand({ Bucket: denied.src, ReplicationConfiguration: { Role: denied.Role, Rules: [kmsRule(denied.dest, denied.destKey)] } }));
    await denied.s3.send(new PutObjectCommand({ Bucket: denied.src, Key: "secret", Body: "kms bytes", ServerSideEncryption: "aws:kms", SSEKMSKeyId: denied.srcKey }));
    expect((await waitStatus(denied.s3, denied.src, "secret", ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("FAILED");
    expect((await err(denied.s3.send(new HeadObjectCommand({ Bucket: denied.dest, Key: "secret" })))).status).toBe(404);
  });
});

describe("metadata changes of replicated versions", () => {
  it("tags follow from source to replica; from a replica back only with ReplicaModifications", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const a = await versioned(s3);
    const b = await versioned(s3);
    const c = await versioned(s3);
    const Role = await role(account, "repl-sync", S3_ALLOW);
    // a -> b (two/) and a -> c (one/); b replicates back to a with ReplicaModifications, c without.
    await s3.send(new PutBucketReplicationCommand({ Bucket: a, ReplicationConfiguration: { Role, Rules: [rule(b, { Filter: { Prefix: "two/" } }), rule(c, { ID: "r2", Priority: 2, Filter: { Prefix: "one/" } })] } }));
    await s3.send(new PutBucketReplicationCommand({ Bucket: b, ReplicationConfiguration: { Role, Rules: [rule(a, { SourceSelectionCriteria: { ReplicaModifications: { Status: "Enabled" } } })] } }));
    await s3.send(new PutBucketReplicationCommand({ Bucket: c, ReplicationConfiguration: { Role, Rules: [rule(a, { SourceSelectionCriteria: { ReplicaModifications: { Status: "Disabled" } } })] } }));

    const two = await s3.send(new PutObjectCommand({ Bucket: a, Key: "two/x", Body: "two-way", Tagging: "v=1" }));
    const one = await s3.send(new PutObjectCommand({ Bucket: a, Key: "one/x", Body: "one-way", Tagging: "v=1" }));
    expect((await waitStatus(s3, a, "two/x", ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("COMPLETED");
    expect((await waitStatus(s3, a, "one/x", ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("COMPLETED");

    // Source to replica: always.
    await s3.send(new PutObjectTaggingCommand({ Bucket: a, Key: "two/x", Tagging: { TagSet: [{ Key: "v", Value: "2" }] } }));
    expect(await until(async () => (await tagsOf(s3, b, "two/x", two.VersionId))?.[0]?.Value === "2")).toBe(true);

    // Replica back to source with ReplicaModifications Enabled on the replica's bucket.
    await s3.send(new PutObjectTaggingCommand({ Bucket: b, Key: "two/x", Tagging: { TagSet: [{ Key: "v", Value: "3" }, { Key: "from", Value: "replica" }] } }));
    expect(await until(async () => (await tagsOf(s3, a, "two/x", two.VersionId))?.length === 2)).toBe(true);
    expect(await tagsOf(s3, a, "two/x")).toEqual([{ Key: "v", Value: "3" }, { Key: "from", Value: "replica" }]);
    // The source's replica status is unchanged, and the replica stays a replica.
    expect((await s3.send(new HeadObjectCommand({ Bucket: a, Key: "two/x" }))).ReplicationStatus).toBe("COMPLETED");
    expect((await s3.send(new HeadObjectCommand({ Bucket: b, Key: "two/x" }))).ReplicationStatus).toBe("REPLICA");

    // Without ReplicaModifications: a change to the replica in c stays there. A later write in
    // c, replicated to a, proves the queue has moved past it.
    await s3.send(new PutObjectTaggingCommand({ Bucket: c, Key: "one/x", Tagging: { TagSet: [{ Key: "v", Value: "changed" }] } }));
    await s3.send(new PutObjectCommand({ Bucket: c, Key: "later", Body: "marker" }));
    expect((await waitStatus(s3, c, "later", ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("COMPLETED");
    expect(await tagsOf(s3, a, "one/x", one.VersionId)).toEqual([{ Key: "v", Value: "1" }]);
    expect(await tagsOf(s3, c, "one/x")).toEqual([{ Key: "v", Value: "changed" }]);
  });

  it("legal holds follow too; a lock bucket replicates only to a lock bucket (DstBucketObjectLockConfigMissing)", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const locked = async () => {
      const bucket = uniq("rlock");
      await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
      return bucket;
    };
    const a = await locked();
    const b = await locked();
    const plain = await versioned(s3);
    const Role = await role(account, "repl-lock", S3_ALLOW);
    await s3.send(new PutBucketReplicationCommand({ Bucket: a, ReplicationConfiguration: { Role, Rules: [rule(b, { Filter: { Prefix: "l/" } }), rule(plain, { ID: "r2", Priority: 2, Filter: { Prefix: "p/" } })] } }));
    await s3.send(new PutBucketReplicationCommand({ Bucket: b, ReplicationConfiguration: { Role, Rules: [rule(a, { SourceSelectionCriteria: { ReplicaModifications: { Status: "Enabled" } } })] } }));
    const put = await s3.send(new PutObjectCommand({ Bucket: a, Key: "l/x", Body: "held" }));
    await s3.send(new PutObjectCommand({ Bucket: a, Key: "p/x", Body: "to a plain bucket" }));
    expect((await waitStatus(s3, a, "l/x", ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("COMPLETED");
    expect((await waitStatus(s3, a, "p/x", ["COMPLETED", "FAILED"])).ReplicationStatus).toBe("FAILED");

    const hold = async (Bucket: string) => (await s3.send(new GetObjectLegalHoldCommand({ Bucket, Key: "l/x", VersionId: put.VersionId })).catch(() => ({ LegalHold: undefined }))).LegalHold?.Status;
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: a, Key: "l/x", LegalHold: { Status: "ON" } }));
    expect(await until(async () => (await hold(b)) === "ON")).toBe(true);
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: b, Key: "l/x", VersionId: put.VersionId, LegalHold: { Status: "OFF" } }));
    expect(await until(async () => (await hold(a)) === "OFF")).toBe(true);
  });
});
