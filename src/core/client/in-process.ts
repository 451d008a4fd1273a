// call(service, "Op", input): the same handlers and validation as over HTTP, with no wire
// protocol in between. Services use it to reach each other (Lambda -> SQS, S3 -> SNS)
// with the caller's account, or another principal's.
//
// Without `onBehalfOf` the call is trusted (no authorize step): the calling service has already
// authorized its own caller. With `onBehalfOf` it is a delivery by an AWS service principal
// (SNS -> SQS, S3 -> SQS/SNS/Lambda): the gateway's authorize step runs as that principal, with
// aws:SourceArn / aws:SourceAccount set, and only the target's resource policy can allow it.
import { AwsError, notImplemented } from "../errors.js";
import { loadModel } from "../model/load.js";
import { validateInput } from "../protocols/shared/validate.js";
import { requestId } from "../clock/clock.js";
import { servicePrincipal, type CallAs, type InProcessClient as Client, type Principal, type RequestContext } from "../service.js";
import type { Nimbus } from "../server/nimbus.js";

export class InProcessClient implements Client {
  constructor(private readonly nimbus: Nimbus) {}

  async call<O = Record<string, unknown>>(service: string, operation: string, input: Record<string, unknown>, as: CallAs = {}): Promise<O> {
    const model = loadModel(service);
    if (!model.operations[operation]) throw new AwsError("InvalidAction", `${service} has no operation ${operation}`, 400);
    validateInput(model, operation, input, "awsJson1_0");
    const def = this.nimbus.services.get(service) ?? (this.nimbus.registry[service] ? await this.nimbus.load(service) : undefined);
    const handler = def?.handlers[operation];
    if (!handler) throw notImplemented(service, operation);
    const behalf = as.onBehalfOf;
    const accountId = (behalf ? undefined : as.principal?.accountId) ?? as.accountId ?? "000000000000";
    const region = model.global ? "us-east-1" : as.region ?? this.nimbus.config.defaultRegion;
    let principal: Principal;
    if (behalf) {
      principal = servicePrincipal(behalf.service);
      // The same step 6 as an HTTP request (core/iam/authorize.ts), in the target's protocol
      // wording for the AccessDenied it may throw.
      this.nimbus.authorizer.authorize(principal, model, operation, input, { region, protocol: model.sdkProtocol, headers: {}, onBehalfOf: behalf, accountId });
    } else {
      principal = as.principal ?? { type: "root", accountId, arn: `arn:aws:iam::${accountId}:root`, userId: accountId };
      if (as.authorize) this.nimbus.authorizer.authorize(principal, model, operation, input, { region, protocol: model.sdkProtocol, headers: {}, accountId, ...(as.viaService ? { viaService: as.viaService } : {}) });
    }
    const ctx: RequestContext = {
      requestId: requestId(),
      startedAt: process.hrtime.bigint(),
      clock: this.nimbus.clock,
      service,
      operation,
      protocol: "internal",
      region,
      accountId,
      principal,
      store: this.nimbus.storeFor(service, accountId, region, model.global === true),
      db: this.nimbus.db,
      blobs: this.nimbus.blobs,
      events: this.nimbus.events,
      client: this,
      endpoint: `http://${this.nimbus.config.host}:${this.nimbus.port}`,
      headers: {},
      ...(behalf ? { onBehalfOf: behalf } : {}),
    };
    return (await handler(input, ctx)) as O;
  }
}
