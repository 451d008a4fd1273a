// RequestSpotInstances, DescribeSpotInstanceRequests, CancelSpotInstanceRequests over the
// request state machine of instances/spot-requests.ts. RequestSpotInstances answers `open`
// (pending-evaluation) requests; each is evaluated (and its instance launched) after the answer.
import type {
  CancelSpotInstanceRequestsRequest, CancelSpotInstanceRequestsResult, DescribeSpotInstanceRequestsRequest, DescribeSpotInstanceRequestsResult,
  RequestSpotInstancesRequest, RequestSpotInstancesResult,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import type { FilterAccessors } from "../filters.js";
import { describe, dryRun, invalid, tagsOnCreate } from "../vpc/common.js";
import { ensureDefaultVpc } from "../vpc/handler.js";
import { newId, wellFormed } from "../vpc/ids.js";
import type { ResourceInfo } from "../vpc/lookup.js";
import { stateOf } from "../vpc/store.js";
import { fleetOf } from "../instances/registry.js";
import { INSTANCE_KIND, type InstanceDoc } from "../instances/store.js";
import { evaluate, setStatus, SIR_KIND, spotRequestView, type SpotRequestDoc } from "../instances/spot-requests.js";
import { instanceType } from "../instances/types.js";

const SIR: ResourceInfo = {
  kind: SIR_KIND, prefix: "sir", notFound: "InvalidSpotInstanceRequestID.NotFound", malformed: "InvalidSpotInstanceRequestID.Malformed", tagType: "spot-instances-request",
  message: (ids) => `The spot instance request ID${ids.length > 1 ? "s" : ""} '${ids.join(", ")}' ${ids.length > 1 ? "do" : "does"} not exist`,
};

const FILTERS: FilterAccessors<SpotRequestDoc> = {
  "spot-instance-request-id": (d) => d.SpotInstanceRequestId,
  state: (d) => d.State,
  "status-code": (d) => d.status.Code,
  "status-message": (d) => d.status.Message,
  "instance-id": (d) => d.InstanceId,
  type: (d) => d.Type,
  "spot-price": (d) => d.SpotPrice,
  "create-time": (d) => d.createTime,
  "launched-availability-zone": (d) => d.LaunchedAvailabilityZone,
  "launch.image-id": (d) => d.launch.ImageId,
  "launch.instance-type": (d) => d.launch.InstanceType,
  "launch.key-name": (d) => d.launch.KeyName,
  "launch.group-id": (d) => [...(d.launch.SecurityGroupIds ?? []), ...(d.launch.SecurityGroups ?? [])],
  "product-description": () => "Linux/UNIX",
};

export const RequestSpotInstances: Handler<RequestSpotInstancesRequest, RequestSpotInstancesResult> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const scope = `${ctx.accountId}/${ctx.region}`;
  const made = ctx.store.tx(() => {
    const s = stateOf(ctx);
    ensureDefaultVpc(s);
    if (input.ClientToken) {
      const prior = s.all<SpotRequestDoc & { clientToken?: string }>(SIR_KIND).filter((d) => d.clientToken === input.ClientToken);
      if (prior.length) return { docs: prior, fresh: false };
    }
    const launch = input.LaunchSpecification;
    if (!launch) throw new AwsError("MissingParameter", "The request must contain the parameter LaunchSpecification", 400);
    if (!launch.ImageId) throw new AwsError("MissingParameter", "The request must contain the parameter ImageId", 400);
    if (launch.InstanceType && !instanceType(launch.InstanceType)) throw invalid(`Invalid value '${launch.InstanceType}' for InstanceType.`);
    const count = input.InstanceCount ?? 1;
    if (!Number.isInteger(count) || count < 1) throw invalid("InstanceCount must be greater than zero");
    if (count > 20) throw new AwsError("MaxSpotInstanceCountExceeded", "Max spot instance count exceeded", 400);
    const type = (input.Type ?? "one-time") as SpotRequestDoc["Type"];
    if (!["one-time", "persistent"].includes(type)) throw invalid(`Value (${type}) for parameter type is invalid.`);
    const behavior = (input.InstanceInterruptionBehavior ?? "terminate") as SpotRequestDoc["InstanceInterruptionBehavior"];
    if (!["terminate", "stop", "hibernate"].includes(behavior)) throw invalid(`Value (${behavior}) for parameter instanceInterruptionBehavior is invalid.`);
    if (behavior !== "terminate" && type !== "persistent") {
      throw new AwsError("InvalidParameterCombination", `The specified instance interruption behavior '${behavior}' is not supported for one-time Spot Instance requests. Specify a persistent request type.`, 400);
    }
    if (input.SpotPrice !== undefined && !(Number(input.SpotPrice) > 0)) throw invalid(`Invalid value '${input.SpotPrice}' for spotPrice.`);
    const now = ctx.clock.now();
    if (input.ValidUntil && input.ValidUntil.getTime() <= now) throw invalid("The ValidUntil date must be in the future.");
    const tags = tagsOnCreate(input.TagSpecifications, "spot-instances-request");
    dryRun(input);
    const docs: SpotRequestDoc[] = [];
    for (let i = 0; i < count; i++) {
      const d: SpotRequestDoc & { clientToken?: string } = {
        SpotInstanceRequestId: newId("sir").slice(0, 12),
        SpotPrice: input.SpotPrice,
        Type: type,
        State: "open",
        status: { Code: "", Message: "", UpdateTime: "" },
        createTime: new Date(now).toISOString(),
        validUntil: input.ValidUntil ? input.ValidUntil.toISOString() : undefined,
        launch,
        InstanceInterruptionBehavior: behavior,
        Tags: tags.length ? tags : undefined,
        clientToken: input.ClientToken,
      };
      setStatus(d, "pending-evaluation", now);
      s.put(SIR_KIND, d.SpotInstanceRequestId, d);
      docs.push(d);
    }
    return { docs, fresh: true };
  });
  if (made.fresh) for (const d of made.docs) void evaluate(fleet, scope, d.SpotInstanceRequestId);
  return { SpotInstanceRequests: made.docs.map(strip).map(spotRequestView) };
};

