// Launch templates: Create/Describe/Delete LaunchTemplate(s), CreateLaunchTemplateVersion
// (optionally from a SourceVersion, whose data the new one inherits), DescribeLaunchTemplateVersions
// ($Latest, $Default, numbers, Min/MaxVersion), DeleteLaunchTemplateVersions, ModifyLaunchTemplate
// (default version), and `fromTemplate`, which RunInstances uses to merge a template's data
// under its own explicit parameters. A template and its versions are one document (kind "lt").
import type {
  CreateLaunchTemplateRequest, CreateLaunchTemplateResult, CreateLaunchTemplateVersionRequest, CreateLaunchTemplateVersionResult, DeleteLaunchTemplateRequest,
  DeleteLaunchTemplateResult, DeleteLaunchTemplateVersionsRequest, DeleteLaunchTemplateVersionsResult, DescribeLaunchTemplatesRequest, DescribeLaunchTemplatesResult,
  DescribeLaunchTemplateVersionsRequest, DescribeLaunchTemplateVersionsResult, LaunchTemplate, LaunchTemplateSpecification, LaunchTemplateVersion,
  ModifyLaunchTemplateRequest, ModifyLaunchTemplateResult, RequestLaunchTemplateData, RunInstancesRequest, Tag,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import { applyFilters } from "../filters.js";
import { checkMaxResults, dryRun, invalid, paginate, tagMap, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { vpcHandler } from "../vpc/handler.js";
import { newId, wellFormed } from "../vpc/ids.js";
import { malformed, notFound, RES } from "../vpc/lookup.js";
import type { Ec2State } from "../vpc/store.js";

export const LT_KIND = "lt";

interface VersionDoc {
  VersionNumber: number;
  VersionDescription?: string;
  createTime: string;
  LaunchTemplateData: RequestLaunchTemplateData;
}

interface TemplateDoc {
  LaunchTemplateId: string;
  LaunchTemplateName: string;
  CreatedBy: string;
  createTime: string;
  DefaultVersionNumber: number;
  LatestVersionNumber: number;
  Tags?: Tag[];
  versions: VersionDoc[];
  clientTokens?: string[];
}

const NAME = /^[a-zA-Z0-9().\-/_]{3,128}$/;
/** AWS keeps at most 10,000 versions of a template. */
const MAX_VERSIONS = 10_000;

function templateView(t: TemplateDoc): LaunchTemplate {
  return {
    LaunchTemplateId: t.LaunchTemplateId, LaunchTemplateName: t.LaunchTemplateName, CreateTime: new Date(t.createTime), CreatedBy: t.CreatedBy,
    DefaultVersionNumber: t.DefaultVersionNumber, LatestVersionNumber: t.LatestVersionNumber, Tags: tagsOut(t.Tags),
  };
}

function versionView(t: TemplateDoc, v: VersionDoc): LaunchTemplateVersion {
  return {
    LaunchTemplateId: t.LaunchTemplateId, LaunchTemplateName: t.LaunchTemplateName, VersionNumber: v.VersionNumber, VersionDescription: v.VersionDescription,
    CreateTime: new Date(v.createTime), CreatedBy: t.CreatedBy, DefaultVersion: v.VersionNumber === t.DefaultVersionNumber, LaunchTemplateData: v.LaunchTemplateData as LaunchTemplateVersion["LaunchTemplateData"],
  };
}

function checkData(data: RequestLaunchTemplateData | undefined): RequestLaunchTemplateData {
  if (!data) throw new AwsError("MissingParameter", "The request must contain the parameter LaunchTemplateData", 400);
  if (data.UserData !== undefined && Buffer.from(data.UserData, "base64").length > 16_384) throw invalid("User data is limited to 16384 bytes");
  for (const spec of data.TagSpecifications ?? []) {
    if (!["instance", "volume", "network-interface", "spot-instances-request"].includes(spec.ResourceType ?? "")) {
      throw invalid(`'${spec.ResourceType}' is not a valid taggable resource type for this operation.`);
    }
  }
  return data;
}

function checkDescription(d: string | undefined): void {
  if (d && d.length > 255) throw invalid("Version description must be at most 255 characters");
}

/** The template named by id or name (one of them), or AWS's errors. */
function findTemplate(s: Ec2State, id: string | undefined, name: string | undefined): TemplateDoc {
  if (id) {
    if (!wellFormed("lt", id)) throw malformed(RES.launchTemplate, id);
    const t = s.get<TemplateDoc>(LT_KIND, id);
    if (!t) throw notFound(RES.launchTemplate, [id]);
    return t;
  }
  if (name) {
    const t = s.all<TemplateDoc>(LT_KIND).find((x) => x.LaunchTemplateName === name);
    if (!t) throw new AwsError("InvalidLaunchTemplateName.NotFoundException", `The specified launch template, with template name ${name}, does not exist.`, 400);
    return t;
  }
  throw new AwsError("MissingParameter", "The request must include either the launch template ID or the launch template name.", 400);
}

/** A version by number, $Latest or $Default (the default when none is given). */
function findVersion(t: TemplateDoc, version: string | undefined): VersionDoc {
  const n = version === undefined || version === "$Default" ? t.DefaultVersionNumber : version === "$Latest" ? t.LatestVersionNumber : Number(version);
  if (!Number.isInteger(n) || n < 1) throw invalid(`Invalid launch template version: ${version}`);
  const v = t.versions.find((x) => x.VersionNumber === n);
  if (!v) throw new AwsError("InvalidLaunchTemplateId.VersionNotFound", `Could not find launch template version ${version} for launch template ID ${t.LaunchTemplateId}.`, 400);
  return v;
}

export const CreateLaunchTemplate = vpcHandler<CreateLaunchTemplateRequest, CreateLaunchTemplateResult>((input, s, ctx) => {
  const name = input.LaunchTemplateName;
  if (!name) throw new AwsError("MissingParameter", "The request must contain the parameter LaunchTemplateName", 400);
  if (input.ClientToken) {
    const prior = s.all<TemplateDoc>(LT_KIND).find((t) => t.clientTokens?.includes(input.ClientToken!));
    if (prior) return { LaunchTemplate: templateView(prior) };
  }
  if (!NAME.test(name)) throw invalid(`Launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.'`);
  if (s.all<TemplateDoc>(LT_KIND).some((t) => t.LaunchTemplateName === name)) {
    throw new AwsError("InvalidLaunchTemplateName.AlreadyExistsException", `Launch template name already in use.`, 400);
  }
  const data = checkData(input.LaunchTemplateData);
  checkDescription(input.VersionDescription);
  const tags = tagsOnCreate(input.TagSpecifications, "launch-template");
  dryRun(input);
  const now = new Date(ctx.clock.now()).toISOString();
  const t: TemplateDoc = {
    LaunchTemplateId: newId("lt"), LaunchTemplateName: name, CreatedBy: `arn:aws:iam::${s.accountId}:root`, createTime: now, DefaultVersionNumber: 1, LatestVersionNumber: 1, Tags: tags,
    versions: [{ VersionNumber: 1, VersionDescription: input.VersionDescription, createTime: now, LaunchTemplateData: data }],
    clientTokens: input.ClientToken ? [input.ClientToken] : undefined,
  };
  s.put(LT_KIND, t.LaunchTemplateId, t);
  return { LaunchTemplate: templateView(t) };
});

export const CreateLaunchTemplateVersion = vpcHandler<CreateLaunchTemplateVersionRequest, CreateLaunchTemplateVersionResult>((input, s, ctx) => {
  const t = findTemplate(s, input.LaunchTemplateId, input.LaunchTemplateName);
  if (input.ClientToken) {
    const prior = t.versions.find((v) => (v as VersionDoc & { clientToken?: string }).clientToken === input.ClientToken);
    if (prior) return { LaunchTemplateVersion: versionView(t, prior) };
  }
  let data = checkData(input.LaunchTemplateData);
  // A new version from a source version inherits its data; what is given replaces it, member by member.
  if (input.SourceVersion !== undefined) data = { ...findVersion(t, input.SourceVersion).LaunchTemplateData, ...data };
  checkDescription(input.VersionDescription);
  if (t.versions.length >= MAX_VERSIONS) throw new AwsError("VersionLimitExceeded", `The maximum number of versions for launch template ${t.LaunchTemplateId} has been reached.`, 400);
  dryRun(input);
  const v: VersionDoc & { clientToken?: string } = { VersionNumber: t.LatestVersionNumber + 1, VersionDescription: input.VersionDescription, createTime: new Date(ctx.clock.now()).toISOString(), LaunchTemplateData: data, clientToken: input.ClientToken };
  t.versions.push(v);
  t.LatestVersionNumber = v.VersionNumber;
  s.put(LT_KIND, t.LaunchTemplateId, t);
  return { LaunchTemplateVersion: versionView(t, v) };
});

export const ModifyLaunchTemplate = vpcHandler<ModifyLaunchTemplateRequest, ModifyLaunchTemplateResult>((input, s) => {
  const t = findTemplate(s, input.LaunchTemplateId, input.LaunchTemplateName);
  if (input.DefaultVersion !== undefined) {
    const v = findVersion(t, input.DefaultVersion);
    dryRun(input);
    t.DefaultVersionNumber = v.VersionNumber;
    s.put(LT_KIND, t.LaunchTemplateId, t);
  } else dryRun(input);
  return { LaunchTemplate: templateView(t) };
});

export const DeleteLaunchTemplate = vpcHandler<DeleteLaunchTemplateRequest, DeleteLaunchTemplateResult>((input, s) => {
  const t = findTemplate(s, input.LaunchTemplateId, input.LaunchTemplateName);
  dryRun(input);
  s.delete(LT_KIND, t.LaunchTemplateId);
  return { LaunchTemplate: templateView(t) };
});

export const DeleteLaunchTemplateVersions = vpcHandler<DeleteLaunchTemplateVersionsRequest, DeleteLaunchTemplateVersionsResult>((input, s) => {
  const t = findTemplate(s, input.LaunchTemplateId, input.LaunchTemplateName);
  if (!input.Versions?.length) throw new AwsError("MissingParameter", "The request must contain the parameter LaunchTemplateVersion", 400);
  dryRun(input);
  const ok: NonNullable<DeleteLaunchTemplateVersionsResult["SuccessfullyDeletedLaunchTemplateVersions"]> = [];
  const bad: NonNullable<DeleteLaunchTemplateVersionsResult["UnsuccessfullyDeletedLaunchTemplateVersions"]> = [];
  for (const raw of input.Versions) {
    const n = Number(raw);
    const base = { LaunchTemplateId: t.LaunchTemplateId, LaunchTemplateName: t.LaunchTemplateName, VersionNumber: Number.isInteger(n) ? n : undefined };
    if (n === t.DefaultVersionNumber) {
      bad.push({ ...base, ResponseError: { Code: "unexpectedError", Message: "Cannot delete the default version of a launch template." } });
    } else if (!t.versions.some((v) => v.VersionNumber === n)) {
      bad.push({ ...base, ResponseError: { Code: "launchTemplateVersionDoesNotExist", Message: `The specified launch template version does not exist.` } });
    } else {
      t.versions = t.versions.filter((v) => v.VersionNumber !== n);
      ok.push(base);
    }
  }
  // The latest number stays (AWS never reuses version numbers).
  s.put(LT_KIND, t.LaunchTemplateId, t);
  return { SuccessfullyDeletedLaunchTemplateVersions: ok, UnsuccessfullyDeletedLaunchTemplateVersions: bad };
});

export const DescribeLaunchTemplates = vpcHandler<DescribeLaunchTemplatesRequest, DescribeLaunchTemplatesResult>((input, s) => {
  dryRun(input);
  if ((input.LaunchTemplateIds?.length || input.LaunchTemplateNames?.length) && input.MaxResults !== undefined) {
    throw new AwsError("InvalidParameterCombination", "The parameter launchTemplateIds or launchTemplateNames cannot be used with the parameter maxResults", 400);
  }
  let docs = s.all<TemplateDoc>(LT_KIND);
  if (input.LaunchTemplateIds?.length) docs = input.LaunchTemplateIds.map((id) => findTemplate(s, id, undefined));
  if (input.LaunchTemplateNames?.length) {
    const byName = new Map(docs.map((t) => [t.LaunchTemplateName, t]));
    if (input.LaunchTemplateNames.some((n) => !byName.has(n))) {
      throw new AwsError("InvalidLaunchTemplateName.NotFoundException", "At least one of the launch templates specified in the request does not exist.", 400);
    }
    docs = input.LaunchTemplateNames.map((n) => byName.get(n)!);
  }
  docs = applyFilters(docs, input.Filters, { "launch-template-name": (t) => t.LaunchTemplateName, "create-time": (t) => t.createTime }, (t) => tagMap(t.Tags));
  const { page, next } = paginate(docs, (t) => t.LaunchTemplateId, input, 1, 200);
  return { LaunchTemplates: page.map(templateView), NextToken: next };
});

export const DescribeLaunchTemplateVersions = vpcHandler<DescribeLaunchTemplateVersionsRequest, DescribeLaunchTemplateVersionsResult>((input, s) => {
  dryRun(input);
  const t = findTemplate(s, input.LaunchTemplateId, input.LaunchTemplateName);
  checkMaxResults(input.MaxResults, 1, 200);
  let versions = input.Versions?.length ? [...new Set(input.Versions.map((v) => findVersion(t, v)))] : [...t.versions];
  const min = input.MinVersion !== undefined ? Number(input.MinVersion) : undefined;
  const max = input.MaxVersion !== undefined ? Number(input.MaxVersion) : undefined;
  if (min !== undefined) versions = versions.filter((v) => v.VersionNumber >= min);
  if (max !== undefined) versions = versions.filter((v) => v.VersionNumber <= max);
  versions = applyFilters(versions, input.Filters, {
    "create-time": (v) => v.createTime,
    "image-id": (v) => v.LaunchTemplateData.ImageId,
    "instance-type": (v) => v.LaunchTemplateData.InstanceType,
    "is-default-version": (v) => v.VersionNumber === t.DefaultVersionNumber,
    "kernel-id": (v) => v.LaunchTemplateData.KernelId,
    "ram-disk-id": (v) => v.LaunchTemplateData.RamDiskId,
    "ebs-optimized": (v) => v.LaunchTemplateData.EbsOptimized,
    "iam-instance-profile": (v) => v.LaunchTemplateData.IamInstanceProfile?.Arn ?? v.LaunchTemplateData.IamInstanceProfile?.Name,
    "disable-api-termination": (v) => v.LaunchTemplateData.DisableApiTermination,
    "disable-api-stop": (v) => v.LaunchTemplateData.DisableApiStop,
    "host-resource-group-arn": () => undefined,
    "license-configuration-arn": () => undefined,
    "network-card-index": () => undefined,
  });
  versions.sort((a, b) => a.VersionNumber - b.VersionNumber);
  const pad = (n: number) => String(n).padStart(6, "0");
  const { page, next } = paginate(versions, (v) => pad(v.VersionNumber), input, 1, 200);
  return { LaunchTemplateVersions: page.map((v) => versionView(t, v)), NextToken: next };
});

/**
 * RunInstances with a LaunchTemplate: the version's data as the base, every parameter the call
 * gives replacing the template's (AWS: "parameters specified in RunInstances override the same
 * parameters in the launch template"); tag specifications replace per resource type. Instances
 * are tagged aws:ec2launchtemplate:id and :version, as on AWS.
 */
export function fromTemplate(s: Ec2State, spec: LaunchTemplateSpecification, input: RunInstancesRequest): { input: RunInstancesRequest; systemTags: Tag[] } {
  const t = findTemplate(s, spec.LaunchTemplateId, spec.LaunchTemplateName);
  const v = findVersion(t, spec.Version);
  const data = v.LaunchTemplateData;
  const base: RunInstancesRequest = {
    ...(data as unknown as RunInstancesRequest),
    MinCount: input.MinCount,
    MaxCount: input.MaxCount,
  };
  delete (base as unknown as Record<string, unknown>).TagSpecifications;
  const merged: RunInstancesRequest = { ...base };
  for (const [k, val] of Object.entries(input)) if (val !== undefined && k !== "LaunchTemplate") (merged as unknown as Record<string, unknown>)[k] = val;
  // Explicit subnet or groups on RunInstances replace the template's interface choices.
  if ((input.SubnetId || input.SecurityGroupIds?.length) && merged.NetworkInterfaces && !input.NetworkInterfaces) {
    merged.NetworkInterfaces = merged.NetworkInterfaces.map((n) => ({ ...n, ...(input.SubnetId ? { SubnetId: undefined } : {}), ...(input.SecurityGroupIds?.length ? { Groups: undefined } : {}) }));
  }
  const specs = new Map<string, Tag[]>();
  for (const ts of data.TagSpecifications ?? []) specs.set(ts.ResourceType!, ts.Tags ?? []);
  for (const ts of input.TagSpecifications ?? []) specs.set(ts.ResourceType!, ts.Tags ?? []);
  merged.TagSpecifications = [...specs].map(([ResourceType, Tags]) => ({ ResourceType: ResourceType as "instance", Tags }));
  if (!merged.TagSpecifications.length) merged.TagSpecifications = undefined;
  return {
    input: merged,
    systemTags: [
      { Key: "aws:ec2launchtemplate:id", Value: t.LaunchTemplateId },
      { Key: "aws:ec2launchtemplate:version", Value: String(v.VersionNumber) },
    ],
  };
}
