// DescribeInstances and the state changes: Start, Stop, Reboot, Terminate, with AWS's
// transitions (pending 0 -> running 16 -> stopping 64 -> stopped 80; shutting-down 32 ->
// terminated 48, visible for an hour), state reasons and refusals (IncorrectInstanceState,
// OperationNotPermitted for termination and stop protection). Each handler commits the
// intermediate state, then the fleet does the work and commits the final one.
import type {
  DescribeInstancesRequest, DescribeInstancesResult, InstanceStateChange, RebootInstancesRequest, StartInstancesRequest, StartInstancesResult,
  StopInstancesRequest, StopInstancesResult, TerminateInstancesRequest, TerminateInstancesResult,
} from "@aws-sdk/client-ec2";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { applyFilters } from "../filters.js";
import { checkMaxResults, dryRun, invalid, tagMap } from "../vpc/common.js";
import { ensureDefaultVpc } from "../vpc/handler.js";
import { wellFormed } from "../vpc/ids.js";
import { malformed, notFound, RES } from "../vpc/lookup.js";
import { allocatePublicIp } from "../vpc/public-ips.js";
import { elasticOf, releasePoolAddress, setPublicAddress } from "../instances/public-address.js";
import { stateOf, type Ec2State } from "../vpc/store.js";
import type { Fleet } from "../instances/fleet.js";
import { fleetOf } from "../instances/registry.js";
import { markStarted } from "../instances/spot-requests.js";
import { INSTANCE_KIND, setState, userInitiated, type InstanceDoc, type StateName } from "../instances/store.js";
import { INSTANCE_FILTERS, liveInstances, needInstances, reservationsOf } from "../instances/view.js";

const SHUTDOWN = { code: "Client.UserInitiatedShutdown", message: "Client.UserInitiatedShutdown: User initiated shutdown" };

function scopeOf(ctx: RequestContext): string {
  return `${ctx.accountId}/${ctx.region}`;
}

function change(d: InstanceDoc, previous: InstanceDoc["State"]): InstanceStateChange {
  return { InstanceId: d.InstanceId, CurrentState: { ...d.State }, PreviousState: { ...previous } };
}

/** Commits the final state once the fleet has done its part. */
function finish(fleet: Fleet, scope: string, id: string, from: StateName, to: (s: Ec2State, d: InstanceDoc) => void): void {
  const s = fleet.state(scope);
  s.store.tx(() => {
    const d = s.get<InstanceDoc>(INSTANCE_KIND, id);
    if (!d || d.State.Name !== from) return;
    to(s, d);
    s.put(INSTANCE_KIND, id, d);
  });
}

export const DescribeInstances: Handler<DescribeInstancesRequest, DescribeInstancesResult> = (input, ctx) => {
  fleetOf(ctx);
  return ctx.store.tx(() => {
    const s = stateOf(ctx);
    ensureDefaultVpc(s);
    dryRun(input);
    if (input.InstanceIds?.length && input.MaxResults !== undefined) {
      throw new AwsError("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults", 400);
    }
    let docs = liveInstances(s, ctx.clock.now());
    if (input.InstanceIds?.length) {
      for (const id of input.InstanceIds) if (!wellFormed("i", id)) throw malformed(RES.instance, id);
      const have = new Set(docs.map((d) => d.InstanceId));
      const missing = [...new Set(input.InstanceIds)].filter((id) => !have.has(id));
      if (missing.length) throw notFound(RES.instance, missing);
      docs = docs.filter((d) => input.InstanceIds!.includes(d.InstanceId));
    }
    docs = applyFilters(docs, input.Filters, INSTANCE_FILTERS, (d) => tagMap(d.Tags));
    // Pages hold whole reservations, in launch order; MaxResults counts instances (5..1000).
    checkMaxResults(input.MaxResults, 5, 1000);
    docs.sort((a, b) => (a.launchTime === b.launchTime ? (a.InstanceId < b.InstanceId ? -1 : 1) : a.launchTime < b.launchTime ? -1 : 1));
    const reservations = reservationsOf(docs);
    let start = 0;
    if (input.NextToken) {
      const m = /^ec2i:(\d+)$/.exec(Buffer.from(input.NextToken, "base64url").toString("utf8"));
      if (!m) throw invalid(`Invalid value '${input.NextToken}' for nextToken`);
      start = Number(m[1]);
    }
    const limit = input.MaxResults ?? Number.MAX_SAFE_INTEGER;
    const page = [];
    let count = 0;
    let i = start;
    for (; i < reservations.length; i++) {
      const n = reservations[i].Instances!.length;
      if (page.length && count + n > limit) break;
      page.push(reservations[i]);
      count += n;
    }
    return { Reservations: page, NextToken: i < reservations.length ? Buffer.from(`ec2i:${i}`).toString("base64url") : undefined };
  });
};

