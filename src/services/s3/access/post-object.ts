// Browser POST uploads (S3 API reference, "PostObject"; "Browser-based uploads using POST
// (AWS Signature Version 4)"):
//   1. the bucket from the host or path; the form read as multipart/form-data (access/form-data.ts);
//   2. with a policy: the caller from x-amz-credential; for a key Nimbus issued, the signature
//      (HMAC of the base64 policy with the SigV4 signing key) is verified; the policy's
//      expiration, every condition (exact match, eq, starts-with, content-length-range), and
//      that every form field is covered by a condition;
//      without a policy the request is anonymous (the bucket must let anyone write);
//   3. the object is written by S3's own PutObject as that caller (so bucket policies, ACLs
//      and Block Public Access decide), the file streamed through a byte counter enforcing
//      content-length-range;
//   4. the answer: a 303 to success_action_redirect, or success_action_status 200 / 201
//      (PostResponse XML) / 204 (the default).
import { createHmac, timingSafeEqual } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { AwsError, isAwsError } from "../../../core/errors.js";
import type { Principal, RawHttpRequest, RawHttpResponse, RawHttpRuntime } from "../../../core/service.js";
import { boundaryOf, readForm, type Form } from "./form-data.js";
import { xmlError } from "./preflight.js";
import { bucketAndKey } from "./raw-http.js";
import { markPostUpload } from "../notifications/emit.js";

const ANONYMOUS: Principal = { type: "anonymous", accountId: "", arn: "*", userId: "anonymous" };

/** Fields a policy need not mention (S3 user guide, "Creating a POST policy"). */
const UNCHECKED = new Set(["x-amz-signature", "file", "policy", "awsaccesskeyid", "signature"]);

