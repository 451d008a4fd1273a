// Block Public Access at bucket level (S3) and account level (S3 Control), through the real SDKs.
import {
  DeletePublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
} from "@aws-sdk/client-s3";
import { DeletePublicAccessBlockCommand as DeleteAccountPab, GetPublicAccessBlockCommand as GetAccountPab, PutPublicAccessBlockCommand as PutAccountPab, S3ControlClient } from "@aws-sdk/client-s3-control";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { curl, err } from "./access-helpers.js";
import { localhostRequestHandler } from "../../support/localhost.js";
import { client, uniq } from "./helpers.js";
import { CreateBucketCommand } from "@aws-sdk/client-s3";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const publicRead = (bucket: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }] });

function control(accountId: string): S3ControlClient {
  // The SDK puts the account in the host ("{AccountId}.localhost") and the x-amz-account-id header.
  return new S3ControlClient({ ...sdkConfig(n.endpoint.replace("127.0.0.1", "localhost"), { accountId }), requestHandler: localhostRequestHandler() });
}

describe("S3 Block Public Access", () => {
  it("bucket level: on by default, configurable, deletable", async () => {
    const s3 = client(n);
    const bucket = uniq("pab");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { BlockPublicPolicy: true } }));
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: false,
    });
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
    expect(await err(s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })))).toMatchObject({
      name: "NoSuchPublicAccessBlockConfiguration",
      message: "The public access block configuration was not found",
      status: 404,
    });
    // Another account may not read it.
    expect(await err(client(n).send(new GetPublicAccessBlockCommand({ Bucket: bucket })))).toMatchObject({ name: "AccessDenied" });
  });

  it("account level (S3 Control) overrides buckets that have none", async () => {
    const account = freshAccount();
    const s3 = client(n, { accountId: account });
    const ctl = control(account);
    expect(await err(ctl.send(new GetAccountPab({ AccountId: account })))).toMatchObject({ name: "NoSuchPublicAccessBlockConfiguration", status: 404 });
    const bucket = uniq("acct");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "public" }));

    await ctl.send(new PutAccountPab({ AccountId: account, PublicAccessBlockConfiguration: { BlockPublicPolicy: true } }));
    expect((await ctl.send(new GetAccountPab({ AccountId: account }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: false,
    });
    const refused = await err(s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicRead(bucket) })));
    expect(refused).toMatchObject({ name: "AccessDenied", status: 403 });

    await ctl.send(new PutAccountPab({ AccountId: account, PublicAccessBlockConfiguration: { RestrictPublicBuckets: true } }));
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicRead(bucket) }));
    expect((await curl(`${n.endpoint}/${bucket}/k`)).status).toBe(403);
    await ctl.send(new DeleteAccountPab({ AccountId: account }));
    expect(await curl(`${n.endpoint}/${bucket}/k`)).toMatchObject({ status: 200, body: "public" });
    // Another account's settings are not yours to read.
    expect(await err(ctl.send(new GetAccountPab({ AccountId: freshAccount() })))).toMatchObject({ name: "AccessDenied" });
  });
});
