// Functions control plane: create, read, update and delete $LATEST. Code is written to the blob
// store first, unpacked once per SHA-256 under the data dir, then the document is committed.
import { createHash, randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { CreateFunctionRequest, FunctionConfiguration, GetFunctionRequest, GetFunctionResponse, UpdateFunctionCodeRequest, UpdateFunctionConfigurationRequest, DeleteFunctionRequest } from "@aws-sdk/client-lambda";
import { AwsError } from "../../core/errors.js";
import type { Handler, RequestContext } from "../../core/service.js";
import { KNOWN_RUNTIMES, runtimeSpec } from "./runtimes.js";
import { readZip, ZipError } from "./zip.js";
import { runtimeFor } from "./runtime.js";

export interface StoredFunction {
  configuration: FunctionConfiguration;
  codeSize: number;
  blobId: string;
  shaHex: string;
  tags?: Record<string, string>;
}

const NAME = /^[a-zA-Z0-9-_]{1,64}$/;
const ROLE = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const RESERVED_ENV = ["_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"];
const UNZIPPED_MAX = 262_144_000;
const ZIPPED_MAX = 52_428_800;

export function functionArn(ctx: RequestContext, name: string): string {
  return `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${name}`;
}

/** A FunctionName member: a name, a full ARN, or a partial ARN (account:function:name). */
export function nameOf(ctx: RequestContext, fn: string | undefined): string {
  const m = /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9-_]+)(?::(\$LATEST|[a-zA-Z0-9-_]+))?$/.exec(fn ?? "");
  if (!m) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${fn ?? "null"}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`, 400);
  }
  if ((m[1] && m[1] !== ctx.region) || (m[2] && m[2] !== ctx.accountId)) throw notFound(ctx, m[3]);
  return m[3];
}

export function notFound(ctx: RequestContext, name: string): AwsError {
  return new AwsError("ResourceNotFoundException", `Function not found: ${functionArn(ctx, name)}`, 404, { fields: { Type: "User" } });
}

export function load(ctx: RequestContext, fn: string | undefined): StoredFunction {
  const name = nameOf(ctx, fn);
  const doc = ctx.store.get<StoredFunction>("function", name);
  if (!doc) throw notFound(ctx, name);
  return doc;
}

function invalid(message: string): AwsError {
  return new AwsError("InvalidParameterValueException", message, 400, { fields: { Type: "User" } });
}

function checkRuntime(runtime: string | undefined): void {
  if (!runtime || !KNOWN_RUNTIMES.includes(runtime)) throw invalid(`The runtime parameter of ${runtime ?? "null"} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`);
  if (!runtimeSpec(runtime)) throw invalid(`The runtime parameter of ${runtime} is not supported by this Nimbus: no interpreter on this machine runs it (nodejs18.x-22.x run on Node, python3.9-3.13 on python3).`);
}

function checkEnv(vars: Record<string, string> | undefined): void {
  const reserved = Object.keys(vars ?? {}).filter((k) => RESERVED_ENV.includes(k));
  if (reserved.length > 0) {
    throw invalid(`Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(", ")}`);
  }
  for (const k of Object.keys(vars ?? {})) if (!/^[a-zA-Z]([a-zA-Z0-9_])*$/.test(k)) throw invalid(`Lambda was unable to configure your environment variables because the environment variables you have provided failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+`);
  if (Buffer.byteLength(JSON.stringify(vars ?? {})) > 4096) throw invalid("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit.");
}

function checkNumbers(timeout: number | undefined, memory: number | undefined): void {
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > 900)) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${timeout}' at 'timeout' failed to satisfy constraint: Member must have value ${timeout < 1 ? "greater than or equal to 1" : "less than or equal to 900"}`, 400);
  }
  if (memory !== undefined && (!Number.isInteger(memory) || memory < 128 || memory > 10240)) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${memory}' at 'memorySize' failed to satisfy constraint: Member must have value ${memory < 128 ? "greater than or equal to 128" : "less than or equal to 10240"}`, 400);
  }
}

