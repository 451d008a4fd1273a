// Functions control plane: create, read, update and delete functions ($LATEST; reads and deletes
// take a Qualifier too). Code is written to the blob store first, unpacked once per SHA-256
// under the data dir, then the document is committed.
import { createHash, randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { CreateFunctionRequest, FunctionConfiguration, GetFunctionRequest, GetFunctionResponse, UpdateFunctionCodeRequest, UpdateFunctionConfigurationRequest, DeleteFunctionRequest } from "@aws-sdk/client-lambda";
import { AwsError } from "../../core/errors.js";
import type { Handler, RequestContext } from "../../core/service.js";
import { KNOWN_RUNTIMES, runtimeSpec } from "./runtimes.js";
import { readZip, ZipError } from "./zip.js";
import { runtimeFor } from "./runtime.js";
import { arnOf, invalid, isVersion, loadLatest, notFound as notFoundIn, refOf, resolveTarget, versionKey, type FunctionRef, type StoredAlias, type StoredFunction } from "./lookup.js";
import { blobInUse, publishVersion } from "./versions.js";
import { layerVersionByArn } from "./layers.js";

export type { StoredFunction } from "./lookup.js";

const NAME = /^[a-zA-Z0-9-_]{1,64}$/;
const ROLE = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const RESERVED_ENV = ["_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"];
const UNZIPPED_MAX = 262_144_000;
const ZIPPED_MAX = 52_428_800;

export function functionArn(ctx: RequestContext, name: string): string {
  return `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${name}`;
}

/** A FunctionName member (name, partial or full ARN) of the caller's account; for CreateFunction's checks. */
export function nameOf(ctx: RequestContext, fn: string | undefined): string {
  const ref = refOf(ctx, fn);
  if (ref.account !== ctx.accountId) throw notFound(ctx, ref.name);
  return ref.name;
}

export function notFound(ctx: RequestContext, name: string): AwsError {
  return notFoundIn(ctx.region, ctx.accountId, name);
}

/** $LATEST of the function a FunctionName names (in the caller's account or the ARN's). */
export function load(ctx: RequestContext, fn: string | undefined): StoredFunction {
  return loadLatest(refOf(ctx, fn));
}

function checkRuntime(runtime: string | undefined): void {
  if (!runtime || !KNOWN_RUNTIMES.includes(runtime)) throw invalid(`The runtime parameter of ${runtime ?? "null"} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`);
  if (!runtimeSpec(runtime)) throw invalid(`The runtime parameter of ${runtime} is not supported by this Nimbus: no interpreter on this machine runs it (nodejs18.x-22.x run on Node, python3.9-3.13 on python3, provided.al2/provided.al2023 run the function's bootstrap).`);
}

function checkEnv(vars: Record<string, string> | undefined): void {
  const reserved = Object.keys(vars ?? {}).filter((k) => RESERVED_ENV.includes(k));
  if (reserved.length > 0) {
    throw invalid(`Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(", ")}`);
  }
  for (const k of Object.keys(vars ?? {})) if (!/^[a-zA-Z]([a-zA-Z0-9_])*$/.test(k)) throw invalid(`Lambda was unable to configure your environment variables because the environment variables you have provided failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+`);
  if (Buffer.byteLength(JSON.stringify(vars ?? {})) > 4096) throw invalid("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit.");
}

/** `Layers`: at most five existing layer versions, by ARN; the configuration lists them with their sizes. */
function resolveLayers(ctx: RequestContext, arns: string[] | undefined): { Layers?: FunctionConfiguration["Layers"]; layers?: StoredFunction["layers"] } {
  if (arns === undefined) return {};
  if (arns.length > 5) throw invalid("Cannot reference more than 5 layers.");
  const Layers: NonNullable<FunctionConfiguration["Layers"]> = [];
  const layers: NonNullable<StoredFunction["layers"]> = [];
  for (const arn of arns) {
    const v = layerVersionByArn(ctx, arn);
    if (!v) throw invalid(`Layer version ${arn} does not exist.`);
    Layers.push({ Arn: arn, CodeSize: v.view.Content!.CodeSize });
    layers.push({ arn, blobId: v.blobId, shaHex: v.shaHex });
  }
  return { Layers, layers };
}

/** A dead-letter target is an SQS queue or an SNS topic. */
function checkDlq(arn: string): string {
  if (!/^arn:aws[a-zA-Z-]*:(sqs|sns):[a-z0-9-]+:\d{12}:[^:]+$/.test(arn)) {
    throw invalid(`The provided target arn ${arn} is invalid. Only SQS queue or SNS topic arns are supported as dead-letter targets.`);
  }
  return arn;
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
export async function takeCode(ctx: RequestContext, code: { ZipFile?: Uint8Array; S3Bucket?: string; S3Key?: string; S3ObjectVersion?: string; ImageUri?: string }): Promise<{ zip: Buffer; shaHex: string; blobId: string }> {
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

export function lastModified(ctx: { clock: RequestContext["clock"] }): string {
  return new Date(ctx.clock.now()).toISOString().replace("Z", "+0000");
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
  // A function of this family will likely run soon: have a standby interpreter boot meanwhile.
  runtimeFor(ctx.db).standby.fill(runtimeSpec(input.Runtime)!);
  if (!input.Handler) throw invalid("Handler is required for functions of Zip package type.");
  checkNumbers(input.Timeout, input.MemorySize);
  checkEnv(input.Environment?.Variables);
  const layers = resolveLayers(ctx, input.Layers);
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
    ...(input.DeadLetterConfig?.TargetArn ? { DeadLetterConfig: { TargetArn: checkDlq(input.DeadLetterConfig.TargetArn) } } : {}),
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
    ...(layers.Layers && layers.Layers.length > 0 ? { Layers: layers.Layers } : {}),
  };
  const doc: StoredFunction = { configuration, codeSize: code.zip.length, blobId: code.blobId, shaHex: code.shaHex, ...(input.Tags ? { tags: input.Tags } : {}), ...(layers.layers && layers.layers.length > 0 ? { layers: layers.layers } : {}) };
  // 3. Publish=true publishes version 1 in the same transaction.
  const published = ctx.store.tx(() => {
    ctx.store.put<StoredFunction>("function", name, doc);
    return input.Publish ? publishVersion(ctx, ctx.store, name, {}) : undefined;
  });
  // 4. AWS answers a create while the function is still Pending; it is Active once unpacked (already).
  const out = published ?? configuration;
  return { ...out, State: "Pending", StateReason: "The function is being created.", StateReasonCode: "Creating", LastUpdateStatus: undefined };
};

/** The configuration a FunctionName + Qualifier names: $LATEST, a version, or an alias's version. */
function target(ctx: RequestContext, fn: string | undefined, qualifier: string | undefined): { ref: FunctionRef; doc: StoredFunction; latest: StoredFunction } {
  const ref = refOf(ctx, fn, qualifier);
  const { doc } = resolveTarget(ref);
  return { ref, doc, latest: ref.qualifier === undefined || ref.qualifier === "$LATEST" ? doc : loadLatest(ref) };
}

export const GetFunctionConfiguration: Handler<GetFunctionRequest, FunctionConfiguration> = (input, ctx) => target(ctx, input.FunctionName, input.Qualifier).doc.configuration;

export const GetFunction: Handler<GetFunctionRequest, GetFunctionResponse> = (input, ctx) => {
  const { doc, latest } = target(ctx, input.FunctionName, input.Qualifier);
  return {
    Configuration: doc.configuration,
    Code: { RepositoryType: "S3", Location: `${ctx.endpoint}/2015-03-31/functions/${doc.configuration.FunctionName}/code/${doc.shaHex}` },
    ...(latest.tags ? { Tags: latest.tags } : {}),
  };
};

export function checkRevision(current: string | undefined, revisionId: string | undefined): void {
  if (revisionId !== undefined && revisionId !== current) {
    throw new AwsError("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id", 412, { fields: { Type: "User" } });
  }
}

export const UpdateFunctionCode: Handler<UpdateFunctionCodeRequest, FunctionConfiguration> = async (input, ctx) => {
  const ref = refOf(ctx, input.FunctionName);
  const doc = loadLatest(ref);
  checkRevision(doc.configuration.RevisionId, input.RevisionId);
  const code = await takeCode(ctx, input);
  const name = doc.configuration.FunctionName!;
  const { configuration, published, old } = ref.store.tx(() => {
    const fresh = ref.store.get<StoredFunction>("function", name);
    if (!fresh) throw notFoundIn(ref.region, ref.account, name);
    const configuration: FunctionConfiguration = { ...fresh.configuration, CodeSize: code.zip.length, CodeSha256: Buffer.from(code.shaHex, "hex").toString("base64"), LastModified: lastModified(ctx), RevisionId: randomUUID(), LastUpdateStatus: "Successful", ...(input.Architectures ? { Architectures: input.Architectures } : {}) };
    ref.store.put<StoredFunction>("function", name, { ...fresh, configuration, codeSize: code.zip.length, blobId: code.blobId, shaHex: code.shaHex });
    const published = input.Publish ? publishVersion(ctx, ref.store, name, {}) : undefined;
    return { configuration, published, old: fresh.blobId };
  });
  // The old package goes once nothing (no published version) refers to it any more.
  if (old !== code.blobId && !blobInUse(ref.store, name, old)) void ctx.blobs.delete(old);
  runtimeFor(ctx.db).retire(poolPrefix(ref, name, "$LATEST"));
  if (published) return published;
  return { ...configuration, LastUpdateStatus: "InProgress", LastUpdateStatusReason: "The function is being created.", LastUpdateStatusReasonCode: "Creating" as never };
};

export const UpdateFunctionConfiguration: Handler<UpdateFunctionConfigurationRequest, FunctionConfiguration> = (input, ctx) => {
  const ref = refOf(ctx, input.FunctionName);
  const doc = loadLatest(ref);
  checkRevision(doc.configuration.RevisionId, input.RevisionId);
  if (input.Role !== undefined && !ROLE.test(input.Role)) {
    throw new AwsError("ValidationException", `1 validation error detected: Value '${input.Role}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`, 400);
  }
  if (input.Runtime !== undefined) checkRuntime(input.Runtime);
  checkNumbers(input.Timeout, input.MemorySize);
  if (input.Environment) checkEnv(input.Environment.Variables);
  const layers = resolveLayers(ctx, input.Layers);
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
    ...(input.DeadLetterConfig ? { DeadLetterConfig: input.DeadLetterConfig.TargetArn ? { TargetArn: checkDlq(input.DeadLetterConfig.TargetArn) } : undefined } : {}),
    LastModified: lastModified(ctx),
    RevisionId: randomUUID(),
    LastUpdateStatus: "Successful",
  };
  if (layers.Layers) {
    if (layers.Layers.length > 0) configuration.Layers = layers.Layers;
    else delete configuration.Layers;
  }
  ref.store.put<StoredFunction>("function", c.FunctionName!, { ...doc, configuration, ...(layers.layers ? { layers: layers.layers } : {}) });
  runtimeFor(ctx.db).retire(poolPrefix(ref, c.FunctionName!, "$LATEST"));
  return { ...configuration, LastUpdateStatus: "InProgress", LastUpdateStatusReason: "The function is being created.", LastUpdateStatusReasonCode: "Creating" as never };
};

/** Every document of a function: versions, aliases, event invoke and URL configs share its "<name>#" ids. */
const FUNCTION_KINDS = ["version", "alias", "policy", "event-invoke-config", "url-config"];

export const DeleteFunction: Handler<DeleteFunctionRequest, Record<string, never>> = async (input, ctx) => {
  const ref = refOf(ctx, input.FunctionName, input.Qualifier);
  const latest = loadLatest(ref);
  const name = latest.configuration.FunctionName!;
  const q = ref.qualifier;
  // 1. A qualified delete removes one published version (not $LATEST, not an alias).
  if (q !== undefined) {
    if (q === "$LATEST") throw invalid("$LATEST version cannot be deleted without deleting the function.");
    if (!isVersion(q)) throw invalid("Deletion of aliases is not supported.");
    const v = ref.store.get<StoredFunction>("version", versionKey(name, q));
    if (!v) throw notFoundIn(ref.region, ref.account, name, q);
    const users = ref.store.list<StoredAlias>("alias", { prefix: `${name}#` }).filter((a) => a.doc.alias.FunctionVersion === q || a.doc.alias.RoutingConfig?.AdditionalVersionWeights?.[q] !== undefined);
    if (users.length > 0) throw new AwsError("ResourceConflictException", `Unable to delete version because the following aliases reference it: [${users.map((a) => a.doc.alias.Name).join(", ")}]`, 409, { fields: { Type: "User" } });
    ref.store.delete("version", versionKey(name, q));
    ref.store.delete("policy", `${name}#${q}`);
    ref.store.delete("event-invoke-config", `${name}#${q}`);
    if (!blobInUse(ref.store, name, v.blobId)) await ctx.blobs.delete(v.blobId);
    runtimeFor(ctx.db).retire(poolPrefix(ref, name, q));
    return {};
  }
  // 2. Unqualified: the function with every version, alias and configuration of it.
  const blobs = new Set([latest.blobId]);
  ref.store.tx(() => {
    for (const kind of FUNCTION_KINDS) {
      for (const d of ref.store.list<StoredFunction>(kind, { prefix: `${name}#` })) {
        if (kind === "version") blobs.add(d.doc.blobId);
        ref.store.delete(kind, d.id);
      }
    }
    ref.store.delete("function", name);
  });
  for (const b of blobs) await ctx.blobs.delete(b);
  runtimeFor(ctx.db).retire(poolPrefix(ref, name));
  return {};
};

/** Pools are keyed "<arn>#<version>#<revision>": a prefix retires a function's or one version's. */
export function poolPrefix(at: { region: string; account: string }, name: string, version?: string): string {
  return `${arnOf(at.region, at.account, name)}#${version !== undefined ? `${version}#` : ""}`;
}
