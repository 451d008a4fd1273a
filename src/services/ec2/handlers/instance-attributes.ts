// DescribeInstanceStatus, GetConsoleOutput, ModifyInstanceAttribute, DescribeInstanceAttribute,
// ModifyInstanceMetadataOptions.
import type {
  DescribeInstanceAttributeRequest, DescribeInstanceStatusRequest, DescribeInstanceStatusResult, GetConsoleOutputRequest, GetConsoleOutputResult,
  InstanceAttribute, InstanceStatus, ModifyInstanceAttributeRequest, ModifyInstanceMetadataOptionsRequest, ModifyInstanceMetadataOptionsResult,
} from "@aws-sdk/client-ec2";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import { applyFilters } from "../filters.js";
import { dryRun, invalid, paginate } from "../vpc/common.js";
import { wellFormed } from "../vpc/ids.js";
import { malformed, notFound, RES } from "../vpc/lookup.js";
import { KIND, stateOf, type EniDoc, type SgDoc } from "../vpc/store.js";
import { fleetOf } from "../instances/registry.js";
import { INSTANCE_KIND, type InstanceDoc } from "../instances/store.js";
import { instanceType } from "../instances/types.js";
import { liveInstances, needInstances } from "../instances/view.js";

/** GetConsoleOutput answers the last 64 KB, as AWS does. */
const CONSOLE_MAX = 64 * 1024;

export const DescribeInstanceStatus: Handler<DescribeInstanceStatusRequest, DescribeInstanceStatusResult> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  return ctx.store.tx(() => {
    const s = stateOf(ctx);
    dryRun(input);
    if (input.InstanceIds?.length && input.MaxResults !== undefined) {
      throw new AwsError("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults", 400);
    }
    let docs = liveInstances(s, ctx.clock.now());
    if (input.InstanceIds?.length) {
      for (const id of input.InstanceIds) if (!wellFormed("i", id)) throw malformed(RES.instance, id);
      const missing = input.InstanceIds.filter((id) => !docs.some((d) => d.InstanceId === id));
      if (missing.length) throw notFound(RES.instance, missing);
      docs = docs.filter((d) => input.InstanceIds!.includes(d.InstanceId));
    }
    // Without IncludeAllInstances only running instances are described.
    if (!input.IncludeAllInstances) docs = docs.filter((d) => d.State.Name === "running");
    const statuses: InstanceStatus[] = docs.map((d) => {
      const running = d.State.Name === "running";
      const up = running && fleet.isRunning(d.InstanceId);
      const status = !running ? "not-applicable" : up ? "ok" : "impaired";
      const detail = !running ? undefined : [{ Name: "reachability" as const, Status: up ? ("passed" as const) : ("failed" as const) }];
      return {
        InstanceId: d.InstanceId,
        AvailabilityZone: d.Placement?.AvailabilityZone,
        AvailabilityZoneId: d.Placement?.AvailabilityZoneId,
        InstanceState: { ...d.State },
        InstanceStatus: { Status: status, Details: detail },
        SystemStatus: { Status: status, Details: detail },
        AttachedEbsStatus: { Status: status, Details: detail },
        Events: [],
      };
    });
    const filtered = applyFilters(statuses, input.Filters, {
      "availability-zone": (x) => x.AvailabilityZone,
      "instance-state-name": (x) => x.InstanceState?.Name,
      "instance-state-code": (x) => x.InstanceState?.Code,
      "instance-status.status": (x) => x.InstanceStatus?.Status,
      "instance-status.reachability": (x) => x.InstanceStatus?.Details?.[0]?.Status,
      "system-status.status": (x) => x.SystemStatus?.Status,
      "system-status.reachability": (x) => x.SystemStatus?.Details?.[0]?.Status,
    });
    const { page, next } = paginate(filtered, (x) => x.InstanceId!, input, 5, 1000);
    return { InstanceStatuses: page, NextToken: next };
  });
};

export const GetConsoleOutput: Handler<GetConsoleOutputRequest, GetConsoleOutputResult> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const d = ctx.store.tx(() => needInstances(stateOf(ctx), input.InstanceId ? [input.InstanceId] : undefined, ctx.clock.now())[0]);
  dryRun(input);
  let text: Buffer | undefined;
  try {
    const fd = openSync(fleet.consolePath(d.InstanceId), "r");
    try {
      const size = fstatSync(fd).size;
      const len = Math.min(size, CONSOLE_MAX);
      text = Buffer.alloc(len);
      readSync(fd, text, 0, len, size - len);
    } finally {
      closeSync(fd);
    }
  } catch {
    text = undefined;
  }
  return { InstanceId: d.InstanceId, Timestamp: new Date(ctx.clock.now()), Output: text?.length ? text.toString("base64") : undefined };
};