function denied(message: string): AwsError {
  return new AwsError("AccessDenied", message, 403);
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

/** The caller named by x-amz-credential: an issued key's principal (signature verified), else the root of the account it names. */
function callerOf(form: Form, policyB64: string, rt: RawHttpRuntime): Principal {
  const credential = form.fields.get("x-amz-credential");
  const algorithm = form.fields.get("x-amz-algorithm");
  const signature = form.fields.get("x-amz-signature");
  if (form.fields.has("awsaccesskeyid")) {
    // TODO(parity): Signature Version 2 POST forms.
    throw new AwsError("InvalidRequest", "Signature Version 2 POST uploads are not supported by Nimbus; use AWS4-HMAC-SHA256.", 400);
  }
  if (!credential || !signature) throw new AwsError("InvalidArgument", "Bucket POST must contain a field named 'x-amz-credential'.  If it is specified, please check the order of the fields.", 400);
  if (algorithm !== "AWS4-HMAC-SHA256") throw new AwsError("InvalidArgument", `Unsupported algorithm: ${algorithm ?? ""}`, 400);
  const [accessKeyId, date, region, service, term] = credential.split("/");
  if (!accessKeyId || !date || !region || service !== "s3" || term !== "aws4_request") throw new AwsError("InvalidArgument", "Invalid according to Policy: Invalid credential.", 400);
  const issued = rt.resolveCredentials(accessKeyId);
  if (!issued) {
    // Keys Nimbus did not issue are the root of an account; their secret is unknown (as for every request).
    const accountId = /^\d{12}$/.test(accessKeyId) ? accessKeyId : "000000000000";
    return { type: "root", accountId, arn: `arn:aws:iam::${accountId}:root`, userId: accountId, accessKeyId };
  }
  if (issued.expiresAt !== undefined && issued.expiresAt <= rt.clock.now()) throw new AwsError("ExpiredToken", "The provided token has expired.", 400);
  if (issued.sessionToken !== undefined && form.fields.get("x-amz-security-token") !== issued.sessionToken) throw new AwsError("InvalidToken", "The provided token is malformed or otherwise invalid.", 400);
  const key = hmac(hmac(hmac(hmac(`AWS4${issued.secretAccessKey}`, date), region), "s3"), "aws4_request");
  const expected = hmac(key, policyB64).toString("hex");
  const ok = expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
  if (!ok) throw new AwsError("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", 403);
  return { ...issued.principal, accessKeyId };
}

interface PolicyCheck {
  /** content-length-range, when the policy has one. */
  range?: [number, number];
}

/** Step 2: expiration, conditions, and every field covered. */
function checkPolicy(policyB64: string, form: Form, bucket: string, nowMs: number): PolicyCheck {
  let doc: { expiration?: unknown; conditions?: unknown };
  try {
    doc = JSON.parse(Buffer.from(policyB64, "base64").toString("utf8")) as typeof doc;
  } catch {
    throw new AwsError("InvalidPolicyDocument", "Invalid Policy: Invalid JSON.", 400);
  }
  if (typeof doc.expiration !== "string" || Number.isNaN(Date.parse(doc.expiration))) throw new AwsError("InvalidPolicyDocument", "Invalid Policy: Invalid 'expiration' value: '" + String(doc.expiration) + "'", 400);
  if (Date.parse(doc.expiration) < nowMs) throw denied("Invalid according to Policy: Policy expired.");
  if (!Array.isArray(doc.conditions)) throw new AwsError("InvalidPolicyDocument", "Invalid Policy: Policy missing conditions.", 400);
  const value = (field: string): string | undefined => (field === "bucket" ? bucket : form.fields.get(field));
  const covered = new Set<string>(["bucket"]);
  const out: PolicyCheck = {};
  for (const c of doc.conditions as unknown[]) {
    if (Array.isArray(c)) {
      const op = String(c[0]).toLowerCase();
      if (op === "content-length-range") {
        out.range = [Number(c[1]), Number(c[2])];
        continue;
      }
      const field = String(c[1] ?? "").replace(/^\$/, "").toLowerCase();
      const want = String(c[2] ?? "");
      covered.add(field);
      const have = value(field) ?? "";
      const pass = op === "eq" ? have === want : op === "starts-with" ? (field === "content-type" ? have.split(",").every((v) => v.trim().startsWith(want)) : have.startsWith(want)) : false;
      if (!pass) throw denied(`Invalid according to Policy: Policy Condition failed: ["${String(c[0])}", "$${field}", "${want}"]`);
    } else if (c && typeof c === "object") {
      for (const [k, v] of Object.entries(c as Record<string, unknown>)) {
        const field = k.toLowerCase();
        covered.add(field);
        if ((value(field) ?? "") !== String(v)) throw denied(`Invalid according to Policy: Policy Condition failed: ["eq", "$${field}", "${String(v)}"]`);
      }
    }
  }
  for (const f of form.fields.keys()) {
    if (UNCHECKED.has(f) || f.startsWith("x-ignore-") || covered.has(f)) continue;
    throw denied(`Invalid according to Policy: Extra input fields: ${f}`);
  }
  return out;
}

/** Counts the file's bytes and refuses a size outside content-length-range. */
class SizeGuard extends Transform {
  size = 0;
  failure?: AwsError;
  constructor(private readonly range: [number, number] | undefined) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.range && this.size > this.range[1]) {
      this.failure = new AwsError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400, { fields: { ProposedSize: String(this.size), MaxSizeAllowed: String(this.range[1]) } });
      return cb(this.failure);
    }
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.range && this.size < this.range[0]) {
      this.failure = new AwsError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400, { fields: { ProposedSize: String(this.size), MinSizeAllowed: String(this.range[0]) } });
      return cb(this.failure);
    }
    cb();
  }
}

function toResponse(e: AwsError, requestId: string): RawHttpResponse {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.fields)) fields[k] = String(v);
  return xmlError(e.status ?? 400, e.code, e.message, requestId, fields, e.headers);
}

export async function postObject(req: RawHttpRequest, rt: RawHttpRuntime): Promise<RawHttpResponse> {
  try {
    return await handlePost(req, rt);
  } catch (e) {
    if (isAwsError(e)) return toResponse(e, req.requestId);
    throw e;
  }
}

