// RunInstances: validates as AWS does, records the reservation's instances as `pending` (each
// with its primary network interface and, where the subnet maps one, a public IP on a host
// loopback address) in one transaction, then boots them through the fleet after the answer.
// ClientToken makes a retry return the first reservation.
import type { IamInstanceProfileSpecification, InstanceMetadataOptionsRequest, Reservation, RunInstancesRequest, Tag } from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { createInterface, privateDnsName } from "./network-interfaces.js";
import { dryRun, invalid, mergeTags, tagsOnCreate, validateTags } from "../vpc/common.js";
import { ensureDefaultVpc } from "../vpc/handler.js";
import { newId, wellFormed } from "../vpc/ids.js";
import { malformed, need, notFound, RES } from "../vpc/lookup.js";
import { allocatePublicIp } from "../vpc/public-ips.js";
import { KIND, stateOf, type Ec2State, type KeyDoc, type SgDoc, type SubnetDoc, type VpcDoc } from "../vpc/store.js";
import { allImages, findImage } from "./images.js";
import { loginUserOf, type ImageDoc } from "../instances/images.js";
import { makeVolumes, planVolumes } from "./block-device-mappings.js";
import { fromTemplate } from "./launch-templates.js";
import { setStatus, SIR_KIND, type SpotRequestDoc } from "../instances/spot-requests.js";
import { materialize } from "./volumes.js";
import type { SnapshotDoc, VolumeDoc } from "../volumes/store.js";
import { fleetOf } from "../instances/registry.js";
import { INSTANCE_KIND, setState, type InstanceDoc } from "../instances/store.js";
import { instanceType } from "../instances/types.js";
import { reservationsOf } from "../instances/view.js";
import { zoneId } from "../regions.js";

/** AWS limits user data to 16 KB before base64 encoding. */
const USER_DATA_MAX = 16_384;

interface Profile {
  Arn: string;
  Id: string;
  roleName?: string;
  roleArn?: string;
}

async function resolveProfile(ctx: RequestContext, spec: IamInstanceProfileSpecification): Promise<Profile> {
  const name = spec.Name ?? spec.Arn?.split("/").pop();
  const bad = () => invalid(`Value (${spec.Name ?? spec.Arn}) for parameter iamInstanceProfile.${spec.Name ? "name" : "arn"} is invalid. Invalid IAM Instance Profile ${spec.Name ? "name" : "ARN"}`);
  if (!name) throw bad();
  let out: { InstanceProfile?: { Arn: string; InstanceProfileId: string; Roles?: Array<{ RoleName: string; Arn: string }> } };
  try {
    out = await ctx.client.call("iam", "GetInstanceProfile", { InstanceProfileName: name }, { accountId: ctx.accountId, region: ctx.region });
  } catch {
    throw bad();
  }
  const p = out.InstanceProfile!;
  if (spec.Arn && spec.Arn !== p.Arn) throw bad();
  const role = p.Roles?.[0];
  return { Arn: p.Arn, Id: p.InstanceProfileId, roleName: role?.RoleName, roleArn: role?.Arn };
}

function metadataOptions(m: InstanceMetadataOptionsRequest | undefined, imdsV2Image: boolean): NonNullable<InstanceDoc["MetadataOptions"]> {
  const tokens = m?.HttpTokens ?? (imdsV2Image ? "required" : "optional");
  if (!["optional", "required"].includes(tokens)) throw invalid(`Value (${tokens}) for parameter HttpTokens is invalid.`);
  const hop = m?.HttpPutResponseHopLimit ?? (imdsV2Image ? 2 : 1);
  if (hop < 1 || hop > 64) throw invalid(`The HttpPutResponseHopLimit value must be between 1 and 64.`);
  const endpoint = m?.HttpEndpoint ?? "enabled";
  if (!["enabled", "disabled"].includes(endpoint)) throw invalid(`Value (${endpoint}) for parameter HttpEndpoint is invalid.`);
  const tags = m?.InstanceMetadataTags ?? "disabled";
  if (!["enabled", "disabled"].includes(tags)) throw invalid(`Value (${tags}) for parameter InstanceMetadataTags is invalid.`);
  return { State: "applied", HttpTokens: tokens as "required", HttpPutResponseHopLimit: hop, HttpEndpoint: endpoint as "enabled", HttpProtocolIpv6: m?.HttpProtocolIpv6 ?? "disabled", InstanceMetadataTags: tags as "enabled" };
}

