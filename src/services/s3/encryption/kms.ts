// SSE-KMS: S3 asks KMS for a data key on every encrypted write and for its plaintext on every
// read, as the requester (kms:ViaService s3.<region>.amazonaws.com), so the requester needs
// kms:GenerateDataKey to write and kms:Decrypt to read (S3 User Guide, "Using server-side
// encryption with AWS KMS keys"). The encryption context is the object's ARN, or the bucket's
// with an S3 Bucket Key, plus whatever SSEKMSEncryptionContext the writer gave.
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import type { StoredSse } from "./sse.js";

/** A KMS failure as S3 reports it: AccessDenied stays AccessDenied (403), the rest become KMS.<code> (400). */
function asS3Error(e: unknown): unknown {
  if (!(e instanceof AwsError)) return e;
  if (e.code === "AccessDeniedException" || e.code === "AccessDenied") return new AwsError("AccessDenied", e.message, 403);
  return new AwsError(`KMS.${e.code}`, e.message, 400);
}

async function callKms<O>(ctx: RequestContext, operation: string, input: Record<string, unknown>): Promise<O> {
  try {
    return await ctx.client.call<O>("kms", operation, input, {
      principal: ctx.principal,
      accountId: ctx.accountId,
      region: ctx.region,
      authorize: true,
      viaService: `s3.${ctx.region}.amazonaws.com`,
    });
  } catch (e) {
    throw asS3Error(e);
  }
}

function invalidContext(): AwsError {
  return new AwsError("InvalidArgument", "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map", 400, {
    fields: { ArgumentName: "x-amz-server-side-encryption-context" },
  });
}

/** The caller's SSEKMSEncryptionContext: base64 of a JSON object of strings. */
function parseUserContext(b64: string | undefined): Record<string, string> {
  if (b64 === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(b64, "base64").toString("utf8"));
  } catch {
    throw invalidContext();
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== "string")) throw invalidContext();
  return parsed as Record<string, string>;
}

export interface KmsDataKey {
  plaintext: Buffer;
  /** Base64 CiphertextBlob. */
  ciphertext: string;
  keyArn: string;
  context: Record<string, string>;
}

/** GenerateDataKey (AES_256) for a write. */
export async function kmsDataKey(ctx: RequestContext, w: { bucket: string; key: string; keyId: string; bucketKeyEnabled: boolean; userContext?: string }): Promise<KmsDataKey> {
  const context = { ...parseUserContext(w.userContext), "aws:s3:arn": w.bucketKeyEnabled ? `arn:aws:s3:::${w.bucket}` : `arn:aws:s3:::${w.bucket}/${w.key}` };
  // TODO(perf): with BucketKeyEnabled AWS reuses one bucket-level key for a time; Nimbus asks KMS per object.
  const out = await callKms<{ Plaintext: Uint8Array; CiphertextBlob: Uint8Array; KeyId: string }>(ctx, "GenerateDataKey", { KeyId: w.keyId, KeySpec: "AES_256", EncryptionContext: context });
  return { plaintext: Buffer.from(out.Plaintext), ciphertext: Buffer.from(out.CiphertextBlob).toString("base64"), keyArn: out.KeyId, context };
}

/** Decrypt of a version's data key, as the reader. */
export async function kmsPlaintextKey(ctx: RequestContext, sse: StoredSse): Promise<Buffer> {
  const out = await callKms<{ Plaintext: Uint8Array }>(ctx, "Decrypt", { CiphertextBlob: Buffer.from(sse.dataKey ?? "", "base64"), KeyId: sse.keyArn, EncryptionContext: sse.context ?? {} });
  return Buffer.from(out.Plaintext);
}
