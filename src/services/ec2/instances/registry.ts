// One Fleet per Nimbus, keyed by its database (several Nimbus instances may share a process),
// made by the service's start() and closed by its stop().
import type { Db } from "../../../core/state/database.js";
import type { RequestContext } from "../../../core/service.js";
import { AwsError } from "../../../core/errors.js";
import type { Fleet } from "./fleet.js";

const fleets = new WeakMap<Db, Fleet>();

export function registerFleet(db: Db, fleet: Fleet): void {
  fleets.set(db, fleet);
}

export function unregisterFleet(db: Db): Fleet | undefined {
  const f = fleets.get(db);
  fleets.delete(db);
  return f;
}

export function fleetOf(ctx: RequestContext): Fleet {
  const f = fleets.get(ctx.db);
  if (!f) throw new AwsError("InternalError", "The EC2 instance runtime is not started.", 500);
  // Instances reach the Nimbus endpoint the way its callers do.
  if (ctx.endpoint && (ctx.protocol !== "internal" || !f.endpoint)) f.endpoint = ctx.endpoint;
  return f;
}

export function peekFleet(db: Db): Fleet | undefined {
  return fleets.get(db);
}