async function toBuffer(v: Uint8Array | Readable | undefined): Promise<Buffer | undefined> {
  if (v === undefined) return undefined;
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  const chunks: Buffer[] = [];
  for await (const c of v) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The package bytes from ZipFile or S3Bucket/S3Key, checked and unpacked. */
async function takeCode(ctx: RequestContext, code: { ZipFile?: Uint8Array; S3Bucket?: string; S3Key?: string; S3ObjectVersion?: string; ImageUri?: string }): Promise<{ zip: Buffer; shaHex: string; blobId: string }> {
  if (code.ImageUri) throw invalid("Container images are not supported by this Nimbus (see GAPS.md).");
  let zip = await toBuffer(code.ZipFile as Uint8Array | Readable | undefined);
  if (!zip && code.S3Bucket && code.S3Key) {
    const obj = await ctx.client
      .call<{ Body: Readable | Buffer }>("s3", "GetObject", { Bucket: code.S3Bucket, Key: code.S3Key, ...(code.S3ObjectVersion ? { VersionId: code.S3ObjectVersion } : {}) }, { accountId: ctx.accountId, region: ctx.region })
      .catch((e: { code?: string; message?: string }) => {
        throw invalid(`Error occurred while GetObject. S3 Error Code: ${e.code ?? "InternalError"}. S3 Error Message: ${e.message ?? ""}`);
      });
    zip = await toBuffer(obj.Body as Readable);
  }
  if (!zip) throw invalid("Please provide a source for function code.");
  if (zip.length > ZIPPED_MAX) throw new AwsError("RequestEntityTooLargeException", `Request must be smaller than ${ZIPPED_MAX} bytes for the CreateFunction operation`, 413);
  let entries;
  try {
    entries = readZip(zip, UNZIPPED_MAX);
  } catch (e) {
    if (e instanceof ZipError || e instanceof RangeError || (e as { code?: string }).code?.startsWith("Z_")) throw invalid("Could not unzip uploaded file. Please check your file, then try to upload again.");
    throw e;
  }
  const shaHex = createHash("sha256").update(zip).digest("hex");
  // Blob first (durable), then the unpacked tree; the caller commits the document last.
  const blob = await ctx.blobs.write(zip);
  runtimeFor(ctx.db).unpack(shaHex, entries);
  return { zip, shaHex, blobId: blob.id };
}

function lastModified(ctx: RequestContext): string {
  return new Date(ctx.clock.now()).toISOString().replace("Z", "+0000");
}

/** What GetFunction and ListFunctions answer: the stored configuration (the response of a create says Pending). */
function view(doc: StoredFunction): FunctionConfiguration {
  return doc.configuration;
}

export const CreateFunction: Handler<CreateFunctionRequest, FunctionConfiguration> = async (input, ctx) => {
  // 1. Validate everything before touching state.
  const name = input.FunctionName ?? "";
  if (!NAME.test(name)) nameOf(ctx, name);
  if (!NAME.test(name)) throw invalid(`Function name must be a name, not an ARN, when creating a function: ${name}`);
  if (!input.Role || !ROLE.test(input.Role)) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${input.Role ?? "null"}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`, 400);
  }
  if ((input.PackageType ?? "Zip") !== "Zip") throw invalid("Container images are not supported by this Nimbus (see GAPS.md).");
  checkRuntime(input.Runtime);
  if (!input.Handler) throw invalid("Handler is required for functions of Zip package type.");
  checkNumbers(input.Timeout, input.MemorySize);
  checkEnv(input.Environment?.Variables);
  if (ctx.store.get("function", name)) throw new AwsError("ResourceConflictException", `Function already exist: ${name}`, 409, { fields: { Type: "User" } });
  // 2. Code: blob, unpack, then commit the document.
  const code = await takeCode(ctx, input.Code ?? {});
  if (ctx.store.get("function", name)) throw new AwsError("ResourceConflictException", `Function already exist: ${name}`, 409, { fields: { Type: "User" } });
  const configuration: FunctionConfiguration = {
    FunctionName: name,
    FunctionArn: functionArn(ctx, name),
    Runtime: input.Runtime,
    Role: input.Role,
    Handler: input.Handler,
    CodeSize: code.zip.length,
    Description: input.Description ?? "",
    Timeout: input.Timeout ?? 3,
    MemorySize: input.MemorySize ?? 128,
    LastModified: lastModified(ctx),
    CodeSha256: Buffer.from(code.shaHex, "hex").toString("base64"),
    Version: "$LATEST",
    ...(input.Environment?.Variables ? { Environment: { Variables: input.Environment.Variables } } : {}),
    TracingConfig: { Mode: input.TracingConfig?.Mode ?? "PassThrough" },
    RevisionId: randomUUID(),
    State: "Active",
    LastUpdateStatus: "Successful",
    PackageType: "Zip",
    Architectures: input.Architectures ?? ["x86_64"],
    EphemeralStorage: { Size: input.EphemeralStorage?.Size ?? 512 },
    SnapStart: { ApplyOn: "None", OptimizationStatus: "Off" },
    RuntimeVersionConfig: { RuntimeVersionArn: `arn:aws:lambda:${ctx.region}::runtime:nimbus-${input.Runtime}` },
    LoggingConfig: { LogFormat: "Text", LogGroup: `/aws/lambda/${name}` },
  };
  ctx.store.put<StoredFunction>("function", name, { configuration, codeSize: code.zip.length, blobId: code.blobId, shaHex: code.shaHex, ...(input.Tags ? { tags: input.Tags } : {}) });
  // 3. AWS answers a create while the function is still Pending; it is Active once unpacked (already).
  return { ...configuration, State: "Pending", StateReason: "The function is being created.", StateReasonCode: "Creating", LastUpdateStatus: undefined };
};

export const GetFunctionConfiguration: Handler<GetFunctionRequest, FunctionConfiguration> = (input, ctx) => view(load(ctx, input.FunctionName));

export const GetFunction: Handler<GetFunctionRequest, GetFunctionResponse> = (input, ctx) => {
  const doc = load(ctx, input.FunctionName);
  return {
    Configuration: view(doc),
    Code: { RepositoryType: "S3", Location: `${ctx.endpoint}/2015-03-31/functions/${doc.configuration.FunctionName}/code/${doc.shaHex}` },
    ...(doc.tags ? { Tags: doc.tags } : {}),
  };
};

function checkRevision(doc: StoredFunction, revisionId: string | undefined): void {
  if (revisionId !== undefined && revisionId !== doc.configuration.RevisionId) {
    throw new AwsError("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id", 412, { fields: { Type: "User" } });
  }
}

export const UpdateFunctionCode: Handler<UpdateFunctionCodeRequest, FunctionConfiguration> = async (input, ctx) => {
  const doc = load(ctx, input.FunctionName);
  checkRevision(doc, input.RevisionId);
  const code = await takeCode(ctx, input);
  const name = doc.configuration.FunctionName!;
  const fresh = ctx.store.get<StoredFunction>("function", name);
  if (!fresh) throw notFound(ctx, name);
  const old = fresh.blobId;
  const configuration: FunctionConfiguration = { ...fresh.configuration, CodeSize: code.zip.length, CodeSha256: Buffer.from(code.shaHex, "hex").toString("base64"), LastModified: lastModified(ctx), RevisionId: randomUUID(), LastUpdateStatus: "Successful", ...(input.Architectures ? { Architectures: input.Architectures } : {}) };
  ctx.store.put<StoredFunction>("function", name, { ...fresh, configuration, codeSize: code.zip.length, blobId: code.blobId, shaHex: code.shaHex });
  if (old !== code.blobId) void ctx.blobs.delete(old);
  runtimeFor(ctx.db).retire(poolPrefix(ctx, name));
  return { ...configuration, LastUpdateStatus: "InProgress", LastUpdateStatusReason: "The function is being created.", LastUpdateStatusReasonCode: "Creating" as never };
};

export const UpdateFunctionConfiguration: Handler<UpdateFunctionConfigurationRequest, FunctionConfiguration> = (input, ctx) => {
  const doc = load(ctx, input.FunctionName);
  checkRevision(doc, input.RevisionId);
  if (input.Role !== undefined && !ROLE.test(input.Role)) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${input.Role}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`, 400);
  }
  if (input.Runtime !== undefined) checkRuntime(input.Runtime);
  checkNumbers(input.Timeout, input.MemorySize);
  if (input.Environment) checkEnv(input.Environment.Variables);
  const c = doc.configuration;
  const configuration: FunctionConfiguration = {
    ...c,
    ...(input.Role !== undefined ? { Role: input.Role } : {}),
    ...(input.Handler !== undefined ? { Handler: input.Handler } : {}),
    ...(input.Description !== undefined ? { Description: input.Description } : {}),
    ...(input.Timeout !== undefined ? { Timeout: input.Timeout } : {}),
    ...(input.MemorySize !== undefined ? { MemorySize: input.MemorySize } : {}),
    ...(input.Runtime !== undefined ? { Runtime: input.Runtime } : {}),
    ...(input.Environment ? { Environment: { Variables: input.Environment.Variables ?? {} } } : {}),
    LastModified: lastModified(ctx),
    RevisionId: randomUUID(),
    LastUpdateStatus: "Successful",
  };
  ctx.store.put<StoredFunction>("function", c.FunctionName!, { ...doc, configuration });
  runtimeFor(ctx.db).retire(poolPrefix(ctx, c.FunctionName!));
  return { ...configuration, LastUpdateStatus: "InProgress", LastUpdateStatusReason: "The function is being created.", LastUpdateStatusReasonCode: "Creating" as never };
};

export const DeleteFunction: Handler<DeleteFunctionRequest, Record<string, never>> = async (input, ctx) => {
  const doc = load(ctx, input.FunctionName);
  if (input.Qualifier && input.Qualifier !== "$LATEST") throw notFound(ctx, `${doc.configuration.FunctionName}:${input.Qualifier}`);
  ctx.store.delete("function", doc.configuration.FunctionName!);
  await ctx.blobs.delete(doc.blobId);
  runtimeFor(ctx.db).retire(poolPrefix(ctx, doc.configuration.FunctionName!));
  return {};
};

export function poolPrefix(ctx: RequestContext, name: string): string {
  return `${functionArn(ctx, name)}#`;
}
