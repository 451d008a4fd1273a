// DescribeImages (the public images of the region and the account's own, by owners, ids,
// executable users and filters) and DescribeInstanceTypes.
import type {
  DescribeImagesRequest, DescribeImagesResult, DescribeInstanceTypesRequest, DescribeInstanceTypesResult, DescribeSpotPriceHistoryRequest,
  DescribeSpotPriceHistoryResult, Image,
} from "@aws-sdk/client-ec2";
import { regionInfo } from "../regions.js";
import { priceHistory } from "../instances/spot.js";
import { AwsError } from "../../../core/errors.js";
import { applyFilters } from "../filters.js";
import { dryRun, invalid, paginate, tagMap, tagsOut } from "../vpc/common.js";
import { vpcHandler } from "../vpc/handler.js";
import { wellFormed } from "../vpc/ids.js";
import { malformed, notFound, RES } from "../vpc/lookup.js";
import type { Ec2State } from "../vpc/store.js";
import { publicImages, type ImageDoc } from "../instances/images.js";
import { INSTANCE_TYPES, typeView, type TypeSpec } from "../instances/types.js";

export { IMAGE_KIND } from "../instances/images.js";
import { IMAGE_KIND } from "../instances/images.js";

/** Every image the account can launch in the region: public ones and its own. */
export function allImages(s: Ec2State): ImageDoc[] {
  return [...publicImages(s.region), ...s.all<ImageDoc>(IMAGE_KIND)];
}

export function findImage(s: Ec2State, id: string): ImageDoc {
  if (!wellFormed("ami", id)) throw malformed(RES.image, id);
  const img = allImages(s).find((i) => i.ImageId === id && i.State !== "deregistered");
  if (!img) throw notFound(RES.image, [id]);
  return img;
}

export function imageView(d: ImageDoc): Image {
  const { layer, parent, Tags, ...rest } = d;
  void [layer, parent];
  return { ...rest, Tags: tagsOut(Tags) };
}

export const DescribeImages = vpcHandler<DescribeImagesRequest, DescribeImagesResult>((input, s) => {
  dryRun(input);
  let images = allImages(s);
  if (input.ImageIds?.length) {
    for (const id of input.ImageIds) if (!wellFormed("ami", id)) throw malformed(RES.image, id);
    const missing = input.ImageIds.filter((id) => !images.some((i) => i.ImageId === id));
    if (missing.length) throw notFound(RES.image, missing);
    images = images.filter((i) => input.ImageIds!.includes(i.ImageId));
  }
  if (input.Owners?.length) {
    images = images.filter((i) =>
      input.Owners!.some((o) => (o === "self" ? i.OwnerId === s.accountId : o === i.OwnerId || (o === "amazon" && i.ImageOwnerAlias === "amazon") || o === i.ImageOwnerAlias)),
    );
  }
  if (input.ExecutableUsers?.length) {
    images = images.filter((i) => i.Public || input.ExecutableUsers!.some((u) => u === "self" || u === i.OwnerId));
  }
  const filtered = applyFilters(
    images,
    input.Filters,
    {
      "image-id": (i) => i.ImageId,
      name: (i) => i.Name,
      "owner-id": (i) => i.OwnerId,
      "owner-alias": (i) => i.ImageOwnerAlias,
      architecture: (i) => i.Architecture,
      state: (i) => i.State,
      "root-device-type": (i) => i.RootDeviceType,
      "root-device-name": (i) => i.RootDeviceName,
      "virtualization-type": (i) => i.VirtualizationType,
      "platform-details": (i) => i.PlatformDetails,
      "image-type": (i) => i.ImageType,
      "is-public": (i) => String(i.Public),
      description: (i) => i.Description,
      hypervisor: (i) => i.Hypervisor,
      "ena-support": (i) => String(i.EnaSupport),
      "creation-date": (i) => i.CreationDate,
      "block-device-mapping.volume-type": (i) => (i.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeType),
      "block-device-mapping.volume-size": (i) => (i.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeSize),
      "block-device-mapping.snapshot-id": (i) => (i.BlockDeviceMappings ?? []).map((b) => b.Ebs?.SnapshotId),
    },
    (i) => tagMap(i.Tags),
  );
  filtered.sort((a, b) => (a.ImageId < b.ImageId ? -1 : 1));
  const { page, next } = paginate(filtered, (i) => i.ImageId, input, 5, 1000);
  return { Images: page.map(imageView), NextToken: next };
});

