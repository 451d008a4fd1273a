// S3 access points (S3 Control): Create/Get/List/DeleteAccessPoint, Put/Get/DeleteAccessPointPolicy,
// GetAccessPointPolicyStatus.
//
// State, read by S3 when a request names an access point (src/services/s3/access-points/, which
// reads these documents without importing this service):
//   - scope "<account>/<region>", kind "accesspoint", id <name>: StoredAccessPoint;
//   - scope "global", kind "accesspoint-alias", id <alias>: { account, region, name }.
import { randomBytes } from "node:crypto";
import type {
  CreateAccessPointRequest,
  CreateAccessPointResult,
  DeleteAccessPointPolicyRequest,
  DeleteAccessPointRequest,
  GetAccessPointPolicyRequest,
  GetAccessPointPolicyResult,
  GetAccessPointPolicyStatusRequest,
  GetAccessPointPolicyStatusResult,
  GetAccessPointRequest,
  GetAccessPointResult,
  ListAccessPointsRequest,
  ListAccessPointsResult,
  PutAccessPointPolicyRequest,
} from "@aws-sdk/client-s3-control";
import { AwsError, isAwsError } from "../../../core/errors.js";
import { PolicyDocumentError, parsePolicyDocument } from "../../../core/iam/policy-document.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import type { DocStore } from "../../../core/state/doc-store.js";

export interface StoredAccessPoint {
  name: string;
  account: string;
  region: string;
  bucket: string;
  bucketAccount: string;
  alias: string;
  createdAt: number;
  /** "Internet" or "VPC" (with the VPC id). */
  vpcId?: string;
  publicAccessBlock: { BlockPublicAcls: boolean; IgnorePublicAcls: boolean; BlockPublicPolicy: boolean; RestrictPublicBuckets: boolean };
  policy?: string;
}

const MAX_POLICY_BYTES = 20 * 1024;

function accountOf(ctx: RequestContext, accountId: string | undefined): string {
  if (!accountId || !/^\d{12}$/.test(accountId)) throw new AwsError("InvalidRequest", "Account id must be a 12-digit number", 400);
  if (accountId !== ctx.accountId) throw new AwsError("AccessDenied", "Access Denied", 403);
  return accountId;
}

function regional(ctx: RequestContext, account: string): DocStore {
  return ctx.store.withScope(`${account}/${ctx.region}`);
}

function arnOf(ap: StoredAccessPoint): string {
  return `arn:aws:s3:${ap.region}:${ap.account}:accesspoint/${ap.name}`;
}

/** The name an access point is asked for by: its name, or its ARN (the SDKs accept either). */
function nameOf(ctx: RequestContext, name: string | undefined): string {
  const n = name ?? "";
  const m = /^arn:aws[a-z-]*:s3:([a-z0-9-]+):(\d{12}):accesspoint[/:](.+)$/.exec(n);
  return m ? m[3] : n;
}

function noSuchAccessPoint(): AwsError {
  return new AwsError("NoSuchAccessPoint", "The specified accesspoint does not exist", 404);
}

function load(ctx: RequestContext, input: { AccountId?: string; Name?: string }): { store: DocStore; ap: StoredAccessPoint } {
  const account = accountOf(ctx, input.AccountId);
  const store = regional(ctx, account);
  const ap = store.get<StoredAccessPoint>("accesspoint", nameOf(ctx, input.Name));
  if (!ap) throw noSuchAccessPoint();
  return { store, ap };
}

/**
 * Access point names (S3 User Guide, "Naming rules for access points"): 3-50 characters,
 * lowercase letters, numbers and hyphens, starting and ending with a letter or number, not
 * ending in "-s3alias", no "xn--" prefix.
 */
function checkName(name: string): void {
  if (!/^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$/.test(name) || name.endsWith("-s3alias") || name.startsWith("xn--")) {
    throw new AwsError("InvalidURI", "Couldn't parse the specified URI.", 400, { fields: { URI: `accesspoint/${name}` } });
  }
}

/** An alias as S3 makes them: the name, a random part, "-s3alias" (at most 63 characters). */
function newAlias(name: string): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(34);
  let r = "";
  for (const b of bytes) r += alphabet[b % alphabet.length];
  const prefix = name.slice(0, 63 - "-s3alias".length - 1 - r.length);
  return `${prefix}-${r}-s3alias`;
}

