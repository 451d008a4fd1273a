// DescribeRegions and DescribeAvailabilityZones.
import type {
  DescribeRegionsRequest,
  DescribeRegionsResult,
  DescribeAvailabilityZonesRequest,
  DescribeAvailabilityZonesResult,
  AvailabilityZone,
  Region,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import { applyFilters } from "../filters.js";
import { REGIONS, regionInfo, zoneId } from "../regions.js";

export const DescribeRegions: Handler<DescribeRegionsRequest, DescribeRegionsResult> = (input) => {
  let regions = REGIONS.filter((r) => input.AllRegions || !r.optIn);
  if (input.RegionNames?.length) {
    for (const name of input.RegionNames) {
      if (!regionInfo(name)) throw new AwsError("InvalidParameterValue", `Invalid region: ${name}`, 400);
    }
    regions = REGIONS.filter((r) => input.RegionNames!.includes(r.name));
  }
  const items: Region[] = regions.map((r) => ({
    RegionName: r.name,
    Endpoint: `ec2.${r.name}.amazonaws.com`,
    OptInStatus: r.optIn ? "not-opted-in" : "opt-in-not-required",
  }));
  return {
    Regions: applyFilters(items, input.Filters, {
      "region-name": (r) => r.RegionName,
      endpoint: (r) => r.Endpoint,
      "opt-in-status": (r) => r.OptInStatus,
    }),
  };
};

export const DescribeAvailabilityZones: Handler<DescribeAvailabilityZonesRequest, DescribeAvailabilityZonesResult> = (input, ctx) => {
  const region = regionInfo(ctx.region) ?? regionInfo("us-east-1")!;
  let zones: AvailabilityZone[] = region.zones.map((z) => ({
    ZoneName: z,
    ZoneId: zoneId(z),
    State: "available",
    OptInStatus: "opt-in-not-required",
    Messages: [],
    RegionName: region.name,
    GroupName: region.name,
    NetworkBorderGroup: region.name,
    ZoneType: "availability-zone",
    GroupLongName: region.name,
  }));
  const byName = input.ZoneNames ?? [];
  const byId = input.ZoneIds ?? [];
  for (const n of byName) if (!zones.some((z) => z.ZoneName === n)) throw new AwsError("InvalidParameterValue", `The zone '${n}' does not exist.`, 400);
  for (const n of byId) if (!zones.some((z) => z.ZoneId === n)) throw new AwsError("InvalidParameterValue", `The zone '${n}' does not exist.`, 400);
  if (byName.length || byId.length) zones = zones.filter((z) => byName.includes(z.ZoneName!) || byId.includes(z.ZoneId!));
  return {
    AvailabilityZones: applyFilters(zones, input.Filters, {
      "zone-name": (z) => z.ZoneName,
      "zone-id": (z) => z.ZoneId,
      state: (z) => z.State,
      "region-name": (z) => z.RegionName,
      "group-name": (z) => z.GroupName,
      "zone-type": (z) => z.ZoneType,
      "opt-in-status": (z) => z.OptInStatus,
      "network-border-group": (z) => z.NetworkBorderGroup,
      "message": (z) => z.Messages?.map((m) => m.Message),
    }),
  };
};
