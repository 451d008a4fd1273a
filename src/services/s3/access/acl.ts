// S3 access control lists: canned ACLs, x-amz-grant-* headers, AccessControlPolicy bodies, and
// what a grant permits. Stored ACLs are lists of grants by grantee; the owner is implicit
// (bucket: the bucket's account; object: the writer or the bucket owner, per Object Ownership).
import { createHash } from "node:crypto";
import { AwsError } from "../../../core/errors.js";

export type Permission = "FULL_CONTROL" | "READ" | "WRITE" | "READ_ACP" | "WRITE_ACP";
export const PERMISSIONS: readonly Permission[] = ["FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"];

export const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
export const AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
export const LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery";
const GROUPS = new Set([ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY]);

/** A grantee: a canonical user (an account, by its canonical id) or a predefined group. */
export type Grantee = { type: "CanonicalUser"; id: string } | { type: "Group"; uri: string };
export interface StoredGrant {
  grantee: Grantee;
  permission: Permission;
}

export const CANNED_ACLS = new Set([
  "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write",
]);

const canonicalCache = new Map<string, string>();
/** The canonical user id of an account (same derivation as buckets.ts canonicalUserId). */
export function canonicalIdOf(accountId: string): string {
  let id = canonicalCache.get(accountId);
  if (id === undefined) {
    id = createHash("sha256").update(`nimbus-canonical-user:${accountId}`).digest("hex");
    if (canonicalCache.size > 10_000) canonicalCache.clear();
    canonicalCache.set(accountId, id);
  }
  return id;
}

/**
 * The grants a canned ACL means, besides the owner's FULL_CONTROL (always granted).
 * `bucketOwner` matters for bucket-owner-read / bucket-owner-full-control on objects.
 */
export function cannedGrants(acl: string, ownerId: string, bucketOwnerId: string): StoredGrant[] {
  const own: StoredGrant = { grantee: { type: "CanonicalUser", id: ownerId }, permission: "FULL_CONTROL" };
  switch (acl) {
    case "public-read":
      return [own, { grantee: { type: "Group", uri: ALL_USERS }, permission: "READ" }];
    case "public-read-write":
      return [own, { grantee: { type: "Group", uri: ALL_USERS }, permission: "READ" }, { grantee: { type: "Group", uri: ALL_USERS }, permission: "WRITE" }];
    case "authenticated-read":
      return [own, { grantee: { type: "Group", uri: AUTHENTICATED_USERS }, permission: "READ" }];
    case "bucket-owner-read":
      return ownerId === bucketOwnerId ? [own] : [own, { grantee: { type: "CanonicalUser", id: bucketOwnerId }, permission: "READ" }];
    case "bucket-owner-full-control":
      return ownerId === bucketOwnerId ? [own] : [own, { grantee: { type: "CanonicalUser", id: bucketOwnerId }, permission: "FULL_CONTROL" }];
    case "log-delivery-write":
      return [own, { grantee: { type: "Group", uri: LOG_DELIVERY }, permission: "WRITE" }, { grantee: { type: "Group", uri: LOG_DELIVERY }, permission: "READ_ACP" }];
    default:
      // private, aws-exec-read (EC2's read grant has no meaning here)
      return [own];
  }
}

export interface AclInput {
  ACL?: string;
  GrantFullControl?: string;
  GrantRead?: string;
  GrantReadACP?: string;
  GrantWrite?: string;
  GrantWriteACP?: string;
}

/** Whether the request sets an ACL by header (canned or x-amz-grant-*). */
export function hasAclHeaders(input: AclInput): boolean {
  return input.ACL !== undefined || input.GrantFullControl !== undefined || input.GrantRead !== undefined || input.GrantReadACP !== undefined || input.GrantWrite !== undefined || input.GrantWriteACP !== undefined;
}

/** `id="..."`, `uri="..."`, `emailAddress="..."`, comma-separated (x-amz-grant-* header syntax). */
function parseGrantHeader(value: string, permission: Permission, out: StoredGrant[]): void {
  for (const part of value.split(",")) {
    const p = part.trim();
    if (!p) continue;
    const m = /^(id|uri|emailAddress)\s*=\s*"?([^"]*)"?$/i.exec(p);
    if (!m) throw new AwsError("InvalidArgument", "Invalid argument.", 400);
    const kind = m[1].toLowerCase();
    if (kind === "emailaddress") {
      // TODO(parity): AWS resolves e-mail grantees to canonical users; Nimbus accounts have no e-mail.
      throw new AwsError("UnresolvableGrantByEmailAddress", "The e-mail address you provided does not match any account on record.", 400);
    }
    out.push({ grantee: kind === "id" ? checkCanonicalId(m[2]) : checkGroup(m[2]), permission });
  }
}

function checkCanonicalId(id: string): Grantee {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new AwsError("InvalidArgument", "Invalid id", 400, { fields: { ArgumentName: "CanonicalUser/ID", ArgumentValue: id } });
  return { type: "CanonicalUser", id };
}