function strip(d: SpotRequestDoc & { clientToken?: string }): SpotRequestDoc {
  const { clientToken, ...rest } = d;
  void clientToken;
  return rest;
}

export const DescribeSpotInstanceRequests: Handler<DescribeSpotInstanceRequestsRequest, DescribeSpotInstanceRequestsResult> = (input, ctx) => {
  fleetOf(ctx);
  return ctx.store.tx(() => {
    const s = stateOf(ctx);
    dryRun(input);
    const { items, next } = describe(s.all<SpotRequestDoc>(SIR_KIND).map(strip), input.SpotInstanceRequestIds, input, {
      res: SIR, idsParam: "spotInstanceRequestId", idOf: (d) => d.SpotInstanceRequestId, accessors: FILTERS, view: spotRequestView, min: 5, max: 1000,
    });
    return { SpotInstanceRequests: items, NextToken: next };
  });
};

export const CancelSpotInstanceRequests: Handler<CancelSpotInstanceRequestsRequest, CancelSpotInstanceRequestsResult> = (input, ctx) => {
  fleetOf(ctx);
  return ctx.store.tx(() => {
    const s = stateOf(ctx);
    const ids = input.SpotInstanceRequestIds ?? [];
    if (!ids.length) throw new AwsError("MissingParameter", "The request must contain the parameter SpotInstanceRequestId", 400);
    for (const id of ids) if (!wellFormed("sir", id) && !/^sir-[0-9a-z]{8}$/.test(id)) throw new AwsError(SIR.malformed, `Invalid id: "${id}"`, 400);
    const docs = ids.map((id) => {
      const d = s.get<SpotRequestDoc>(SIR_KIND, id);
      if (!d) throw new AwsError(SIR.notFound, SIR.message([id]), 400);
      return d;
    });
    dryRun(input);
    const now = ctx.clock.now();
    return {
      CancelledSpotInstanceRequests: docs.map((d) => {
        if (d.State !== "cancelled" && d.State !== "closed" && d.State !== "failed") {
          const inst = d.InstanceId ? s.get<InstanceDoc>(INSTANCE_KIND, d.InstanceId) : undefined;
          const running = inst && !["terminated", "shutting-down"].includes(inst.State.Name);
          d.State = "cancelled";
          setStatus(d, running ? "request-canceled-and-instance-running" : "canceled-before-fulfillment", now);
          s.put(SIR_KIND, d.SpotInstanceRequestId, d);
        }
        return { SpotInstanceRequestId: d.SpotInstanceRequestId, State: d.State as "cancelled" };
      }),
    };
  });
};
