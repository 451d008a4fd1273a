// AWS KMS: customer managed keys (symmetric AES-256-GCM, RSA, ECC, HMAC), AWS managed keys
// (alias/aws/<service>, created on first use), aliases, key policies and grants enforced by the
// IAM engine, tags, rotation and deletion on the Nimbus clock. State lives in the shared
// document store (store.ts); nothing here needs its own tables.
import { defineService } from "../../core/service.js";
import { kmsResourcePolicy } from "./key-policy.js";
import { CreateAlias, DeleteAlias, ListAliases, UpdateAlias } from "./handlers/aliases.js";
import { Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, GenerateMac, GenerateRandom, GetPublicKey, ReEncrypt, Sign, Verify, VerifyMac } from "./handlers/crypto-ops.js";
import { CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant } from "./handlers/grants.js";
import {
  CancelKeyDeletion,
  CreateKey,
  DescribeKey,
  DisableKey,
  DisableKeyRotation,
  EnableKey,
  EnableKeyRotation,
  GetKeyRotationStatus,
  ListKeyRotations,
  ListKeys,
  RotateKeyOnDemand,
  ScheduleKeyDeletion,
  UpdateKeyDescription,
} from "./handlers/keys.js";
import { GetKeyPolicy, ListKeyPolicies, ListResourceTags, PutKeyPolicy, TagResource, UntagResource } from "./handlers/tags.js";

export const kms = defineService({
  name: "kms",
  handlers: {
    CreateKey,
    DescribeKey,
    ListKeys,
    EnableKey,
    DisableKey,
    ScheduleKeyDeletion,
    CancelKeyDeletion,
    UpdateKeyDescription,
    EnableKeyRotation,
    DisableKeyRotation,
    GetKeyRotationStatus,
    RotateKeyOnDemand,
    ListKeyRotations,
    Encrypt,
    Decrypt,
    ReEncrypt,
    GenerateDataKey,
    GenerateDataKeyWithoutPlaintext,
    GenerateRandom,
    Sign,
    Verify,
    GetPublicKey,
    GenerateMac,
    VerifyMac,
    CreateAlias,
    UpdateAlias,
    DeleteAlias,
    ListAliases,
    GetKeyPolicy,
    PutKeyPolicy,
    ListKeyPolicies,
    TagResource,
    UntagResource,
    ListResourceTags,
    CreateGrant,
    ListGrants,
    RevokeGrant,
    RetireGrant,
    ListRetirableGrants,
  },
  // Key policies and grants take part in the IAM engine's decision (the key policy is the primary control).
  resourcePolicy: kmsResourcePolicy,
});
