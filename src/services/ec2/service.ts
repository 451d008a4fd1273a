// EC2 seed: regions and zones. Instances, VPCs and the rest arrive with the EC2 issue.
import { defineService } from "../../core/service.js";
import { DescribeAvailabilityZones, DescribeRegions } from "./handlers/regions.js";

export const ec2 = defineService({
  name: "ec2",
  handlers: { DescribeRegions, DescribeAvailabilityZones },
});
