// Spot: interruptions and price history. An interruption (POST /_nimbus/chaos {"service":"ec2",
// "action":"interrupt-spot","instanceId":...}) posts AWS's two-minute notice to the instance's
// metadata (spot/instance-action), then, two minutes later in real time or as soon as Nimbus
// time passes that point, stops or terminates the instance as its interruption behaviour says.
import type { SpotPrice } from "@aws-sdk/client-ec2";
import { createHash } from "node:crypto";
import type { Fleet } from "./fleet.js";
import { INSTANCE_KIND, setState, type InstanceDoc } from "./store.js";
import { INSTANCE_TYPES } from "./types.js";
import { markInterrupted, markNotice } from "./spot-requests.js";

export const NOTICE_MS = 120_000;

const pending = new WeakMap<Fleet, Map<string, { scope: string; at: number; timer: NodeJS.Timeout }>>();

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}

export function interrupt(fleet: Fleet, instanceId: string): Record<string, unknown> {
  const store = fleet.rt.store("_");
  for (const scope of store.scopes(INSTANCE_KIND)) {
    const s = fleet.state(scope);
    const d = s.get<InstanceDoc>(INSTANCE_KIND, instanceId);
    if (!d) continue;
    if (d.InstanceLifecycle !== "spot" || !d.spot) throw new Error(`instance ${instanceId} is not a Spot Instance`);
    if (d.State.Name !== "running" && d.State.Name !== "pending") throw new Error(`instance ${instanceId} is ${d.State.Name}, not running`);
    const now = fleet.rt.clock.now();
    const at = now + NOTICE_MS;
    const action = d.spot.behavior === "terminate" ? "terminate" : d.spot.behavior;
    s.store.tx(() => {
      d.spotAction = { action, time: iso(at) };
      s.put(INSTANCE_KIND, instanceId, d);
      markNotice(fleet, s, d);
    });
    let map = pending.get(fleet);
    if (!map) {
      map = new Map();
      pending.set(fleet, map);
      const m = map;
      fleet.rt.clock.onAdvance(() => {
        for (const [id, p] of m) if (fleet.rt.clock.now() >= p.at) act(fleet, id);
      });
    }
    const timer = setTimeout(() => act(fleet, instanceId), NOTICE_MS);
    timer.unref();
    map.set(instanceId, { scope, at, timer });
    return { instanceId, action, time: iso(at) };
  }
  throw new Error(`no instance ${instanceId}`);
}

function act(fleet: Fleet, id: string): void {
  const p = pending.get(fleet)?.get(id);
  if (!p) return;
  clearTimeout(p.timer);
  pending.get(fleet)!.delete(id);
  const s = fleet.state(p.scope);
  const action = s.store.tx(() => {
    const d = s.get<InstanceDoc>(INSTANCE_KIND, id);
    if (!d || (d.State.Name !== "running" && d.State.Name !== "pending") || !d.spot) return undefined;
    const terminate = d.spot.behavior === "terminate";
    const reason = terminate
      ? { transition: "Server.SpotInstanceTermination: Spot instance termination", code: "Server.SpotInstanceTermination", message: "Server.SpotInstanceTermination: Spot instance termination" }
      : { transition: "Server.SpotInstanceShutdown: Spot instance shutdown", code: "Server.SpotInstanceShutdown", message: "Server.SpotInstanceShutdown: Spot instance shutdown" };
    setState(d, terminate ? "shutting-down" : "stopping", reason);
    s.put(INSTANCE_KIND, id, d);
    return { terminate, reason };
  });
  if (!action) return;
  void fleet.kill(id).then(() =>
    s.store.tx(() => {
      const d = s.get<InstanceDoc>(INSTANCE_KIND, id);
      if (!d) return;
      setState(d, action.terminate ? "terminated" : "stopped", action.reason);
      d.spotAction = undefined;
      markInterrupted(fleet, p.scope, s, d, action.terminate);
      if (action.terminate) {
        d.terminatedAt = new Date(fleet.rt.clock.now()).toISOString();
        fleet.releaseResources(s, d);
      } else {
        fleet.releasePublicIp(s, d);
      }
      s.put(INSTANCE_KIND, id, d);
    }),
  );
}

// ---------------------------------------------------------------- prices

/** Approximate us-east-1 on-demand Linux prices (USD/hour) of each family's large size. */
const LARGE_PRICE: Record<string, number> = { t2: 0.0928, t3: 0.0832, t3a: 0.0752, t4g: 0.0672, m5: 0.096, m6i: 0.096, c5: 0.085, r5: 0.126, m1: 0.044 };
const SIZE_FACTOR: Record<string, number> = { nano: 1 / 16, micro: 1 / 8, small: 1 / 4, medium: 1 / 2, large: 1, xlarge: 2, "2xlarge": 4, "4xlarge": 8 };

export function onDemandPrice(type: string): number {
  const [family, size] = type.split(".");
  return (LARGE_PRICE[family] ?? 0.1) * (SIZE_FACTOR[size] ?? 1);
}

/** A plausible spot price: 25-40% of on-demand, stable within an hour, per zone and type. */
export function spotPrice(type: string, zone: string, hour: number): string {
  const h = createHash("sha256").update(`${type}\0${zone}\0${hour}`).digest();
  const share = 0.25 + (h[0] / 255) * 0.15;
  return (onDemandPrice(type) * share).toFixed(6);
}

/** Hourly price points from `start` to `end` (newest first), for the types and zones asked. */
export function priceHistory(types: string[], zones: string[], start: number, end: number): SpotPrice[] {
  const out: SpotPrice[] = [];
  const wanted = types.length ? INSTANCE_TYPES.filter((t) => types.includes(t.name)) : INSTANCE_TYPES;
  const lastHour = Math.floor(end / 3_600_000);
  const firstHour = Math.max(Math.floor(start / 3_600_000), lastHour - 24 * 90);
  for (let hour = lastHour; hour >= firstHour; hour--) {
    for (const t of wanted) {
      for (const zone of zones) {
        out.push({ AvailabilityZone: zone, InstanceType: t.name as SpotPrice["InstanceType"], ProductDescription: "Linux/UNIX", SpotPrice: spotPrice(t.name, zone, hour), Timestamp: new Date(hour * 3_600_000) });
      }
    }
  }
  return out;
}