function pickSubnet(s: Ec2State, input: RunInstancesRequest): SubnetDoc {
  const nic = input.NetworkInterfaces?.[0];
  const id = input.SubnetId ?? nic?.SubnetId;
  if (id) return need<SubnetDoc>(s, RES.subnet, id, "SubnetId");
  const vpc = s.all<VpcDoc>(KIND.vpc).find((v) => v.IsDefault);
  if (!vpc) throw new AwsError("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.", 400);
  const az = input.Placement?.AvailabilityZone;
  const subnets = s.all<SubnetDoc>(KIND.subnet).filter((sn) => sn.VpcId === vpc.VpcId && sn.DefaultForAz);
  const subnet = az ? subnets.find((sn) => sn.AvailabilityZone === az) : subnets.sort((a, b) => (a.AvailabilityZone! < b.AvailabilityZone! ? -1 : 1))[0];
  if (!subnet) {
    if (az) throw invalid(`Invalid availability zone: [${az}]`);
    throw new AwsError("MissingInput", "No subnets found for the default VPC. Use CreateDefaultSubnet to create a default subnet.", 400);
  }
  return subnet;
}

function pickGroups(s: Ec2State, input: RunInstancesRequest, vpcId: string): SgDoc[] {
  const ids = [...(input.SecurityGroupIds ?? []), ...(input.NetworkInterfaces?.[0]?.Groups ?? [])];
  const names = input.SecurityGroups ?? [];
  const all = s.all<SgDoc>(KIND.sg);
  const out: SgDoc[] = [];
  for (const id of ids) {
    if (!wellFormed("sg", id)) throw malformed(RES.sg, id);
    const g = all.find((x) => x.GroupId === id);
    if (!g) throw notFound(RES.sg, [id]);
    if (g.VpcId !== vpcId) throw invalid(`Security group ${id} and subnet belong to different networks.`);
    out.push(g);
  }
  for (const name of names) {
    const g = all.find((x) => x.GroupName === name && x.VpcId === vpcId);
    if (!g) throw new AwsError("InvalidGroup.NotFound", `The security group '${name}' does not exist in VPC '${vpcId}'`, 400);
    out.push(g);
  }
  if (!out.length) out.push(all.find((g) => g.VpcId === vpcId && g.GroupName === "default")!);
  return [...new Map(out.map((g) => [g.GroupId, g])).values()];
}

function validateCounts(input: RunInstancesRequest): { min: number; max: number } {
  const min = input.MinCount;
  const max = input.MaxCount;
  if (min === undefined) throw new AwsError("MissingParameter", "The request must contain the parameter MinCount", 400);
  if (max === undefined) throw new AwsError("MissingParameter", "The request must contain the parameter MaxCount", 400);
  if (max < 1) throw invalid("Maximum instance count must be greater than zero");
  if (min < 1) throw invalid("Minimum instance count must be greater than zero");
  if (min > max) throw invalid("Maximum instance count must be greater than or equal to minimum instance count");
  return { min, max };
}

