// Spot Instance requests (kind "sir"): the request state machine AWS documents, driven by the
// fleet. A request is `open` (pending-evaluation) when made; it is fulfilled when its max price
// is at or above the current spot price of its type and zone (instances/spot.ts), by launching
// a spot instance through RunInstances (in process, as the requester), and becomes `active`
// (fulfilled); a max price below the spot price leaves it `open` (price-too-low). An
// interruption marks it (marked-for-termination / marked-for-stop), then: one-time -> closed
// (instance-terminated-no-capacity); persistent + terminate -> open again and relaunched;
// persistent + stop -> disabled (instance-stopped-no-capacity) until the instance is started.
// CancelSpotInstanceRequests -> cancelled (the instance keeps running, as on AWS).
import type { RequestSpotLaunchSpecification, SpotInstanceRequest, Tag } from "@aws-sdk/client-ec2";
import type { Ec2State, SubnetDoc } from "../vpc/store.js";
import { KIND } from "../vpc/store.js";
import type { Fleet } from "./fleet.js";
import { INSTANCE_KIND, type InstanceDoc } from "./store.js";
import { spotPrice } from "./spot.js";
import { tagsOut } from "../vpc/common.js";

export const SIR_KIND = "sir";

export interface SpotRequestDoc extends Omit<SpotInstanceRequest, "CreateTime" | "Status" | "Tags" | "ValidUntil" | "ValidFrom" | "State" | "Type"> {
  SpotInstanceRequestId: string;
  State: "open" | "active" | "closed" | "cancelled" | "failed" | "disabled";
  Type: "one-time" | "persistent";
  status: { Code: string; Message: string; UpdateTime: string };
  createTime: string;
  validUntil?: string;
  Tags?: Tag[];
  launch: RequestSpotLaunchSpecification;
  InstanceInterruptionBehavior: "terminate" | "stop" | "hibernate";
}

/** AWS's status messages for the codes this state machine uses. */
const MESSAGES: Record<string, string> = {
  "pending-evaluation": "Your Spot request has been submitted for review, and is pending evaluation.",
  fulfilled: "Your spot request is fulfilled.",
  "price-too-low": "Your Spot request price is lower than the minimum required Spot request fulfillment price.",
  "canceled-before-fulfillment": "Your spot request was canceled before it was fulfilled.",
  "request-canceled-and-instance-running": "Spot request was canceled while the instance is still running.",
  "marked-for-termination": "Spot Instance is marked for termination.",
  "marked-for-stop": "Spot Instance is marked for stop.",
  "instance-terminated-no-capacity": "Spot Instance terminated due to no available capacity.",
  "instance-stopped-no-capacity": "Spot Instance stopped due to no available capacity.",
  "bad-parameters": "The request could not be fulfilled: its launch specification was refused.",
  "schedule-expired": "The Spot request expired before it was fulfilled.",
  "instance-terminated-by-user": "Spot Instance termination request was initiated by the user.",
};

export function setStatus(d: SpotRequestDoc, code: string, now: number, message?: string): void {
  d.status = { Code: code, Message: message ?? MESSAGES[code] ?? code, UpdateTime: new Date(now).toISOString() };
}

export function spotRequestView(d: SpotRequestDoc): SpotInstanceRequest {
  const { status, createTime, validUntil, Tags, launch, ...rest } = d;
  return {
    ...rest,
    LaunchSpecification: launch as SpotInstanceRequest["LaunchSpecification"],
    Status: { Code: status.Code, Message: status.Message, UpdateTime: new Date(status.UpdateTime) },
    CreateTime: new Date(createTime),
    ValidUntil: validUntil ? new Date(validUntil) : undefined,
    Tags: tagsOut(Tags),
    ProductDescription: "Linux/UNIX",
  } as SpotInstanceRequest;
}

/** The zone a request would launch in: its placement, its subnet's zone, or the region's first. */
export function requestZone(s: Ec2State, launch: RequestSpotLaunchSpecification): string {
  if (launch.Placement?.AvailabilityZone) return launch.Placement.AvailabilityZone;
  const subnetId = launch.SubnetId ?? launch.NetworkInterfaces?.[0]?.SubnetId;
  const subnet = subnetId ? s.get<SubnetDoc>(KIND.subnet, subnetId) : undefined;
  return subnet?.AvailabilityZone ?? `${s.region}a`;
}

/**
 * Evaluates an open request: launches its instance when the price allows (after the answer that
 * made it open), and records the outcome.
 */
