// ACLs and Object Ownership through the real SDK and plain curl: BucketOwnerEnforced by default
// (ACLs refused), canned and explicit grants once ACLs are enabled, AllUsers/AuthenticatedUsers,
// grants to another account, Block Public Access over ACLs.
import {
  CreateBucketCommand,
  DeletePublicAccessBlockCommand,
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutBucketAclCommand,
  PutBucketOwnershipControlsCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  DeleteBucketOwnershipControlsCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { curl, err } from "./access-helpers.js";
import { client, text, uniq, withBucket } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";

/** A bucket with ACLs enabled (ObjectWriter) and Block Public Access off. */
async function aclBucket(): Promise<{ s3: S3Client; bucket: string; account: string }> {
  const account = freshAccount();
  const s3 = client(n, { accountId: account });
  const bucket = uniq("acl");
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectOwnership: "ObjectWriter" }));
  await s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
  return { s3, bucket, account };
}

describe("S3 ACLs and Object Ownership", () => {
  it("new buckets: BucketOwnerEnforced, owner FULL_CONTROL, ACLs other than bucket-owner-full-control refused", async () => {
    const { s3, bucket } = await withBucket(n, "enf");
    expect((await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket }))).OwnershipControls?.Rules).toEqual([{ ObjectOwnership: "BucketOwnerEnforced" }]);
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: bucket }));
    const owner = (await s3.send(new ListBucketsCommand({}))).Owner!.ID;
    expect(acl.Owner?.ID).toBe(owner);
    expect(acl.Grants).toEqual([{ Grantee: { Type: "CanonicalUser", ID: owner, DisplayName: "nimbus" }, Permission: "FULL_CONTROL" }]);
    expect(await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "x", ACL: "public-read" })))).toMatchObject({
      name: "AccessControlListNotSupported",
      message: "The bucket does not allow ACLs",
      status: 400,
    });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "x", ACL: "bucket-owner-full-control" }));
    expect(await err(s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: "public-read" })))).toMatchObject({ name: "AccessControlListNotSupported" });
    const objAcl = await s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: "k" }));
    expect(objAcl.Grants).toEqual([{ Grantee: { Type: "CanonicalUser", ID: owner, DisplayName: "nimbus" }, Permission: "FULL_CONTROL" }]);
    expect(await err(s3.send(new CreateBucketCommand({ Bucket: uniq("enf2"), ACL: "public-read" })))).toMatchObject({
      name: "InvalidBucketAclWithObjectOwnership",
      message: "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
    });
    expect(await err(s3.send(new CreateBucketCommand({ Bucket: uniq("enf3"), ACL: "public-read", ObjectOwnership: "ObjectWriter" })))).toMatchObject({
      name: "InvalidBucketAclWithBlockPublicAccessError",
    });
  });

  it("a public-read object ACL lets plain curl read it; an overwrite without ACL makes it private again", async () => {
    const { s3, bucket } = await aclBucket();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "pics/cat.txt", Body: "meow", ACL: "public-read" }));
    const url = `${n.endpoint}/${bucket}/pics/cat.txt`;
    expect(await curl(url)).toMatchObject({ status: 200, body: "meow" });
    const acl = await s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: "pics/cat.txt" }));
    expect(acl.Grants?.map((g) => [g.Grantee?.Type, g.Grantee?.URI ?? "owner", g.Permission])).toEqual([
      ["CanonicalUser", "owner", "FULL_CONTROL"],
      ["Group", ALL_USERS, "READ"],
    ]);
    // Anonymous HEAD too, and listing is still the bucket ACL's business (private).
    expect((await curl(url, ["-I"])).status).toBe(200);
    expect((await curl(`${n.endpoint}/${bucket}?list-type=2`)).status).toBe(403);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "pics/cat.txt", Body: "purr" }));
    expect((await curl(url)).status).toBe(403);
    // PutObjectAcl with an explicit grant header.
    await s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: "pics/cat.txt", GrantRead: `uri="${ALL_USERS}"` }));
    expect(await curl(url)).toMatchObject({ status: 200, body: "purr" });
    // IgnorePublicAcls turns public grants off, BlockPublicAcls refuses new ones.
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { IgnorePublicAcls: true, BlockPublicAcls: true } }));
    expect((await curl(url)).status).toBe(403);
    expect(await err(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "p2", Body: "x", ACL: "public-read" })))).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(await err(s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: "pics/cat.txt", ACL: "public-read" })))).toMatchObject({ name: "AccessDenied" });
  });

  it("bucket ACLs: public-read lets anyone list; authenticated-read lets other accounts, not anonymous", async () => {
    const { s3, bucket } = await aclBucket();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a", Body: "1" }));
    await s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: "public-read" }));
    const listed = await curl(`${n.endpoint}/${bucket}?list-type=2`);
    expect(listed.status).toBe(200);
    expect(listed.body).toContain("<Key>a</Key>");
    // Bucket READ does not read objects.
    expect((await curl(`${n.endpoint}/${bucket}/a`)).status).toBe(403);
    await s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: "authenticated-read" }));
    expect((await curl(`${n.endpoint}/${bucket}?list-type=2`)).status).toBe(403);
    const other = client(n);
    const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
    expect((await other.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.map((o) => o.Key)).toEqual(["a"]);
    // An AccessControlPolicy body, and the owner check on it.
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: bucket }));
    expect(acl.Grants?.some((g) => g.Grantee?.URI === "http://acs.amazonaws.com/groups/global/AuthenticatedUsers" && g.Permission === "READ")).toBe(true);
    await s3.send(new PutBucketAclCommand({ Bucket: bucket, AccessControlPolicy: { Owner: acl.Owner, Grants: acl.Grants!.filter((g) => g.Grantee?.Type === "CanonicalUser") } }));
    expect(await err(other.send(new ListObjectsV2Command({ Bucket: bucket })))).toMatchObject({ name: "AccessDenied" });
    expect((await s3.send(new GetBucketAclCommand({ Bucket: bucket }))).Grants).toHaveLength(1);
  });

  it("grants to another account by canonical id; the writer of an object owns it under ObjectWriter", async () => {
    const { s3, bucket } = await aclBucket();
    const otherAccount = freshAccount();
    const other = client(n, { accountId: otherAccount });
    const otherId = (await other.send(new ListBucketsCommand({}))).Owner!.ID!;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "for-other", Body: "hi", GrantRead: `id="${otherId}"` }));
    expect(await text((await other.send(new GetObjectCommand({ Bucket: bucket, Key: "for-other" }))).Body)).toBe("hi");
    // Let the other account write: bucket WRITE grant.
    const owner = (await s3.send(new GetBucketAclCommand({ Bucket: bucket }))).Owner!;
    await s3.send(new PutBucketAclCommand({ Bucket: bucket, GrantFullControl: `id="${owner.ID}"`, GrantWrite: `id="${otherId}"` }));
    await other.send(new PutObjectCommand({ Bucket: bucket, Key: "from-other", Body: "mine" }));
    const acl = await other.send(new GetObjectAclCommand({ Bucket: bucket, Key: "from-other" }));
    expect(acl.Owner?.ID).toBe(otherId);
    // The bucket owner did not get a grant on it.
    expect(await err(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "from-other" })))).toMatchObject({ name: "AccessDenied" });
    // Malformed grant headers.
    expect(await err(s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: "for-other", GrantRead: 'id="nope"' })))).toMatchObject({ name: "InvalidArgument" });
    expect(await err(s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: "for-other", ACL: "private", GrantRead: `id="${otherId}"` })))).toMatchObject({ name: "InvalidRequest" });
  });

  it("ownership controls: switching to BucketOwnerEnforced needs an owner-only ACL; delete leaves ObjectWriter behaviour", async () => {
    const { s3, bucket } = await aclBucket();
    await s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: "public-read" }));
    expect(await err(s3.send(new PutBucketOwnershipControlsCommand({ Bucket: bucket, OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] } })))).toMatchObject({
      name: "InvalidBucketAclWithObjectOwnership",
    });
    await s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: "private" }));
    await s3.send(new PutBucketOwnershipControlsCommand({ Bucket: bucket, OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerPreferred" }] } }));
    expect((await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket }))).OwnershipControls?.Rules?.[0].ObjectOwnership).toBe("BucketOwnerPreferred");
    await s3.send(new DeleteBucketOwnershipControlsCommand({ Bucket: bucket }));
    expect(await err(s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket })))).toMatchObject({ name: "OwnershipControlsNotFoundError", status: 404 });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v", ACL: "public-read" }));
    expect(await curl(`${n.endpoint}/${bucket}/k`)).toMatchObject({ status: 200, body: "v" });
  });
});