export const RunInstances: Handler<RunInstancesRequest, Reservation> = async (given, ctx) => {
  const fleet = fleetOf(ctx);
  const scope = `${ctx.accountId}/${ctx.region}`;
  const { min, max } = validateCounts(given);
  // 0. A launch template's data under the call's own parameters.
  const { input, systemTags } = given.LaunchTemplate
    ? ctx.store.tx(() => {
        const s = stateOf(ctx);
        ensureDefaultVpc(s);
        return fromTemplate(s, given.LaunchTemplate!, given);
      })
    : { input: given, systemTags: [] };
  const profile = input.IamInstanceProfile && (input.IamInstanceProfile.Arn || input.IamInstanceProfile.Name) ? await resolveProfile(ctx, input.IamInstanceProfile) : undefined;
  const launched: string[] = [];
  // Extra volumes' files are made before their instance boots.
  const made = new Map<string, Array<{ v: VolumeDoc; snap?: SnapshotDoc }>>();
  const reservation = ctx.store.tx(() => {
    const s = stateOf(ctx);
    ensureDefaultVpc(s);
    // 1. Idempotency: the same ClientToken answers the reservation it made.
    if (input.ClientToken) {
      if (input.ClientToken.length > 64) throw invalid("Client token must not be longer than 64 characters");
      const prior = s.all<InstanceDoc>(INSTANCE_KIND).filter((d) => d.clientToken === input.ClientToken).sort((a, b) => (a.AmiLaunchIndex ?? 0) - (b.AmiLaunchIndex ?? 0));
      if (prior.length) {
        if (prior[0].ImageId !== input.ImageId || (input.InstanceType && prior[0].InstanceType !== input.InstanceType)) {
          throw new AwsError("IdempotentParameterMismatch", `Arguments on this idempotent request are inconsistent with arguments used in previous request(s).`, 400);
        }
        return reservationsOf(prior)[0];
      }
    }
    // 2. Image, type, key, user data.
    if (!input.ImageId) throw new AwsError("MissingParameter", "The request must contain the parameter ImageId", 400);
    const image = findImage(s, input.ImageId);
    if (image.State !== "available") throw new AwsError("InvalidAMIID.Unavailable", `The image id '[${image.ImageId}]' is not available`, 400);
    const typeName = input.InstanceType ?? "m1.small";
    const type = instanceType(typeName);
    if (!type) throw invalid(`Invalid value '${typeName}' for InstanceType.`);
    if (image.Architecture && image.Architecture !== type.arch) {
      throw invalid(`The architecture '${type.arch}' of the specified instance type does not match the architecture '${image.Architecture}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI.`);
    }
    let key: KeyDoc | undefined;
    if (input.KeyName) {
      key = s.all<KeyDoc>(KIND.key).find((k) => k.KeyName === input.KeyName);
      if (!key) throw new AwsError("InvalidKeyPair.NotFound", `The key pair '${input.KeyName}' does not exist`, 400);
    }
    if (input.UserData !== undefined) {
      const raw = Buffer.from(input.UserData, "base64");
      if (raw.length > USER_DATA_MAX) throw invalid(`User data is limited to ${USER_DATA_MAX} bytes`);
    }
    if (input.InstanceInitiatedShutdownBehavior && !["stop", "terminate"].includes(input.InstanceInitiatedShutdownBehavior)) {
      throw invalid(`Value (${input.InstanceInitiatedShutdownBehavior}) for parameter instanceInitiatedShutdownBehavior is invalid.`);
    }
    // 3. Network: subnet (or the default subnet), groups of its VPC, addresses.
    const subnet = pickSubnet(s, input);
    if (input.Placement?.AvailabilityZone && input.Placement.AvailabilityZone !== subnet.AvailabilityZone) {
      throw invalid(`The specified subnet ${subnet.SubnetId} is not in the availability zone ${input.Placement.AvailabilityZone}.`);
    }
    const groups = pickGroups(s, input, subnet.VpcId);
    const nic = input.NetworkInterfaces?.[0];
    const privateIp = input.PrivateIpAddress ?? nic?.PrivateIpAddress;
    if (privateIp && max > 1) throw invalid("Cannot specify a private IP address when launching more than one instance");
    const publicIp = nic?.AssociatePublicIpAddress ?? subnet.MapPublicIpOnLaunch ?? false;
    const metadata = metadataOptions(input.MetadataOptions, image.ImdsSupport === "v2.0");
    const market = input.InstanceMarketOptions;
    if (market?.MarketType && market.MarketType !== "spot") throw invalid(`Value (${market.MarketType}) for parameter InstanceMarketOptions.MarketType is invalid.`);
    const spotOpts = market?.MarketType === "spot" ? market.SpotOptions ?? {} : undefined;
    const spotType = (spotOpts?.SpotInstanceType ?? "one-time") as "one-time" | "persistent";
    const behavior = (spotOpts?.InstanceInterruptionBehavior ?? "terminate") as "terminate" | "stop" | "hibernate";
    if (spotOpts && behavior !== "terminate" && spotType !== "persistent") {
      throw new AwsError("InvalidParameterCombination", `The specified instance interruption behavior '${behavior}' is not supported for one-time Spot Instance requests. Specify a persistent request type.`, 400);
    }
    // 4. Tags on create: instance and network-interface specifications.
    const tags = [...tagsOnCreate(input.TagSpecifications, "instance", ["volume", "network-interface", "spot-instances-request"]), ...systemTags];
    const volumeTags = mergeTags([], validateTags(input.TagSpecifications?.find((t) => t.ResourceType === "volume")?.Tags));
    const plans = planVolumes(s, image, input.BlockDeviceMappings);
    const eniTags = mergeTags([], validateTags(input.TagSpecifications?.find((t) => t.ResourceType === "network-interface")?.Tags));
    dryRun(input);

    // 5. The instances: as many as fit between MinCount and MaxCount.
    const reservationId = newId("r");
    const now = new Date(ctx.clock.now()).toISOString();
    const docs: InstanceDoc[] = [];
    for (let index = 0; index < max; index++) {
      const InstanceId = newId("i");
      let eni;
      try {
        eni = createInterface(s, subnet, { privateIp, groups: groups.map((g) => g.GroupId), tags: eniTags as Tag[], description: "" });
      } catch (e) {
        if (index >= min && (e as AwsError).code === "InsufficientFreeAddressesInSubnet") break;
        throw e;
      }
      const pub = publicIp ? allocatePublicIp(s, InstanceId) : undefined;
      eni.Status = "in-use";
      eni.Attachment = { AttachmentId: newId("eni-attach"), AttachTime: new Date(now), DeleteOnTermination: true, DeviceIndex: 0, NetworkCardIndex: 0, InstanceId, InstanceOwnerId: s.accountId, Status: "attached" };
      if (pub) eni.Association = { IpOwnerId: "amazon", PublicIp: pub, PublicDnsName: publicDns(s.region, pub) };
      s.put(KIND.eni, eni.NetworkInterfaceId, eni);
      const sgs = groups.map((g) => ({ GroupId: g.GroupId, GroupName: g.GroupName }));
      const d: InstanceDoc = {
        InstanceId,
        ImageId: image.ImageId,
        InstanceType: typeName as InstanceDoc["InstanceType"],
        KeyName: key?.KeyName,
        AmiLaunchIndex: index,
        Placement: { AvailabilityZone: subnet.AvailabilityZone, AvailabilityZoneId: zoneId(subnet.AvailabilityZone!), GroupName: "", Tenancy: "default" },
        PrivateDnsName: privateDnsName(s.region, eni.PrivateIpAddress),
        PrivateIpAddress: eni.PrivateIpAddress,
        PublicDnsName: pub ? publicDns(s.region, pub) : "",
        PublicIpAddress: pub,
        ProductCodes: [],
        State: { Code: 0, Name: "pending" },
        StateTransitionReason: "",
        SubnetId: subnet.SubnetId,
        VpcId: subnet.VpcId,
        Architecture: type.arch,
        BlockDeviceMappings: [],
        EbsOptimized: input.EbsOptimized ?? false,
        EnaSupport: true,
        Hypervisor: "xen",
        IamInstanceProfile: profile ? { Arn: profile.Arn, Id: profile.Id } : undefined,
        NetworkInterfaces: [
          {
            NetworkInterfaceId: eni.NetworkInterfaceId,
            SubnetId: subnet.SubnetId,
            VpcId: subnet.VpcId,
            Description: "",
            OwnerId: s.accountId,
            Status: "in-use",
            MacAddress: eni.MacAddress,
            PrivateIpAddress: eni.PrivateIpAddress,
            PrivateDnsName: eni.PrivateDnsName,
            SourceDestCheck: true,
            Groups: sgs,
            Attachment: { AttachmentId: eni.Attachment.AttachmentId, AttachTime: new Date(now), DeleteOnTermination: true, DeviceIndex: 0, NetworkCardIndex: 0, Status: "attached" },
            Association: pub ? { IpOwnerId: "amazon", PublicIp: pub, PublicDnsName: publicDns(s.region, pub) } : undefined,
            PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: eni.PrivateIpAddress, PrivateDnsName: eni.PrivateDnsName, Association: pub ? { IpOwnerId: "amazon", PublicIp: pub, PublicDnsName: publicDns(s.region, pub) } : undefined }],
            Ipv6Addresses: [],
            InterfaceType: "interface",
          },
        ],
        mac: eni.MacAddress!,
        RootDeviceName: image.RootDeviceName,
        RootDeviceType: "ebs",
        SecurityGroups: sgs,
        SourceDestCheck: true,
        VirtualizationType: "hvm",
        CpuOptions: { CoreCount: type.vcpus > 1 && type.arch === "x86_64" && !type.name.startsWith("t2") ? type.vcpus / 2 : type.vcpus, ThreadsPerCore: type.vcpus > 1 && type.arch === "x86_64" && !type.name.startsWith("t2") ? 2 : 1 },
        CapacityReservationSpecification: { CapacityReservationPreference: "open" },
        HibernationOptions: { Configured: false },
        MetadataOptions: metadata,
        EnclaveOptions: { Enabled: false },
        PlatformDetails: "Linux/UNIX",
        UsageOperation: "RunInstances",
        PrivateDnsNameOptions: { HostnameType: "ip-name", EnableResourceNameDnsARecord: false, EnableResourceNameDnsAAAARecord: false },
        MaintenanceOptions: { AutoRecovery: "default" },
        CurrentInstanceBootMode: "legacy-bios",
        Monitoring: { State: input.Monitoring?.Enabled ? "pending" : "disabled" },
        Tags: tags,
        launchTime: now,
        reservationId,
        ownerId: s.accountId,
        userData: input.UserData,
        disableApiTermination: input.DisableApiTermination ?? false,
        disableApiStop: input.DisableApiStop ?? false,
        shutdownBehavior: (input.InstanceInitiatedShutdownBehavior as "stop" | "terminate") ?? "stop",
        eniId: eni.NetworkInterfaceId,
        mapPublicIp: !!pub,
        roleName: profile?.roleName,
        roleArn: profile?.roleArn,
        clientToken: input.ClientToken,
        publicKey: key?.publicKey,
        loginUser: key ? loginUser(s, image) : undefined,
        ...(spotOpts ? { InstanceLifecycle: "spot" as const, SpotInstanceRequestId: newId("sir"), spot: { requestId: "", behavior, type: spotType, maxPrice: spotOpts.MaxPrice } } : {}),
      };
      if (d.spot) {
        // A spot instance launched by RunInstances has a one-instance request of its own, fulfilled.
        d.SpotInstanceRequestId = d.SpotInstanceRequestId!.slice(0, 12);
        d.spot.requestId = d.SpotInstanceRequestId;
        const sir: SpotRequestDoc = {
          SpotInstanceRequestId: d.SpotInstanceRequestId, SpotPrice: spotOpts?.MaxPrice, Type: spotType, State: "active", status: { Code: "", Message: "", UpdateTime: "" },
          createTime: now, launch: { ImageId: image.ImageId, InstanceType: typeName as "t3.micro", KeyName: key?.KeyName, Placement: { AvailabilityZone: subnet.AvailabilityZone }, SubnetId: subnet.SubnetId },
          InstanceInterruptionBehavior: behavior, InstanceId, LaunchedAvailabilityZone: subnet.AvailabilityZone,
        };
        setStatus(sir, "fulfilled", ctx.clock.now());
        s.put(SIR_KIND, sir.SpotInstanceRequestId, sir);
      }
      const vols = makeVolumes(s, d, plans, ctx.clock.now(), volumeTags.length ? volumeTags : undefined);
      made.set(InstanceId, vols.filter((v) => !v.root).map((v) => ({ v, snap: plans.find((p) => p.device === v.attachment!.Device)?.snapshot })));
      setState(d, "pending", { transition: "" });
      s.put(INSTANCE_KIND, InstanceId, d);
      docs.push(d);
      launched.push(InstanceId);
    }
    return reservationsOf(docs)[0];
  });
  // 6. Boot after the commit; the answer says pending, as AWS's does.
  for (const id of launched) {
    const extra = made.get(id) ?? [];
    if (!extra.length) void fleet.boot(scope, id);
    else void Promise.all(extra.map((x) => materialize(fleet, scope, x.v, x.snap))).then(() => fleet.boot(scope, id));
  }
  return reservation;
};

/** ec2-127-64-1-2.compute-1.amazonaws.com in us-east-1, ec2-...<region>.compute.amazonaws.com elsewhere. */
/** The default user of an image: a custom image's is the one of the public image it descends from. */
function loginUser(s: Ec2State, image: ImageDoc): string {
  const all = allImages(s);
  let img: ImageDoc | undefined = image;
  for (let i = 0; i < 20 && img?.parent; i++) img = all.find((x) => x.ImageId === img!.parent);
  return loginUserOf((img ?? image).Name);
}

export function publicDns(region: string, ip: string): string {
  return `ec2-${ip.replace(/\./g, "-")}.${region === "us-east-1" ? "compute-1.amazonaws.com" : `${region}.compute.amazonaws.com`}`;
}