export const CreateAccessPoint: Handler<CreateAccessPointRequest, CreateAccessPointResult> = async (input, ctx) => {
  const account = accountOf(ctx, input.AccountId);
  const name = input.Name ?? "";
  checkName(name);
  const bucketAccount = input.BucketAccountId ?? account;
  if (!/^\d{12}$/.test(bucketAccount)) throw new AwsError("InvalidRequest", "BucketAccountId must be a 12-digit number", 400);
  // The bucket must exist in the bucket account (S3 answers for it).
  try {
    await ctx.client.call("s3", "HeadBucket", { Bucket: input.Bucket }, { accountId: bucketAccount, region: ctx.region });
  } catch (e) {
    if (isAwsError(e) && (e.code === "NotFound" || e.code === "NoSuchBucket")) {
      throw new AwsError("NoSuchBucket", "The specified bucket does not exist", 404, { fields: { BucketName: input.Bucket ?? "" } });
    }
    if (!(isAwsError(e) && (e.code === "AccessDenied" || e.code === "Forbidden"))) throw e;
  }
  const store = regional(ctx, account);
  const global = ctx.store.withScope("global");
  const c = input.PublicAccessBlockConfiguration;
  return store.tx(() => {
    if (store.get("accesspoint", name)) {
      throw new AwsError("AccessPointAlreadyOwnedByYou", "Your previous request to create the named accesspoint succeeded and you already own it.", 409);
    }
    const ap: StoredAccessPoint = {
      name,
      account,
      region: ctx.region,
      bucket: input.Bucket!,
      bucketAccount,
      alias: newAlias(name),
      createdAt: ctx.clock.now(),
      ...(input.VpcConfiguration?.VpcId ? { vpcId: input.VpcConfiguration.VpcId } : {}),
      // Every setting defaults to on for access points.
      publicAccessBlock: {
        BlockPublicAcls: c?.BlockPublicAcls ?? true,
        IgnorePublicAcls: c?.IgnorePublicAcls ?? true,
        BlockPublicPolicy: c?.BlockPublicPolicy ?? true,
        RestrictPublicBuckets: c?.RestrictPublicBuckets ?? true,
      },
    };
    store.put("accesspoint", name, ap);
    global.put("accesspoint-alias", ap.alias, { account, region: ctx.region, name });
    return { AccessPointArn: arnOf(ap), Alias: ap.alias };
  });
};

function describe(ap: StoredAccessPoint): GetAccessPointResult {
  return {
    Name: ap.name,
    Bucket: ap.bucket,
    NetworkOrigin: ap.vpcId ? "VPC" : "Internet",
    ...(ap.vpcId ? { VpcConfiguration: { VpcId: ap.vpcId } } : {}),
    PublicAccessBlockConfiguration: { ...ap.publicAccessBlock },
    CreationDate: new Date(ap.createdAt),
    Alias: ap.alias,
    AccessPointArn: arnOf(ap),
    Endpoints: {
      ipv4: `s3-accesspoint.${ap.region}.amazonaws.com`,
      fips: `s3-accesspoint-fips.${ap.region}.amazonaws.com`,
      dualstack: `s3-accesspoint.dualstack.${ap.region}.amazonaws.com`,
    },
    BucketAccountId: ap.bucketAccount,
  };
}

export const GetAccessPoint: Handler<GetAccessPointRequest, GetAccessPointResult> = (input, ctx) => describe(load(ctx, input).ap);

/** ListAccessPoints: in name order, MaxResults (default and maximum 1,000) and an opaque NextToken; Bucket filters. */
export const ListAccessPoints: Handler<ListAccessPointsRequest, ListAccessPointsResult> = (input, ctx) => {
  const account = accountOf(ctx, input.AccountId);
  const max = input.MaxResults ?? 1000;
  if (!Number.isInteger(max) || max < 0 || max > 1000) throw new AwsError("InvalidArgument", "MaxResults must be between 0 and 1000", 400);
  let after = "";
  if (input.NextToken) {
    try {
      after = Buffer.from(input.NextToken, "base64url").toString("utf8");
    } catch {
      throw new AwsError("InvalidArgument", "Invalid NextToken", 400);
    }
  }
  const list: NonNullable<ListAccessPointsResult["AccessPointList"]> = [];
  let next: string | undefined;
  for (const { id, doc } of regional(ctx, account).list<StoredAccessPoint>("accesspoint", { after })) {
    if (input.Bucket !== undefined && doc.bucket !== input.Bucket) continue;
    if (list.length === max) {
      next = Buffer.from(list[list.length - 1].Name!, "utf8").toString("base64url");
      break;
    }
    void id;
    list.push({
      Name: doc.name,
      NetworkOrigin: doc.vpcId ? "VPC" : "Internet",
      ...(doc.vpcId ? { VpcConfiguration: { VpcId: doc.vpcId } } : {}),
      Bucket: doc.bucket,
      AccessPointArn: arnOf(doc),
      Alias: doc.alias,
      BucketAccountId: doc.bucketAccount,
    });
  }
  return { AccessPointList: list, ...(next ? { NextToken: next } : {}) };
};

