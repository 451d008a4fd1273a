// Managed policies, customer-managed (this account's, stored) and AWS-managed (the catalogue),
// seen through one shape: name, ARN, path, versions, default version.
import type { DocStore } from "../../core/state/doc-store.js";
import { AwsError } from "../../core/errors.js";
import { awsManagedPolicy } from "./aws-managed/catalogue.js";
import { invalidInput, nameKey, noSuchEntity } from "./common.js";
import type { PolicyDoc } from "./store.js";

export interface ManagedPolicyRef {
  arn: string;
  name: string;
  path: string;
  /** The AWS-managed policies belong to no account and cannot be changed. */
  aws: boolean;
  /** The stored document of a customer-managed policy. */
  doc?: PolicyDoc;
  defaultDocument: string;
}

const POLICY_ARN = /^arn:aws:iam::(\d{12}|aws):policy(\/(?:[\u0021-\u007E]*\/)?)?([\w+=,.@-]+)$/;

/** Parses a policy ARN; InvalidInput "ARN ... is not valid." as IAM says for a malformed one. */
export function parsePolicyArn(arn: string): { account: string; path: string; name: string } {
  const m = POLICY_ARN.exec(arn);
  if (!m) throw invalidInput(`ARN ${arn} is not valid.`);
  return { account: m[1], path: m[2] ?? "/", name: m[3] };
}

/** The managed policy an ARN names, or undefined (an ARN of another account names nothing here). */
export function findManagedPolicy(store: DocStore, accountId: string, arn: string): ManagedPolicyRef | undefined {
  const { account, name } = parsePolicyArn(arn);
  if (account === "aws") {
    const p = awsManagedPolicy(arn);
    return p && { arn, name: p.PolicyName, path: p.Path, aws: true, defaultDocument: p.Document };
  }
  if (account !== accountId) return undefined;
  const doc = store.get<PolicyDoc>("policy", nameKey(name));
  if (!doc || doc.Arn !== arn) return undefined;
  const def = doc.versions.find((v) => v.VersionId === doc.DefaultVersionId);
  return { arn, name: doc.PolicyName, path: doc.Path, aws: false, doc, defaultDocument: def?.Document ?? "{}" };
}

/** For Attach*Policy and Put*PermissionsBoundary: NoSuchEntity "Policy ... does not exist or is not attachable." */
export function attachablePolicy(store: DocStore, accountId: string, arn: string): ManagedPolicyRef {
  const p = findManagedPolicy(store, accountId, arn);
  if (!p) throw noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
  return p;
}

/** For GetPolicy and friends: NoSuchEntity "Policy ... was not found." */
export function existingPolicy(store: DocStore, accountId: string, arn: string): ManagedPolicyRef {
  const p = findManagedPolicy(store, accountId, arn);
  if (!p) throw noSuchEntity(`Policy ${arn} was not found.`);
  return p;
}

/** A customer-managed policy, for the operations that change one (AWS-managed ones refuse). */
export function customerPolicy(store: DocStore, accountId: string, arn: string): PolicyDoc {
  const p = existingPolicy(store, accountId, arn);
  if (p.aws || !p.doc) {
    throw new AwsError("AccessDenied", `User: arn:aws:iam::${accountId}:root is not authorized to perform this operation on resource: ${arn}`, 403);
  }
  return p.doc;
}
