// Key tags (TagResource, UntagResource, ListResourceTags, CreateKey's Tags) and key policies
// (GetKeyPolicy, PutKeyPolicy, ListKeyPolicies: one policy per key, named "default").
import type { GetKeyPolicyRequest, ListKeyPoliciesRequest, ListResourceTagsRequest, PutKeyPolicyRequest, TagResourceRequest, UntagResourceRequest } from "@aws-sdk/client-kms";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { validateKeyPolicy } from "../key-policy.js";
import { assertNotPendingDeletion, decodeMarker, encodeMarker, limitOf, notFound, resolveKey, type KeyDoc } from "../store.js";

const MAX_TAGS = 50;

export function validateTags(tags: KeyDoc["tags"]): void {
  for (const t of tags) {
    if (t.TagKey.toLowerCase().startsWith("aws:")) throw new AwsError("TagException", "Tags beginning with aws: are reserved", 400); // TODO(parity): wording
    if (t.TagKey.length < 1 || t.TagKey.length > 128 || t.TagValue.length > 256) throw new AwsError("TagException", `Invalid tag ${t.TagKey}`, 400);
  }
  if (new Set(tags.map((t) => t.TagKey)).size > MAX_TAGS) throw new AwsError("LimitExceededException", `A KMS key can have at most ${MAX_TAGS} tags.`, 400);
}

function change(ctx: RequestContext, keyId: string | undefined, fn: (key: KeyDoc) => void): void {
  const { key, store } = resolveKey(ctx, keyId);
  store.tx(() => {
    assertNotPendingDeletion(key);
    fn(key);
    store.put("key", key.keyId, key);
  });
}

export function TagResource(input: TagResourceRequest, ctx: RequestContext): Record<string, never> {
  change(ctx, input.KeyId, (key) => {
    const byKey = new Map(key.tags.map((t) => [t.TagKey, t.TagValue]));
    for (const t of input.Tags ?? []) byKey.set(t.TagKey ?? "", t.TagValue ?? "");
    const tags = [...byKey].map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
    validateTags(tags);
    key.tags = tags;
  });
  return {};
}

export function UntagResource(input: UntagResourceRequest, ctx: RequestContext): Record<string, never> {
  change(ctx, input.KeyId, (key) => {
    const drop = new Set(input.TagKeys ?? []);
    key.tags = key.tags.filter((t) => !drop.has(t.TagKey));
  });
  return {};
}

export function ListResourceTags(input: ListResourceTagsRequest, ctx: RequestContext) {
  const { key } = resolveKey(ctx, input.KeyId);
  const limit = limitOf(input.Limit, 50);
  const start = Number(decodeMarker(input.Marker) || "0");
  const page = key.tags.slice(start, start + limit);
  const truncated = start + limit < key.tags.length;
  return { Tags: page, Truncated: truncated, ...(truncated ? { NextMarker: encodeMarker(String(start + limit)) } : {}) };
}

function policyName(name: string | undefined): void {
  if (name !== undefined && name !== "default") throw notFound("No such policy exists"); // TODO(parity): wording
}

export function GetKeyPolicy(input: GetKeyPolicyRequest, ctx: RequestContext) {
  policyName(input.PolicyName);
  const { key } = resolveKey(ctx, input.KeyId);
  return { Policy: key.policy, PolicyName: "default" };
}

export function PutKeyPolicy(input: PutKeyPolicyRequest, ctx: RequestContext): Record<string, never> {
  policyName(input.PolicyName);
  if (input.Policy === undefined) throw new AwsError("ValidationException", "1 validation error detected: Value null at 'policy' failed to satisfy constraint: Member must not be null", 400);
  validateKeyPolicy(input.Policy);
  change(ctx, input.KeyId, (key) => {
    if (key.keyManager === "AWS") throw new AwsError("NotAuthorizedException", `The policy of AWS managed key ${key.arn} cannot be changed.`, 400); // TODO(parity): wording
    key.policy = input.Policy!;
  });
  return {};
}

export function ListKeyPolicies(input: ListKeyPoliciesRequest, ctx: RequestContext) {
  resolveKey(ctx, input.KeyId);
  return { PolicyNames: ["default"], Truncated: false };
}