export const DeleteAccessPoint: Handler<DeleteAccessPointRequest, Record<string, never>> = (input, ctx) => {
  const { store, ap } = load(ctx, input);
  store.tx(() => {
    store.delete("accesspoint", ap.name);
    ctx.store.withScope("global").delete("accesspoint-alias", ap.alias);
  });
  return {};
};

/** A statement that grants everyone without a condition that fixes who (the test S3 applies, simplified). */
function isPublic(policy: string): boolean {
  const doc = JSON.parse(policy) as { Statement: unknown };
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as Array<Record<string, unknown>>;
  return statements.some((s) => {
    if (s.Effect !== "Allow" || s.Condition !== undefined) return false;
    const p = s.Principal as unknown;
    if (p === "*") return true;
    if (p && typeof p === "object") {
      const aws = (p as Record<string, unknown>).AWS;
      return aws === "*" || (Array.isArray(aws) && aws.includes("*"));
    }
    return false;
  });
}

export const PutAccessPointPolicy: Handler<PutAccessPointPolicyRequest, Record<string, never>> = (input, ctx) => {
  const { store, ap } = load(ctx, input);
  const text = input.Policy ?? "";
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) throw new AwsError("MalformedPolicy", "Policies must not exceed 20 KB in size", 400);
  try {
    parsePolicyDocument(text, "resource");
  } catch (e) {
    if (e instanceof PolicyDocumentError) throw new AwsError("MalformedPolicy", e.message, 400);
    throw e;
  }
  // Resources must be this access point (or its objects).
  const arn = arnOf(ap);
  const doc = JSON.parse(text) as { Statement: unknown };
  for (const s of (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as Array<Record<string, unknown>>) {
    const rs = s.Resource ?? s.NotResource;
    for (const r of (Array.isArray(rs) ? rs : [rs]) as string[]) {
      if (typeof r !== "string" || !(r === arn || r.startsWith(`${arn}/object/`) || r === "*")) throw new AwsError("MalformedPolicy", "Policy has invalid resource", 400);
    }
  }
  if (ap.publicAccessBlock.BlockPublicPolicy && isPublic(text)) {
    throw new AwsError("AccessDenied", "Access Denied", 403);
  }
  store.put("accesspoint", ap.name, { ...ap, policy: text });
  return {};
};

export const GetAccessPointPolicy: Handler<GetAccessPointPolicyRequest, GetAccessPointPolicyResult> = (input, ctx) => {
  const { ap } = load(ctx, input);
  if (ap.policy === undefined) throw new AwsError("NoSuchAccessPointPolicy", "The specified accesspoint policy does not exist", 404);
  return { Policy: ap.policy };
};

export const DeleteAccessPointPolicy: Handler<DeleteAccessPointPolicyRequest, Record<string, never>> = (input, ctx) => {
  const { store, ap } = load(ctx, input);
  if (ap.policy !== undefined) {
    const { policy: _drop, ...rest } = ap;
    void _drop;
    store.put("accesspoint", ap.name, rest);
  }
  return {};
};

export const GetAccessPointPolicyStatus: Handler<GetAccessPointPolicyStatusRequest, GetAccessPointPolicyStatusResult> = (input, ctx) => {
  const { ap } = load(ctx, input);
  if (ap.policy === undefined) throw new AwsError("NoSuchAccessPointPolicy", "The specified accesspoint policy does not exist", 404);
  return { PolicyStatus: { IsPublic: isPublic(ap.policy) } };
};