export async function evaluate(fleet: Fleet, scope: string, id: string): Promise<void> {
  const s = fleet.state(scope);
  const now = fleet.rt.clock.now();
  const req = s.get<SpotRequestDoc>(SIR_KIND, id);
  if (!req || req.State !== "open") return;
  if (req.validUntil && now > Date.parse(req.validUntil)) {
    s.store.tx(() => {
      const cur = s.get<SpotRequestDoc>(SIR_KIND, id);
      if (!cur || cur.State !== "open") return;
      cur.State = "closed";
      setStatus(cur, "schedule-expired", now);
      s.put(SIR_KIND, id, cur);
    });
    return;
  }
  const type = req.launch.InstanceType ?? "m1.small";
  const zone = requestZone(s, req.launch);
  const price = Number(spotPrice(type, zone, Math.floor(now / 3_600_000)));
  if (req.SpotPrice && Number(req.SpotPrice) < price) {
    s.store.tx(() => {
      const cur = s.get<SpotRequestDoc>(SIR_KIND, id);
      if (!cur || cur.State !== "open") return;
      setStatus(cur, "price-too-low", now);
      s.put(SIR_KIND, id, cur);
    });
    return;
  }
  const [accountId, region] = scope.split("/");
  let instanceId: string | undefined;
  let error: string | undefined;
  try {
    const out = (await fleet.rt.client.call(
      "ec2",
      "RunInstances",
      {
        ...req.launch,
        MinCount: 1,
        MaxCount: 1,
        InstanceMarketOptions: { MarketType: "spot", SpotOptions: { SpotInstanceType: req.Type, InstanceInterruptionBehavior: req.InstanceInterruptionBehavior, MaxPrice: req.SpotPrice } },
      },
      { accountId, region },
    )) as { Instances?: Array<{ InstanceId?: string }> };
    instanceId = out.Instances?.[0]?.InstanceId;
  } catch (e) {
    error = (e as Error).message;
  }
  s.store.tx(() => {
    const cur = s.get<SpotRequestDoc>(SIR_KIND, id);
    if (!cur) return;
    if (!instanceId) {
      cur.State = "failed";
      cur.Fault = { Code: "bad-parameters", Message: error ?? "launch failed" };
      setStatus(cur, "bad-parameters", now, error);
    } else {
      // The instance answers to this request (RunInstances gave it a request id of its own).
      const d = s.get<InstanceDoc>(INSTANCE_KIND, instanceId);
      if (d) {
        // RunInstances made a request of its own for the instance: this one replaces it.
        if (d.SpotInstanceRequestId && d.SpotInstanceRequestId !== id) s.delete(SIR_KIND, d.SpotInstanceRequestId);
        d.SpotInstanceRequestId = id;
        if (d.spot) d.spot.requestId = id;
        s.put(INSTANCE_KIND, instanceId, d);
      }
      cur.InstanceId = instanceId;
      cur.LaunchedAvailabilityZone = d?.Placement?.AvailabilityZone;
      if (cur.State === "open") {
        cur.State = "active";
        setStatus(cur, "fulfilled", now);
      }
    }
    s.put(SIR_KIND, id, cur);
  });
}

/** The request of a spot instance, by the instance's request id, if one exists. */
function requestOf(s: Ec2State, d: InstanceDoc): SpotRequestDoc | undefined {
  return d.SpotInstanceRequestId ? s.get<SpotRequestDoc>(SIR_KIND, d.SpotInstanceRequestId) : undefined;
}

/** The two-minute notice marks the request (inside the notice's transaction). */
export function markNotice(fleet: Fleet, s: Ec2State, d: InstanceDoc): void {
  const req = requestOf(s, d);
  if (!req || req.State !== "active") return;
  setStatus(req, d.spot?.behavior === "terminate" ? "marked-for-termination" : "marked-for-stop", fleet.rt.clock.now());
  s.put(SIR_KIND, req.SpotInstanceRequestId, req);
}

/** The interruption happened (inside its transaction); a persistent terminate request is evaluated again after it. */
export function markInterrupted(fleet: Fleet, scope: string, s: Ec2State, d: InstanceDoc, terminated: boolean): void {
  const req = requestOf(s, d);
  if (!req || req.State === "cancelled" || req.State === "closed") return;
  const now = fleet.rt.clock.now();
  if (!terminated) {
    req.State = "disabled";
    setStatus(req, "instance-stopped-no-capacity", now);
  } else if (req.Type === "persistent") {
    req.State = "open";
    req.InstanceId = undefined;
    setStatus(req, "pending-evaluation", now);
    setImmediate(() => void evaluate(fleet, scope, req.SpotInstanceRequestId));
  } else {
    req.State = "closed";
    setStatus(req, "instance-terminated-no-capacity", now);
  }
  s.put(SIR_KIND, req.SpotInstanceRequestId, req);
}

/** A disabled persistent request whose stopped instance is started again is active again. */
export function markStarted(fleet: Fleet, s: Ec2State, d: InstanceDoc): void {
  const req = requestOf(s, d);
  if (!req || req.State !== "disabled") return;
  req.State = "active";
  setStatus(req, "fulfilled", fleet.rt.clock.now());
  s.put(SIR_KIND, req.SpotInstanceRequestId, req);
}

/**
 * A spot instance terminated by its user (inside the terminating transaction): a one-time
 * request closes (instance-terminated-by-user); a persistent one opens again and relaunches.
 */
export function markTerminatedByUser(fleet: Fleet, s: Ec2State, d: InstanceDoc): void {
  const req = requestOf(s, d);
  if (!req || req.State !== "active" || req.InstanceId !== d.InstanceId) return;
  const now = fleet.rt.clock.now();
  if (req.Type === "persistent") {
    req.State = "open";
    req.InstanceId = undefined;
    setStatus(req, "pending-evaluation", now);
    const scope = `${s.accountId}/${s.region}`;
    setImmediate(() => void evaluate(fleet, scope, req.SpotInstanceRequestId));
  } else {
    req.State = "closed";
    setStatus(req, "instance-terminated-by-user", now);
  }
  s.put(SIR_KIND, req.SpotInstanceRequestId, req);
}
