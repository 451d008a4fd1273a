// S3 access points: S3 Control's Create/Get/List/Delete and policies, and S3 requests through
// the access point's alias and ARN, with the access point policy and the bucket policy both
// deciding for another account's caller.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateAccessPointCommand,
  DeleteAccessPointCommand,
  DeleteAccessPointPolicyCommand,
  GetAccessPointCommand,
  GetAccessPointPolicyCommand,
  GetAccessPointPolicyStatusCommand,
  ListAccessPointsCommand,
  PutAccessPointPolicyCommand,
  S3ControlClient,
} from "@aws-sdk/client-s3-control";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { localhostRequestHandler } from "../../support/localhost.js";
import { err } from "../s3/access-helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n?.stop();
});

const local = () => n.endpoint.replace("127.0.0.1", "localhost");
const control = (accountId: string) => new S3ControlClient({ ...sdkConfig(local(), { accountId }), requestHandler: localhostRequestHandler() });
const s3 = (accountId: string) => new S3Client(sdkConfig(n.endpoint, { accountId }));
/** Virtual-host addressing, which the SDKs need for access point ARNs (the ARN becomes the host). */
const s3Host = (accountId: string) => new S3Client({ ...sdkConfig(local(), { accountId }), forcePathStyle: false, requestHandler: localhostRequestHandler() });
const text = async (b: unknown) => (await (b as { transformToString(): Promise<string> }).transformToString());

async function setup() {
  const owner = freshAccount();
  const bucket = `ap-bucket-${owner}`;
  await s3(owner).send(new CreateBucketCommand({ Bucket: bucket }));
  await s3(owner).send(new PutObjectCommand({ Bucket: bucket, Key: "shared/a.txt", Body: "alpha" }));
  await s3(owner).send(new PutObjectCommand({ Bucket: bucket, Key: "private/b.txt", Body: "beta" }));
  return { owner, bucket };
}

describe("S3 Control access points", () => {
  it("creates, describes, lists, and deletes access points", async () => {
    const { owner, bucket } = await setup();
    const c = control(owner);
    const created = await c.send(new CreateAccessPointCommand({ AccountId: owner, Name: "reports", Bucket: bucket }));
    expect(created.AccessPointArn).toBe(`arn:aws:s3:us-east-1:${owner}:accesspoint/reports`);
    expect(created.Alias).toMatch(/^reports-[a-z0-9]{34}-s3alias$/);
    const got = await c.send(new GetAccessPointCommand({ AccountId: owner, Name: "reports" }));
    expect(got).toMatchObject({
      Name: "reports",
      Bucket: bucket,
      NetworkOrigin: "Internet",
      Alias: created.Alias,
      AccessPointArn: created.AccessPointArn,
      BucketAccountId: owner,
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
    });
    expect(got.CreationDate).toBeInstanceOf(Date);
    await c.send(new CreateAccessPointCommand({ AccountId: owner, Name: "analytics", Bucket: bucket, VpcConfiguration: { VpcId: "vpc-1234" } }));
    expect(await err(c.send(new CreateAccessPointCommand({ AccountId: owner, Name: "reports", Bucket: bucket })))).toMatchObject({ name: "AccessPointAlreadyOwnedByYou", status: 409 });
    expect(await err(c.send(new CreateAccessPointCommand({ AccountId: owner, Name: "x", Bucket: bucket })))).toMatchObject({ status: 400 });
    expect(await err(c.send(new CreateAccessPointCommand({ AccountId: owner, Name: "nobucket", Bucket: "no-such-bucket-for-ap" })))).toMatchObject({ name: "NoSuchBucket", status: 404 });

    const page1 = await c.send(new ListAccessPointsCommand({ AccountId: owner, MaxResults: 1 }));
    expect(page1.AccessPointList?.map((a) => [a.Name, a.NetworkOrigin])).toEqual([["analytics", "VPC"]]);
    const page2 = await c.send(new ListAccessPointsCommand({ AccountId: owner, MaxResults: 1, NextToken: page1.NextToken }));
    expect(page2.AccessPointList?.map((a) => a.Name)).toEqual(["reports"]);
    expect(page2.NextToken).toBeUndefined();
    expect((await c.send(new ListAccessPointsCommand({ AccountId: owner, Bucket: "other" }))).AccessPointList ?? []).toEqual([]);

    await c.send(new DeleteAccessPointCommand({ AccountId: owner, Name: "analytics" }));
    expect(await err(c.send(new GetAccessPointCommand({ AccountId: owner, Name: "analytics" })))).toMatchObject({ name: "NoSuchAccessPoint", status: 404 });
    // Another account cannot manage this account's access points.
    expect(await err(control(freshAccount()).send(new GetAccessPointCommand({ AccountId: owner, Name: "reports" })))).toMatchObject({ status: 403 });
  });

  it("stores access point policies, refuses public ones while BlockPublicPolicy is on, and reports status", async () => {
    const { owner, bucket } = await setup();
    const c = control(owner);
    const { AccessPointArn } = await c.send(new CreateAccessPointCommand({ AccountId: owner, Name: "pol", Bucket: bucket }));
    expect(await err(c.send(new GetAccessPointPolicyCommand({ AccountId: owner, Name: "pol" })))).toMatchObject({ name: "NoSuchAccessPointPolicy", status: 404 });
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "s3:GetObject", Resource: `${AccessPointArn}/object/*` }] });
    await c.send(new PutAccessPointPolicyCommand({ AccountId: owner, Name: "pol", Policy: policy }));
    expect((await c.send(new GetAccessPointPolicyCommand({ AccountId: owner, Name: "pol" }))).Policy).toBe(policy);
    expect((await c.send(new GetAccessPointPolicyStatusCommand({ AccountId: owner, Name: "pol" }))).PolicyStatus).toEqual({ IsPublic: false });
    const open = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `${AccessPointArn}/object/*` }] });
    expect(await err(c.send(new PutAccessPointPolicyCommand({ AccountId: owner, Name: "pol", Policy: open })))).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(await err(c.send(new PutAccessPointPolicyCommand({ AccountId: owner, Name: "pol", Policy: "{not json" })))).toMatchObject({ name: "MalformedPolicy", status: 400 });
    const wrongResource = policy.replace(`${AccessPointArn}/object/*`, `arn:aws:s3:::${bucket}/*`);
    expect(await err(c.send(new PutAccessPointPolicyCommand({ AccountId: owner, Name: "pol", Policy: wrongResource })))).toMatchObject({ name: "MalformedPolicy" });
    await c.send(new DeleteAccessPointPolicyCommand({ AccountId: owner, Name: "pol" }));
    expect(await err(c.send(new GetAccessPointPolicyStatusCommand({ AccountId: owner, Name: "pol" })))).toMatchObject({ name: "NoSuchAccessPointPolicy" });
  });
});