const ATTRIBUTES = [
  "instanceType", "kernel", "ramdisk", "userData", "disableApiTermination", "instanceInitiatedShutdownBehavior", "rootDeviceName", "blockDeviceMapping",
  "productCodes", "sourceDestCheck", "groupSet", "ebsOptimized", "sriovNetSupport", "enaSupport", "enclaveOptions", "disableApiStop",
];

export const DescribeInstanceAttribute: Handler<DescribeInstanceAttributeRequest, InstanceAttribute> = (input, ctx) => {
  const d = ctx.store.tx(() => needInstances(stateOf(ctx), input.InstanceId ? [input.InstanceId] : undefined, ctx.clock.now())[0]);
  dryRun(input);
  const a = input.Attribute as string | undefined;
  if (!a) throw new AwsError("MissingParameter", "The request must contain the parameter attribute", 400);
  if (!ATTRIBUTES.includes(a)) throw invalid(`Value (${a}) for parameter attribute is invalid. Unknown attribute.`);
  const out: InstanceAttribute = { InstanceId: d.InstanceId };
  switch (a) {
    case "instanceType": out.InstanceType = { Value: d.InstanceType }; break;
    case "kernel": out.KernelId = {}; break;
    case "ramdisk": out.RamdiskId = {}; break;
    case "userData": out.UserData = d.userData ? { Value: d.userData } : {}; break;
    case "disableApiTermination": out.DisableApiTermination = { Value: d.disableApiTermination }; break;
    case "disableApiStop": out.DisableApiStop = { Value: d.disableApiStop }; break;
    case "instanceInitiatedShutdownBehavior": out.InstanceInitiatedShutdownBehavior = { Value: d.shutdownBehavior }; break;
    case "rootDeviceName": out.RootDeviceName = { Value: d.RootDeviceName }; break;
    case "blockDeviceMapping": out.BlockDeviceMappings = d.BlockDeviceMappings ?? []; break;
    case "productCodes": out.ProductCodes = []; break;
    case "sourceDestCheck": out.SourceDestCheck = { Value: d.SourceDestCheck ?? true }; break;
    case "groupSet": out.Groups = (d.SecurityGroups ?? []).map((g) => ({ GroupId: g.GroupId, GroupName: g.GroupName })); break;
    case "ebsOptimized": out.EbsOptimized = { Value: d.EbsOptimized ?? false }; break;
    case "sriovNetSupport": out.SriovNetSupport = {}; break;
    case "enaSupport": out.EnaSupport = { Value: d.EnaSupport ?? true }; break;
    case "enclaveOptions": out.EnclaveOptions = { Enabled: false }; break;
  }
  return out;
};