export const DescribeInstanceTypes = vpcHandler<DescribeInstanceTypesRequest, DescribeInstanceTypesResult>((input) => {
  dryRun(input);
  let types: TypeSpec[] = INSTANCE_TYPES;
  if (input.InstanceTypes?.length) {
    const missing = input.InstanceTypes.filter((t) => !INSTANCE_TYPES.some((x) => x.name === t));
    if (missing.length) throw new AwsError("InvalidInstanceType", `The following supplied instance types do not exist: [${missing.join(", ")}]`, 400);
    types = INSTANCE_TYPES.filter((t) => input.InstanceTypes!.includes(t.name as never));
  }
  if (input.MaxResults !== undefined && (input.MaxResults < 5 || input.MaxResults > 100)) {
    throw invalid(`Value ( ${input.MaxResults} ) for parameter maxResults is invalid. Parameter may be between 5 and 100.`);
  }
  const views = types.map(typeView).sort((a, b) => (a.InstanceType! < b.InstanceType! ? -1 : 1));
  const filtered = applyFilters(views, input.Filters, {
    "instance-type": (t) => t.InstanceType,
    "current-generation": (t) => String(t.CurrentGeneration),
    "free-tier-eligible": (t) => String(t.FreeTierEligible),
    "burstable-performance-supported": (t) => String(t.BurstablePerformanceSupported),
    "bare-metal": (t) => String(t.BareMetal),
    hypervisor: (t) => t.Hypervisor,
    "vcpu-info.default-vcpus": (t) => t.VCpuInfo?.DefaultVCpus,
    "vcpu-info.default-cores": (t) => t.VCpuInfo?.DefaultCores,
    "memory-info.size-in-mib": (t) => t.MemoryInfo?.SizeInMiB,
    "processor-info.supported-architecture": (t) => t.ProcessorInfo?.SupportedArchitectures,
    "supported-usage-class": (t) => t.SupportedUsageClasses,
    "supported-virtualization-type": (t) => t.SupportedVirtualizationTypes,
    "network-info.network-performance": (t) => t.NetworkInfo?.NetworkPerformance,
    "instance-storage-supported": (t) => String(t.InstanceStorageSupported),
  });
  const { page, next } = paginate(filtered, (t) => t.InstanceType!, { ...input, MaxResults: input.MaxResults }, 5, 100);
  return { InstanceTypes: page, NextToken: next };
});

export const DescribeSpotPriceHistory = vpcHandler<DescribeSpotPriceHistoryRequest, DescribeSpotPriceHistoryResult>((input, s, ctx) => {
  dryRun(input);
  const now = ctx.clock.now();
  const end = input.EndTime ? new Date(input.EndTime).getTime() : now;
  const start = input.StartTime ? new Date(input.StartTime).getTime() : end;
  if (start > end) throw invalid("The start time must be before the end time.");
  if (input.MaxResults !== undefined && (input.MaxResults < 1 || input.MaxResults > 1000)) {
    throw invalid(`Value ( ${input.MaxResults} ) for parameter maxResults is invalid. Parameter may be between 1 and 1000.`);
  }
  for (const t of input.InstanceTypes ?? []) if (!INSTANCE_TYPES.some((x) => x.name === t)) throw invalid(`Invalid value '${t}' for InstanceType.`);
  const zones = (regionInfo(s.region)?.zones ?? [`${s.region}a`]).filter((z) => !input.AvailabilityZone || z === input.AvailabilityZone);
  const descriptions = input.ProductDescriptions ?? [];
  const linux = descriptions.length === 0 || descriptions.some((d) => d === "Linux/UNIX" || d === "Linux/UNIX (Amazon VPC)");
  let points = linux ? priceHistory((input.InstanceTypes ?? []) as string[], zones, start, end) : [];
  points = applyFilters(points, input.Filters, {
    "availability-zone": (p) => p.AvailabilityZone,
    "instance-type": (p) => p.InstanceType,
    "product-description": (p) => p.ProductDescription,
    "spot-price": (p) => p.SpotPrice,
    timestamp: (p) => p.Timestamp?.toISOString(),
  });
  let offset = 0;
  if (input.NextToken) {
    const m = /^sph:(\d+)$/.exec(Buffer.from(input.NextToken, "base64url").toString("utf8"));
    if (!m) throw invalid(`Invalid value '${input.NextToken}' for nextToken`);
    offset = Number(m[1]);
  }
  const limit = input.MaxResults ?? 1000;
  const page = points.slice(offset, offset + limit);
  const next = offset + limit < points.length ? Buffer.from(`sph:${offset + limit}`).toString("base64url") : "";
  return { SpotPriceHistory: page, NextToken: next };
});