async function handlePost(req: RawHttpRequest, rt: RawHttpRuntime): Promise<RawHttpResponse> {
  // 1.
  const { bucket, key: pathKey } = bucketAndKey(req.rawPath, req.headers.host ?? "", rt.baseDomains);
  if (!bucket || pathKey !== undefined) throw new AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405, { fields: { Method: "POST", ResourceType: pathKey !== undefined ? "OBJECT" : "SERVICE" } });
  const boundary = boundaryOf(req.headers["content-type"] ?? "");
  if (!boundary) throw new AwsError("MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.", 400);
  const form = await readForm(req.body, boundary);
  const keyField = form.fields.get("key");
  if (keyField === undefined) throw new AwsError("InvalidArgument", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", 400, { fields: { ArgumentName: "key", ArgumentValue: "" } });
  if (!form.file) throw new AwsError("InvalidArgument", "POST requires exactly one file upload per request.", 400, { fields: { ArgumentName: "file", ArgumentValue: "0" } });
  const file = form.file;

  // 2.
  const policy = form.fields.get("policy");
  let principal = ANONYMOUS;
  let check: PolicyCheck = {};
  if (policy !== undefined) {
    principal = callerOf(form, policy, rt);
    check = checkPolicy(policy, form, bucket, rt.clock.now());
  }

  // 3.
  const key = keyField.replace(/\$\{filename\}/g, file.filename);
  if (key === "") throw new AwsError("InvalidArgument", "User key must have a length greater than 0.", 400, { fields: { ArgumentName: "key", ArgumentValue: "" } });
  const f = form.fields;
  const metadata: Record<string, string> = {};
  for (const [k, v] of f) if (k.startsWith("x-amz-meta-")) metadata[k.slice(11)] = v;
  const guard = new SizeGuard(check.range);
  file.stream.on("error", (e) => guard.destroy(e));
  file.stream.pipe(guard);
  const input: Record<string, unknown> = {
    Bucket: bucket,
    Key: key,
    Body: guard,
    ...(f.get("content-type") ?? file.contentType ? { ContentType: f.get("content-type") ?? file.contentType } : {}),
    ...(f.has("cache-control") ? { CacheControl: f.get("cache-control") } : {}),
    ...(f.has("content-disposition") ? { ContentDisposition: f.get("content-disposition") } : {}),
    ...(f.has("content-encoding") ? { ContentEncoding: f.get("content-encoding") } : {}),
    ...(f.has("expires") ? { Expires: new Date(f.get("expires")!) } : {}),
    ...(f.has("acl") ? { ACL: f.get("acl") } : {}),
    ...(f.has("x-amz-storage-class") ? { StorageClass: f.get("x-amz-storage-class") } : {}),
    ...(f.has("x-amz-website-redirect-location") ? { WebsiteRedirectLocation: f.get("x-amz-website-redirect-location") } : {}),
    ...(Object.keys(metadata).length ? { Metadata: metadata } : {}),
  };
  let out: { ETag?: string; VersionId?: string };
  try {
    markPostUpload(input); // its event is ObjectCreated:Post
    out = await rt.client.call<{ ETag?: string; VersionId?: string }>("s3", "PutObject", input, { principal });
  } catch (e) {
    file.stream.resume();
    throw guard.failure ?? e;
  }

  // 4.
  const location = `${req.endpoint}/${encodeURIComponent(bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`;
  const headers: Record<string, string> = { location, ...(out.ETag ? { etag: out.ETag } : {}), ...(out.VersionId ? { "x-amz-version-id": out.VersionId } : {}) };
  const redirect = f.get("success_action_redirect") ?? f.get("redirect");
  if (redirect) {
    try {
      const u = new URL(redirect);
      u.searchParams.set("bucket", bucket);
      u.searchParams.set("key", key);
      u.searchParams.set("etag", out.ETag ?? "");
      return { status: 303, headers: { ...headers, location: u.toString(), "content-length": "0" } };
    } catch {
      // S3 ignores a redirect that is not a URL and answers with the status instead.
    }
  }
  const status = f.get("success_action_status");
  if (status === "201") {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>${esc(location)}</Location><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><ETag>${esc(out.ETag ?? "")}</ETag></PostResponse>`;
    return { status: 201, headers: { ...headers, "content-type": "application/xml" }, body };
  }
  return { status: status === "200" ? 200 : 204, headers: { ...headers, "content-length": "0" } };
}
