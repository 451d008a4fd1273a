// SSE-KMS (issue 5): S3 gets a data key from KMS GenerateDataKey as the writer (the aws/s3 AWS
// managed key by default, or the key named by id, ARN or alias), stores its ciphertext with the
// version, and asks KMS Decrypt as the reader on GET; a disabled key fails the GET with
// KMS.DisabledException, a reader without kms:Decrypt gets AccessDenied.
import { createHash, randomBytes } from "node:crypto";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getObject } from "../../../src/services/s3/store.js";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { iamFor } from "../iam/helpers.js";
import { err } from "./access-helpers.js";
import { bytes, rawBlob, uniq } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n.stop();
});


async function setup(): Promise<{ account: string; s3: S3Client; kms: KMSClient; bucket: string }> {
  const account = freshAccount();
  const s3 = new S3Client({ ...sdkConfig(n.endpoint, { accountId: account }), forcePathStyle: true });
  const kms = new KMSClient(sdkConfig(n.endpoint, { accountId: account }));
  const bucket = uniq("kms");
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return { account, s3, kms, bucket };
}

describe("SSE-KMS", () => {
  it("round-trips with the aws/s3 AWS managed key, reporting aws:kms and the key ARN; the stored bytes are ciphertext", async () => {
    const { s3, kms, bucket } = await setup();
    const body = randomBytes(5000);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a.bin", Body: body, ServerSideEncryption: "aws:kms" }));
    const managed = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/s3" }))).KeyMetadata!;
    expect(managed.KeyManager).toBe("AWS");
    expect(put.ServerSideEncryption).toBe("aws:kms");
    expect(put.SSEKMSKeyId).toBe(managed.Arn);
    expect(put.BucketKeyEnabled).toBeUndefined();
    expect(put.ETag).toBe(`"${createHash("md5").update(body).digest("hex")}"`);

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "a.bin" }));
    expect((await bytes(got.Body)).equals(body)).toBe(true);
    expect(got.ServerSideEncryption).toBe("aws:kms");
    expect(got.SSEKMSKeyId).toBe(managed.Arn);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "a.bin" }));
    expect(head.ServerSideEncryption).toBe("aws:kms");
    expect(head.SSEKMSKeyId).toBe(managed.Arn);
    expect(head.ContentLength).toBe(5000);

    // The version stores the wrapped data key and the context AWS uses (the object's ARN).
    const row = getObject(n.nimbus.db, bucket, "a.bin")!;
    const sse = (row.headers as { sse?: { kind: string; context: Record<string, string>; dataKey: string } }).sse!;
    expect(sse.kind).toBe("KMS");
    expect(sse.context).toEqual({ "aws:s3:arn": `arn:aws:s3:::${bucket}/a.bin` });
    expect(sse.dataKey.length).toBeGreaterThan(40);
    const raw = rawBlob(n, row.blobId);
    expect(raw.length).toBe(body.length);
    expect(raw.equals(body)).toBe(false);
  });

  it("uses a customer key named by alias, with an encryption context and BucketKeyEnabled; range GET decrypts from any offset", async () => {
    const { s3, kms, bucket } = await setup();
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await kms.send(new CreateAliasCommand({ AliasName: "alias/s3-data", TargetKeyId: key.KeyId }));
    const body = randomBytes(10_000);
    const context = Buffer.from(JSON.stringify({ project: "nimbus" })).toString("base64");
    const put = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "c.bin", Body: body, ServerSideEncryption: "aws:kms", SSEKMSKeyId: "alias/s3-data", SSEKMSEncryptionContext: context, BucketKeyEnabled: true }),
    );
    expect(put.SSEKMSKeyId).toBe(key.Arn);
    expect(put.BucketKeyEnabled).toBe(true);
    expect(put.SSEKMSEncryptionContext).toBe(context);
    const sse = (getObject(n.nimbus.db, bucket, "c.bin")!.headers as { sse?: { context: Record<string, string> } }).sse!;
    expect(sse.context).toEqual({ project: "nimbus", "aws:s3:arn": `arn:aws:s3:::${bucket}` });

    const ranged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "c.bin", Range: "bytes=1001-7777" }));
    expect((await bytes(ranged.Body)).equals(body.subarray(1001, 7778))).toBe(true);
    expect(ranged.ContentRange).toBe("bytes 1001-7777/10000");
    expect(ranged.SSEKMSKeyId).toBe(key.Arn);
    expect(ranged.BucketKeyEnabled).toBe(true);

    // A bad context is rejected before anything is written.
    const bad = await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "d.bin", Body: "x", ServerSideEncryption: "aws:kms", SSEKMSEncryptionContext: "bm90IGpzb24=" })));
    expect(bad.name).toBe("InvalidArgument");
    expect(getObject(n.nimbus.db, bucket, "d.bin")).toBeUndefined();

    // CopyObject to SSE-KMS by key ARN, from the SSE-KMS source.
    const copy = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "copy.bin", CopySource: `${bucket}/c.bin`, ServerSideEncryption: "aws:kms", SSEKMSKeyId: key.Arn }));
    expect(copy.ServerSideEncryption).toBe("aws:kms");
    expect(copy.SSEKMSKeyId).toBe(key.Arn);
    expect((await bytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "copy.bin" }))).Body)).equals(body)).toBe(true);
  });

  it("encrypts multipart uploads and applies a bucket's default aws:kms encryption", async () => {
    const { s3, kms, bucket } = await setup();
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await s3.send(
      new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: key.KeyId }, BucketKeyEnabled: true }] } }),
    );
    const plain = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "default.txt", Body: "by default" }));
    expect(plain.ServerSideEncryption).toBe("aws:kms");
    expect(plain.SSEKMSKeyId).toBe(key.Arn);
    expect(plain.BucketKeyEnabled).toBe(true);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "default.txt" }))).Body!.transformToString()).toBe("by default");

    const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "big.bin", ServerSideEncryption: "aws:kms" }));
    expect(create.ServerSideEncryption).toBe("aws:kms");
    const managed = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/s3" }))).KeyMetadata!;
    // An explicit aws:kms without a key id is the aws/s3 key, not the bucket's default key.
    expect(create.SSEKMSKeyId).toBe(managed.Arn);
    const p1 = randomBytes(5 * 1024 * 1024);
    const p2 = randomBytes(1234);
    const e1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "big.bin", UploadId: create.UploadId, PartNumber: 1, Body: p1 }));
    const e2 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "big.bin", UploadId: create.UploadId, PartNumber: 2, Body: p2 }));
    expect(e1.ServerSideEncryption).toBe("aws:kms");
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "big.bin", UploadId: create.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.ETag }] } }),
    );
    expect(done.ServerSideEncryption).toBe("aws:kms");
    expect(done.SSEKMSKeyId).toBe(managed.Arn);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big.bin", Range: `bytes=${p1.length - 10}-${p1.length + 9}` }));
    expect((await bytes(got.Body)).equals(Buffer.concat([p1.subarray(p1.length - 10), p2.subarray(0, 10)]))).toBe(true);
    const whole = await bytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big.bin" }))).Body);
    expect(whole.equals(Buffer.concat([p1, p2]))).toBe(true);
  });

  it("a disabled key fails the GET with KMS.DisabledException (HEAD still answers); enabling it again restores reads", async () => {
    const { s3, kms, bucket } = await setup();
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k.txt", Body: "secret", ServerSideEncryption: "aws:kms", SSEKMSKeyId: key.KeyId }));
    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    const e = await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k.txt" })));
    expect(e).toEqual({ name: "KMS.DisabledException", status: 400, message: `${key.Arn} is disabled.` });
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "k.txt" }))).SSEKMSKeyId).toBe(key.Arn);
    // Writes under the disabled key fail too, and store nothing.
    const w = await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k2.txt", Body: "x", ServerSideEncryption: "aws:kms", SSEKMSKeyId: key.KeyId })));
    expect(w.name).toBe("KMS.DisabledException");
    expect(getObject(n.nimbus.db, bucket, "k2.txt")).toBeUndefined();
    await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k.txt" }))).Body!.transformToString()).toBe("secret");
  });

  it("an IAM user allowed s3:* but not kms:Decrypt is denied the GET; with kms:Decrypt the same user reads", async () => {
    const { account, s3, kms, bucket } = await setup();
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "p.txt", Body: "private", ServerSideEncryption: "aws:kms", SSEKMSKeyId: key.KeyId }));
    const iam = iamFor(n, account);
    const user = (await iam.send(new CreateUserCommand({ UserName: "reader" }))).User!;
    const ak = (await iam.send(new CreateAccessKeyCommand({ UserName: "reader" }))).AccessKey!;
    const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
    await iam.send(new PutUserPolicyCommand({ UserName: "reader", PolicyName: "s3", PolicyDocument: doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }) }));
    const reader = new S3Client({ ...sdkConfig(n.endpoint, { accountId: ak.AccessKeyId!, secretAccessKey: ak.SecretAccessKey! }), forcePathStyle: true });
    const denied = await err(reader.send(new GetObjectCommand({ Bucket: bucket, Key: "p.txt" })));
    expect(denied.name).toBe("AccessDenied");
    expect(denied.status).toBe(403);
    expect(denied.message).toContain(`User: ${user.Arn} is not authorized to perform: kms:Decrypt on resource: ${key.Arn}`);
    // Writing needs kms:GenerateDataKey likewise.
    const wDenied = await err(reader.send(new PutObjectCommand({ Bucket: bucket, Key: "w.txt", Body: "x", ServerSideEncryption: "aws:kms", SSEKMSKeyId: key.KeyId })));
    expect(wDenied.name).toBe("AccessDenied");
    expect(wDenied.message).toContain("kms:GenerateDataKey");

    // kms:ViaService names S3 in the caller's region.
    await iam.send(
      new PutUserPolicyCommand({ UserName: "reader", PolicyName: "kms", PolicyDocument: doc({ Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: key.Arn, Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } } }) }),
    );
    expect(await (await reader.send(new GetObjectCommand({ Bucket: bucket, Key: "p.txt" }))).Body!.transformToString()).toBe("private");
    await reader.send(new PutObjectCommand({ Bucket: bucket, Key: "w.txt", Body: "by reader", ServerSideEncryption: "aws:kms", SSEKMSKeyId: key.KeyId }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "w.txt" }))).Body!.transformToString()).toBe("by reader");
  });
});