export const StartInstances: Handler<StartInstancesRequest, StartInstancesResult> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const boot: string[] = [];
  const out = ctx.store.tx(() => {
    const s = stateOf(ctx);
    const docs = needInstances(s, input.InstanceIds, ctx.clock.now());
    for (const d of docs) {
      if (!["pending", "running", "stopped"].includes(d.State.Name)) {
        throw new AwsError("IncorrectInstanceState", `The instance '${d.InstanceId}' is not in a state from which it can be started.`, 400);
      }
    }
    dryRun(input);
    return docs.map((d) => {
      const prev = { ...d.State };
      if (d.State.Name === "stopped") {
        setState(d, "pending", { transition: "" });
        d.spotAction = undefined;
        markStarted(fleet, s, d);
        // A stopped instance gets a new public IP when it starts, unless an Elastic IP stayed on it.
        const eip = elasticOf(s, d);
        if (eip) setPublicAddress(s, d, eip.PublicIp, eip);
        else if (mapsPublicIp(s, d)) setPublicAddress(s, d, allocatePublicIp(s, d.InstanceId));
        s.put(INSTANCE_KIND, d.InstanceId, d);
        boot.push(d.InstanceId);
      }
      return change(d, prev);
    });
  });
  for (const id of boot) void fleet.boot(scopeOf(ctx), id);
  return { StartingInstances: out };
};

function mapsPublicIp(_s: Ec2State, d: InstanceDoc): boolean {
  return d.mapPublicIp === true;
}

export const StopInstances: Handler<StopInstancesRequest, StopInstancesResult> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const scope = scopeOf(ctx);
  const stop: string[] = [];
  const out = ctx.store.tx(() => {
    const s = stateOf(ctx);
    const docs = needInstances(s, input.InstanceIds, ctx.clock.now());
    for (const d of docs) {
      if (d.State.Name === "terminated" || d.State.Name === "shutting-down") {
        throw new AwsError("IncorrectInstanceState", `This instance '${d.InstanceId}' is not in a state from which it can be stopped.`, 400);
      }
      if (d.disableApiStop && !input.Force) {
        throw new AwsError("OperationNotPermitted", `The instance '${d.InstanceId}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`, 400);
      }
      if (d.InstanceLifecycle === "spot" && d.spot?.type !== "persistent") {
        throw new AwsError("UnsupportedOperation", `You can't stop the Spot Instance '${d.InstanceId}' because it is associated with a one-time Spot Instance request. You can only stop Spot Instances associated with persistent Spot Instance requests.`, 400);
      }
    }
    dryRun(input);
    return docs.map((d) => {
      const prev = { ...d.State };
      if (d.State.Name === "running" || d.State.Name === "pending") {
        setState(d, "stopping", { transition: userInitiated(ctx.clock.now()), ...SHUTDOWN });
        s.put(INSTANCE_KIND, d.InstanceId, d);
        stop.push(d.InstanceId);
      }
      return change(d, prev);
    });
  });
  for (const id of stop) {
    void fleet.kill(id).then(() =>
      finish(fleet, scope, id, "stopping", (s, d) => {
        setState(d, "stopped", { transition: d.StateTransitionReason, ...SHUTDOWN });
        releasePoolAddress(s, d);
      }),
    );
  }
  return { StoppingInstances: out };
};

export const RebootInstances: Handler<RebootInstancesRequest, Record<string, never>> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const scope = scopeOf(ctx);
  const docs = ctx.store.tx(() => {
    const s = stateOf(ctx);
    const docs = needInstances(s, input.InstanceIds, ctx.clock.now());
    for (const d of docs) {
      if (d.State.Name === "terminated") throw new AwsError("IncorrectInstanceState", `The instance '${d.InstanceId}' is not in a state from which it can be rebooted.`, 400);
    }
    dryRun(input);
    return docs.filter((d) => d.State.Name === "running");
  });
  // A reboot keeps the instance running (no state change), its disk and its addresses.
  for (const d of docs) {
    void fleet.kill(d.InstanceId).then(() => {
      finish(fleet, scope, d.InstanceId, "running", (_s, doc) => setState(doc, "pending", { transition: "" }));
      return fleet.boot(scope, d.InstanceId);
    });
  }
  return {};
};

export const TerminateInstances: Handler<TerminateInstancesRequest, TerminateInstancesResult> = (input, ctx) => {
  const fleet = fleetOf(ctx);
  const scope = scopeOf(ctx);
  const kill: string[] = [];
  const out = ctx.store.tx(() => {
    const s = stateOf(ctx);
    const docs = needInstances(s, input.InstanceIds, ctx.clock.now());
    for (const d of docs) {
      if (d.disableApiTermination && d.State.Name !== "terminated") {
        throw new AwsError("OperationNotPermitted", `The instance '${d.InstanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`, 400);
      }
    }
    dryRun(input);
    return docs.map((d) => {
      const prev = { ...d.State };
      if (d.State.Name !== "terminated" && d.State.Name !== "shutting-down") {
        setState(d, "shutting-down", { transition: userInitiated(ctx.clock.now()), ...SHUTDOWN });
        s.put(INSTANCE_KIND, d.InstanceId, d);
        kill.push(d.InstanceId);
      }
      return change(d, prev);
    });
  });
  for (const id of kill) {
    void fleet.kill(id).then(() =>
      finish(fleet, scope, id, "shutting-down", (s, d) => {
        setState(d, "terminated", { transition: d.StateTransitionReason, ...SHUTDOWN });
        d.terminatedAt = new Date(ctx.clock.now()).toISOString();
        fleet.releaseResources(s, d);
      }),
    );
  }
  return { TerminatingInstances: out };
};