export const ModifyInstanceAttribute: Handler<ModifyInstanceAttributeRequest, Record<string, never>> = async (input, ctx) => {
  const fleet = fleetOf(ctx);
  const scope = `${ctx.accountId}/${ctx.region}`;
  const groupsChanged = ctx.store.tx(() => {
    const s = stateOf(ctx);
    const d = needInstances(s, input.InstanceId ? [input.InstanceId] : undefined, ctx.clock.now())[0];
    const stoppedOnly = (what: string) => {
      if (d.State.Name !== "stopped") throw new AwsError("IncorrectInstanceState", `The instance '${d.InstanceId}' is not in the 'stopped' state.`, 400);
      void what;
    };
    // The generic Attribute/Value form names one attribute.
    const attr = input.Attribute as string | undefined;
    const value = input.Value;
    const bool = (v: string | undefined) => v === "true";
    let changed = false;
    const type = input.InstanceType?.Value ?? (attr === "instanceType" ? value : undefined);
    if (type !== undefined) {
      if (!instanceType(type)) throw invalid(`Invalid value '${type}' for InstanceType.`);
      stoppedOnly("instanceType");
      d.InstanceType = type as InstanceDoc["InstanceType"];
    }
    const userData = input.UserData?.Value ?? (attr === "userData" ? value : undefined);
    if (userData !== undefined) {
      stoppedOnly("userData");
      // The SDK sends the blob base64-encoded; Nimbus keeps user data base64 as RunInstances got it.
      d.userData = typeof userData === "string" ? userData : Buffer.from(userData as Uint8Array).toString("base64");
    }
    const term = input.DisableApiTermination?.Value ?? (attr === "disableApiTermination" ? bool(value) : undefined);
    if (term !== undefined) d.disableApiTermination = term;
    const stop = input.DisableApiStop?.Value ?? (attr === "disableApiStop" ? bool(value) : undefined);
    if (stop !== undefined) d.disableApiStop = stop;
    const sdb = input.InstanceInitiatedShutdownBehavior?.Value ?? (attr === "instanceInitiatedShutdownBehavior" ? value : undefined);
    if (sdb !== undefined) {
      if (sdb !== "stop" && sdb !== "terminate") throw invalid(`Value (${sdb}) for parameter instanceInitiatedShutdownBehavior is invalid.`);
      d.shutdownBehavior = sdb;
    }
    const sdc = input.SourceDestCheck?.Value ?? (attr === "sourceDestCheck" ? bool(value) : undefined);
    if (sdc !== undefined) d.SourceDestCheck = sdc;
    const ebs = input.EbsOptimized?.Value ?? (attr === "ebsOptimized" ? bool(value) : undefined);
    if (ebs !== undefined) d.EbsOptimized = ebs;
    if (input.Groups?.length) {
      const groups = input.Groups.map((id) => {
        if (!wellFormed("sg", id)) throw malformed(RES.sg, id);
        const g = s.get<SgDoc>(KIND.sg, id);
        if (!g) throw notFound(RES.sg, [id]);
        if (g.VpcId !== d.VpcId) throw invalid(`Security group ${id} and instance ${d.InstanceId} belong to different networks.`);
        return { GroupId: g.GroupId, GroupName: g.GroupName };
      });
      d.SecurityGroups = groups;
      if (d.NetworkInterfaces?.[0]) d.NetworkInterfaces[0].Groups = groups;
      const eni = s.get<EniDoc>(KIND.eni, d.eniId);
      if (eni) {
        eni.Groups = groups;
        s.put(KIND.eni, eni.NetworkInterfaceId, eni);
      }
      changed = true;
    }
    if (d.State.Name === "terminated") throw new AwsError("IncorrectInstanceState", `The instance '${d.InstanceId}' is not in a state from which it can be modified.`, 400);
    dryRun(input);
    s.put(INSTANCE_KIND, d.InstanceId, d);
    return changed;
  });
  if (groupsChanged) await fleet.resync(scope);
  return {};
};

export const ModifyInstanceMetadataOptions: Handler<ModifyInstanceMetadataOptionsRequest, ModifyInstanceMetadataOptionsResult> = (input, ctx) => {
  fleetOf(ctx);
  return ctx.store.tx(() => {
    const s = stateOf(ctx);
    const d = needInstances(s, input.InstanceId ? [input.InstanceId] : undefined, ctx.clock.now())[0];
    const m = { ...(d.MetadataOptions ?? {}) };
    if (input.HttpTokens) {
      if (!["optional", "required"].includes(input.HttpTokens)) throw invalid(`Value (${input.HttpTokens}) for parameter HttpTokens is invalid.`);
      m.HttpTokens = input.HttpTokens;
    }
    if (input.HttpPutResponseHopLimit !== undefined) {
      if (input.HttpPutResponseHopLimit < 1 || input.HttpPutResponseHopLimit > 64) throw invalid("The HttpPutResponseHopLimit value must be between 1 and 64.");
      m.HttpPutResponseHopLimit = input.HttpPutResponseHopLimit;
    }
    if (input.HttpEndpoint) m.HttpEndpoint = input.HttpEndpoint;
    if (input.InstanceMetadataTags) m.InstanceMetadataTags = input.InstanceMetadataTags;
    if (input.HttpProtocolIpv6) m.HttpProtocolIpv6 = input.HttpProtocolIpv6;
    dryRun(input);
    d.MetadataOptions = { ...m, State: "applied" };
    s.put(INSTANCE_KIND, d.InstanceId, d);
    return { InstanceId: d.InstanceId, InstanceMetadataOptions: { ...m, State: "pending" } };
  });
};