describe("S3 requests through an access point", () => {
  it("reads and writes through the alias and the ARN as the owner", async () => {
    const { owner, bucket } = await setup();
    const { Alias, AccessPointArn } = await control(owner).send(new CreateAccessPointCommand({ AccountId: owner, Name: "front", Bucket: bucket }));
    const viaAlias = await s3(owner).send(new GetObjectCommand({ Bucket: Alias, Key: "shared/a.txt" }));
    expect(await text(viaAlias.Body)).toBe("alpha");
    await s3(owner).send(new PutObjectCommand({ Bucket: Alias, Key: "shared/new.txt", Body: "written via alias" }));
    expect(await text((await s3(owner).send(new GetObjectCommand({ Bucket: bucket, Key: "shared/new.txt" }))).Body)).toBe("written via alias");
    const listed = await s3(owner).send(new ListObjectsV2Command({ Bucket: Alias, Prefix: "shared/" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(["shared/a.txt", "shared/new.txt"]);
    // The ARN as Bucket: the SDK sends it to <name>-<account>.<endpoint host>.
    const viaArn = await s3Host(owner).send(new GetObjectCommand({ Bucket: AccessPointArn, Key: "private/b.txt" }));
    expect(await text(viaArn.Body)).toBe("beta");
    expect(await err(s3(owner).send(new GetObjectCommand({ Bucket: "nothing-abcdefghijklmnopqrstuvwxyz01234567-s3alias", Key: "x" })))).toMatchObject({ name: "NoSuchAccessPoint", status: 404 });
  });

  it("needs both the access point policy and the bucket policy for another account", async () => {
    const { owner, bucket } = await setup();
    const other = freshAccount();
    const { Alias, AccessPointArn } = await control(owner).send(new CreateAccessPointCommand({ AccountId: owner, Name: "partner", Bucket: bucket }));
    const get = (Key: string) => s3(other).send(new GetObjectCommand({ Bucket: Alias, Key }));
    // Neither allows: denied.
    expect(await err(get("shared/a.txt"))).toMatchObject({ name: "AccessDenied", status: 403 });
    // The access point policy allows shared/* only; the bucket does not delegate yet: still denied.
    const apPolicy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${other}:root` }, Action: "s3:GetObject", Resource: `${AccessPointArn}/object/shared/*` }] };
    await control(owner).send(new PutAccessPointPolicyCommand({ AccountId: owner, Name: "partner", Policy: JSON.stringify(apPolicy) }));
    expect(await err(get("shared/a.txt"))).toMatchObject({ name: "AccessDenied" });
    // The bucket delegates to the owner's access points (AWS's documented pattern): allowed where the access point allows.
    const delegate = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "*", Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`], Condition: { StringEquals: { "s3:DataAccessPointAccount": owner } } }],
    };
    await s3(owner).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(delegate) }));
    expect(await text((await get("shared/a.txt")).Body)).toBe("alpha");
    expect(await err(get("private/b.txt"))).toMatchObject({ name: "AccessDenied" });
    // The delegation does not open the bucket itself to that account.
    expect(await err(s3(other).send(new GetObjectCommand({ Bucket: bucket, Key: "shared/a.txt" })))).toMatchObject({ name: "AccessDenied" });
    // An explicit Deny in the access point policy wins, for the owner too.
    apPolicy.Statement.push({ Effect: "Deny", Principal: { AWS: "*" }, Action: "s3:GetObject", Resource: `${AccessPointArn}/object/shared/a.txt` } as (typeof apPolicy.Statement)[number]);
    await control(owner).send(new PutAccessPointPolicyCommand({ AccountId: owner, Name: "partner", Policy: JSON.stringify(apPolicy) }));
    expect(await err(get("shared/a.txt"))).toMatchObject({ name: "AccessDenied" });
    expect(await err(s3(owner).send(new GetObjectCommand({ Bucket: Alias, Key: "shared/a.txt" })))).toMatchObject({ name: "AccessDenied" });
  });
});