function checkGroup(uri: string): Grantee {
  if (!GROUPS.has(uri)) throw new AwsError("InvalidArgument", "Invalid group uri", 400, { fields: { ArgumentName: "Group/URI", ArgumentValue: uri } });
  return { type: "Group", uri };
}

/**
 * The grants a request's headers set, or undefined when it sets none. A canned ACL and grant
 * headers together are refused as on S3.
 */
export function grantsFromHeaders(input: AclInput, ownerId: string, bucketOwnerId: string, forBucket: boolean): StoredGrant[] | undefined {
  const explicit: Array<[string | undefined, Permission]> = [
    [input.GrantFullControl, "FULL_CONTROL"],
    [input.GrantRead, "READ"],
    [input.GrantReadACP, "READ_ACP"],
    [input.GrantWrite, "WRITE"],
    [input.GrantWriteACP, "WRITE_ACP"],
  ];
  const anyExplicit = explicit.some(([v]) => v !== undefined);
  if (input.ACL !== undefined) {
    if (anyExplicit) throw new AwsError("InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed", 400);
    if (!CANNED_ACLS.has(input.ACL)) throw new AwsError("InvalidArgument", "", 400, { fields: { ArgumentName: "x-amz-acl", ArgumentValue: input.ACL } });
    if (!forBucket && input.ACL === "log-delivery-write") throw new AwsError("InvalidArgument", "", 400, { fields: { ArgumentName: "x-amz-acl", ArgumentValue: input.ACL } });
    return cannedGrants(input.ACL, ownerId, bucketOwnerId);
  }
  if (!anyExplicit) return undefined;
  const out: StoredGrant[] = [];
  for (const [v, perm] of explicit) if (v !== undefined) parseGrantHeader(v, perm, out);
  return out;
}

/** The SDK shape of an AccessControlPolicy body (PutBucketAcl / PutObjectAcl). */
export interface AccessControlPolicyInput {
  Grants?: Array<{ Grantee?: { Type?: string; ID?: string; URI?: string; EmailAddress?: string; DisplayName?: string }; Permission?: string }>;
  Owner?: { ID?: string; DisplayName?: string };
}

export function grantsFromBody(acp: AccessControlPolicyInput, ownerId: string): StoredGrant[] {
  if (!acp.Owner?.ID) throw new AwsError("MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema", 400);
  if (acp.Owner.ID !== ownerId) throw new AwsError("AccessDenied", "Access Denied", 403);
  const out: StoredGrant[] = [];
  for (const g of acp.Grants ?? []) {
    const perm = g.Permission as Permission;
    if (!PERMISSIONS.includes(perm)) throw new AwsError("MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema", 400);
    const ge = g.Grantee ?? {};
    if (ge.Type === "CanonicalUser") out.push({ grantee: checkCanonicalId(ge.ID ?? ""), permission: perm });
    else if (ge.Type === "Group") out.push({ grantee: checkGroup(ge.URI ?? ""), permission: perm });
    else if (ge.Type === "AmazonCustomerByEmail") throw new AwsError("UnresolvableGrantByEmailAddress", "The e-mail address you provided does not match any account on record.", 400);
    else throw new AwsError("MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema", 400);
  }
  return out;
}

/** The SDK shape of a GetBucketAcl / GetObjectAcl answer. */
export function aclOutput(ownerId: string, grants: StoredGrant[]) {
  return {
    Owner: { ID: ownerId, DisplayName: "nimbus" },
    Grants: grants.map((g) => ({
      Grantee:
        g.grantee.type === "CanonicalUser"
          ? { Type: "CanonicalUser" as const, ID: g.grantee.id, DisplayName: "nimbus" }
          : { Type: "Group" as const, URI: g.grantee.uri },
      Permission: g.permission,
    })),
  };
}

/** Whether a grant list makes the resource public (AllUsers or AuthenticatedUsers). */
export function isPublicAcl(grants: readonly StoredGrant[]): boolean {
  return grants.some((g) => g.grantee.type === "Group" && (g.grantee.uri === ALL_USERS || g.grantee.uri === AUTHENTICATED_USERS));
}

/** Whether the grants give `permission` to the caller (canonical id, or "" for anonymous). */
export function aclAllows(grants: readonly StoredGrant[], callerId: string, permission: Permission, ignorePublic: boolean): boolean {
  for (const g of grants) {
    if (g.permission !== permission && g.permission !== "FULL_CONTROL") continue;
    const ge = g.grantee;
    if (ge.type === "CanonicalUser") {
      if (callerId !== "" && ge.id === callerId) return true;
    } else if (!ignorePublic) {
      if (ge.uri === ALL_USERS) return true;
      if (ge.uri === AUTHENTICATED_USERS && callerId !== "") return true;
    }
  }
  return false;
}

/** Whether the grants are exactly "bucket owner has full control" (all that BucketOwnerEnforced accepts). */
export function onlyOwnerFullControl(grants: readonly StoredGrant[], bucketOwnerId: string): boolean {
  return grants.every((g) => g.grantee.type === "CanonicalUser" && g.grantee.id === bucketOwnerId && g.permission === "FULL_CONTROL");
}
