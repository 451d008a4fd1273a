import { DescribeAvailabilityZonesCommand, DescribeRegionsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

describe("EC2 regions and zones (ec2 protocol)", () => {
  it("lists the enabled regions, and all with AllRegions", async () => {
    const ec2 = new EC2Client(sdkConfig(n.endpoint));
    const out = await ec2.send(new DescribeRegionsCommand({}));
    const names = out.Regions!.map((r) => r.RegionName);
    expect(names).toContain("us-east-1");
    expect(names).toContain("eu-west-1");
    expect(names).not.toContain("af-south-1");
    expect(out.Regions!.find((r) => r.RegionName === "us-east-1")).toEqual({
      RegionName: "us-east-1",
      Endpoint: "ec2.us-east-1.amazonaws.com",
      OptInStatus: "opt-in-not-required",
    });
    const all = await ec2.send(new DescribeRegionsCommand({ AllRegions: true }));
    expect(all.Regions!.find((r) => r.RegionName === "af-south-1")?.OptInStatus).toBe("not-opted-in");
    expect(all.Regions!.length).toBeGreaterThan(names.length);
  });

  it("filters regions by name with wildcards and by RegionNames", async () => {
    const ec2 = new EC2Client(sdkConfig(n.endpoint));
    const out = await ec2.send(new DescribeRegionsCommand({ Filters: [{ Name: "region-name", Values: ["eu-west-*"] }] }));
    expect(out.Regions!.map((r) => r.RegionName).sort()).toEqual(["eu-west-1", "eu-west-2", "eu-west-3"]);
    const two = await ec2.send(new DescribeRegionsCommand({ RegionNames: ["us-west-2", "sa-east-1"] }));
    expect(two.Regions!.map((r) => r.RegionName).sort()).toEqual(["sa-east-1", "us-west-2"]);
  });

  it("answers an unknown filter and region with AWS's errors", async () => {
    const ec2 = new EC2Client(sdkConfig(n.endpoint));
    const e1 = await ec2.send(new DescribeRegionsCommand({ Filters: [{ Name: "bogus", Values: ["x"] }] })).catch((e) => e);
    expect(e1.name).toBe("InvalidParameterValue");
    expect(e1.message).toBe("The filter 'bogus' is invalid");
    expect(e1.$metadata.httpStatusCode).toBe(400);
    const e2 = await ec2.send(new DescribeRegionsCommand({ RegionNames: ["mars-north-1"] })).catch((e) => e);
    expect(e2.name).toBe("InvalidParameterValue");
    expect(e2.message).toContain("mars-north-1");
  });

  it("lists the zones of the request's region with zone ids", async () => {
    const ec2 = new EC2Client(sdkConfig(n.endpoint, { region: "eu-central-1" }));
    const out = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    expect(out.AvailabilityZones!.map((z) => z.ZoneName)).toEqual(["eu-central-1a", "eu-central-1b", "eu-central-1c"]);
    const a = out.AvailabilityZones![0];
    expect(a.ZoneId).toBe("euc1-az1");
    expect(a.State).toBe("available");
    expect(a.RegionName).toBe("eu-central-1");
    expect(a.ZoneType).toBe("availability-zone");
    const use1 = new EC2Client(sdkConfig(n.endpoint, { region: "us-east-1" }));
    const f = await use1.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: "zone-id", Values: ["use1-az2", "use1-az6"] }] }));
    expect(f.AvailabilityZones!.map((z) => z.ZoneName)).toEqual(["us-east-1b", "us-east-1f"]);
    const byName = await use1.send(new DescribeAvailabilityZonesCommand({ ZoneNames: ["us-east-1c"] }));
    expect(byName.AvailabilityZones!.map((z) => z.ZoneId)).toEqual(["use1-az3"]);
  });
});
