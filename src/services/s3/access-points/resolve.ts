// Requests through an S3 access point. The bucket a request names may be
//   1. an access point alias ("<name>-<random>-s3alias"),
//   2. "<name>-<account>": what the SDKs put in the host for an access point ARN with a custom
//      endpoint (https://<name>-<account>.<endpoint host>; AWS's own is
//      <name>-<account>.s3-accesspoint.<region>.amazonaws.com), when no bucket has that name,
//   3. the ARN itself (arn:aws:s3:<region>:<account>:accesspoint/<name>).
// The access point is read from S3 Control's documents (src/services/s3-control/handlers/
// access-points.ts writes them: scope "<account>/<region>" kind "accesspoint", and scope
// "global" kind "accesspoint-alias"); S3 never imports that service.
//
// Authorization, as "Configuring IAM policies for using access points" describes it:
//   a. an explicit Deny in the access point policy refuses the request;
//   b. a caller from another account than the access point's needs an Allow from the access
//      point policy;
//   c. then the bucket's own decision runs as for any request (its policy sees the condition
//      keys s3:DataAccessPointArn, s3:DataAccessPointAccount and s3:AccessPointNetworkOrigin,
//      so a bucket policy can delegate to the owner's access points), so both must allow.
import { AwsError } from "../../../core/errors.js";
import { evaluate } from "../../../core/iam/evaluate.js";
import type { RequestContext } from "../../../core/service.js";
import { DocStore } from "../../../core/state/doc-store.js";

/** The fields of S3 Control's StoredAccessPoint that S3 reads. */
export interface AccessPointView {
  name: string;
  account: string;
  region: string;
  bucket: string;
  bucketAccount: string;
  alias: string;
  vpcId?: string;
  policy?: string;
}

const entered = new WeakMap<RequestContext, AccessPointView>();

function controlStore(ctx: { db: RequestContext["db"] }, scope: string): DocStore {
  return new DocStore(ctx.db, "s3-control", scope);
}

/** Cheap test first: only names shaped like an access point reference cost a read. */
export function findAccessPoint(ctx: RequestContext, bucket: string, bucketExists: (name: string) => boolean): AccessPointView | undefined {
  // 3.
  const arn = /^arn:aws[a-z-]*:s3:([a-z0-9-]+):(\d{12}):accesspoint[/:]([a-z0-9-]+)$/.exec(bucket);
  if (arn) return controlStore(ctx, `${arn[2]}/${arn[1]}`).get<AccessPointView>("accesspoint", arn[3]);
  // 1.
  if (bucket.endsWith("-s3alias")) {
    const ref = controlStore(ctx, "global").get<{ account: string; region: string; name: string }>("accesspoint-alias", bucket);
    return ref ? controlStore(ctx, `${ref.account}/${ref.region}`).get<AccessPointView>("accesspoint", ref.name) : undefined;
  }
  // 2.
  const m = /^([a-z0-9][a-z0-9-]*[a-z0-9])-(\d{12})$/.exec(bucket);
  if (m && !bucketExists(bucket)) return controlStore(ctx, `${m[2]}/${ctx.region}`).get<AccessPointView>("accesspoint", m[1]);
  return undefined;
}

function apArn(ap: AccessPointView): string {
  return `arn:aws:s3:${ap.region}:${ap.account}:accesspoint/${ap.name}`;
}

/**
 * Resolves the request's bucket if it names an access point: rewrites input.Bucket to the real
 * bucket, applies steps a-b for `action` (throws AccessDenied), and remembers the access point
 * for the bucket policy's condition keys. A reference to no access point is NoSuchAccessPoint.
 */
export function enterAccessPoint(ctx: RequestContext, input: Record<string, unknown>, action: string, bucketExists: (name: string) => boolean): AccessPointView | undefined {
  const name = input.Bucket as string;
  const looksLike = name.startsWith("arn:") || name.endsWith("-s3alias") || /-\d{12}$/.test(name);
  if (!looksLike) return undefined;
  const ap = findAccessPoint(ctx, name, bucketExists);
  if (!ap) {
    if (name.startsWith("arn:") || name.endsWith("-s3alias")) throw new AwsError("NoSuchAccessPoint", "The specified accesspoint does not exist", 404);
    return undefined;
  }
  const p = ctx.principal;
  const key = typeof input.Key === "string" ? input.Key : undefined;
  const resource = key !== undefined ? `${apArn(ap)}/object/${key}` : apArn(ap);
  const context = {
    "aws:principalaccount": p.type === "anonymous" ? "" : p.accountId,
    "aws:principalarn": p.arn,
    "aws:sourceip": (ctx.headers["x-forwarded-for"] ?? "127.0.0.1").split(",")[0].trim(),
    "aws:currenttime": new Date(ctx.clock.now()).toISOString(),
    ...accessPointKeys(ap),
  };
  // a-b.
  const verdict = ap.policy
    ? evaluate({ principal: p, action, resource, resourceAccountId: ap.account, context }, { identity: [], resource: { document: ap.policy } }).decision
    : "ImplicitDeny";
  const sameAccount = p.type !== "anonymous" && p.accountId === ap.account;
  if (verdict === "ExplicitDeny" || (!sameAccount && verdict !== "Allow")) throw new AwsError("AccessDenied", "Access Denied", 403);
  input.Bucket = ap.bucket;
  entered.set(ctx, ap);
  return ap;
}

function accessPointKeys(ap: AccessPointView): Record<string, string> {
  return {
    "s3:dataaccesspointarn": apArn(ap),
    "s3:dataaccesspointaccount": ap.account,
    "s3:accesspointnetworkorigin": ap.vpcId ? "VPC" : "Internet",
  };
}

/** Condition keys of a request that came through an access point (empty otherwise). */
export function accessPointContext(ctx: RequestContext): Record<string, string> {
  const ap = entered.get(ctx);
  return ap ? accessPointKeys(ap) : {};
}
