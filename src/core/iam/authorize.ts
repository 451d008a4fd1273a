// Gateway step 6: authorize the request before the handler runs (NIMBUS_IAM=enforce|audit|off).
//
//  1. off -> nothing. The root user of an account, calling a service without resource-based
//     policies, is never evaluated (nothing can deny it): that path costs one comparison.
//  2. The operation's authorizations come from models/iam-actions.json (action + resource ARN
//     templates, resolved against the input); "none"/"handler" operations are skipped
//     (sts:GetCallerIdentity needs no permission; sts:AssumeRole's trust policy is the STS
//     handler's to evaluate).
//  3. The principal's identity policies, boundary and session policies come from the
//     principal-policy provider (the IAM service), the resource's owner, policy and tags from
//     the service's resource-policy hook.
//  4. The request context carries the global condition keys (aws:SourceIp, aws:CurrentTime,
//     aws:PrincipalArn, aws:PrincipalTag/*, aws:RequestTag/*, aws:ResourceTag/*...) and the
//     service keys the map names (s3:prefix...).
//  5. Each authorization is evaluated (evaluate.ts); the first denial answers AWS's error for
//     the protocol (access-denied.ts). audit logs every decision and lets the request through.
import type { ServiceModel } from "../model/types.js";
import type { ProtocolId } from "../model/types.js";
import type { OnBehalfOf, Principal, ServiceDefinition } from "../service.js";
import type { NimbusConfig } from "../../config/config.js";
import type { Nimbus } from "../server/nimbus.js";
import { accessDeniedError } from "./access-denied.js";
import { accountOfArn, authorizationsFor, resolveResources, serviceAuthz, type AuthorizationSpec } from "./action-map.js";
import { evaluateLowerCased, evaluateWithSides } from "./evaluate.js";
import { isFixed, sideResult, viewFor, principalContext, type PrincipalView } from "./principal-plan.js";
import type { AuthzRequest, ConditionContext, Decision, PrincipalPolicies, ResourcePolicyInfo } from "./types.js";

export interface AuthorizeInfo {
  region: string;
  protocol: ProtocolId;
  headers: Record<string, string>;
  /** The client's address (socket remote address). */
  sourceIp?: string;
  /** In-process calls made as an AWS service principal (core/client): aws:SourceArn, aws:SourceAccount. */
  onBehalfOf?: OnBehalfOf;
  /** In-process calls a service makes with its caller's permissions (core/client `authorize`): kms:ViaService. */
  viaService?: string;
  /** The account `{account}` in resource templates stands for when the principal has none (a service principal's target account). */
  accountId?: string;
}

const NO_POLICIES: PrincipalPolicies = { identity: [] };

/** Adds aws:RequestTag/<k> and aws:TagKeys from a tags member in any of AWS's shapes. */
function addRequestTags(ctx: ConditionContext, tags: unknown): void {
  const pairs: Array<[string, string]> = [];
  if (typeof tags === "string") {
    // S3's x-amz-tagging: "k1=v1&k2=v2"
    for (const [k, v] of new URLSearchParams(tags)) pairs.push([k, v]);
  } else if (Array.isArray(tags)) {
    for (const t of tags) if (t && typeof t === "object" && typeof (t as { Key?: unknown }).Key === "string") pairs.push([(t as { Key: string }).Key, String((t as { Value?: unknown }).Value ?? "")]);
  } else if (tags && typeof tags === "object") {
    const ts = (tags as { TagSet?: unknown }).TagSet;
    if (Array.isArray(ts)) return addRequestTags(ctx, ts);
    for (const [k, v] of Object.entries(tags)) pairs.push([k, String(v)]);
  }
  if (!pairs.length) return;
  for (const [k, v] of pairs) ctx[`aws:requesttag/${k.toLowerCase()}`] = v;
  ctx["aws:tagkeys"] = pairs.map(([k]) => k);
}

const NO_CONTEXT: ConditionContext = Object.freeze({}) as ConditionContext;

/**
 * Whether a resource-policy hook's or an operation's extra keys name one of the principal's own
 * keys: the principal's plan assumed them fixed, so such a request is evaluated in full.
 */
function overridesPrincipalKeys(view: PrincipalView, resContext: Readonly<ConditionContext> | undefined, specContext: Readonly<Record<string, string>> | undefined): boolean {
  if (resContext) for (const k in resContext) if (view.isPrincipalKey(k.toLowerCase())) return true;
  if (specContext) for (const k in specContext) if (view.isPrincipalKey(k.toLowerCase())) return true;
  return false;
}

export class Authorizer {
  private lastSecond = -1;
  private lastIso = "";
  private lastEpoch = "";

  constructor(private readonly nimbus: Nimbus) {}

  /** Throws the protocol's access-denied AwsError when the request is denied (enforce). */
  authorize(principal: Principal, model: ServiceModel, operation: string, input: Record<string, unknown>, info: AuthorizeInfo): void {
    // 1. Off, or root with no resource policy to consult.
    const mode = this.nimbus.config.iam;
    if (mode === "off") return;
    const def = this.nimbus.services.get(model.service);
    const hook = def?.resourcePolicy;
    if (principal.type === "root" && !hook) return;
    this.authorizeOperation(mode, principal, model, operation, input, info, hook);
  }

  /**
   * Steps 2 on, apart from step 1's exits (most requests): V8 tiers a function up after
   * executing bytecode in proportion to its size, and the whole of authorize(), entered for
   * its first lines, stayed in baseline code in the socket bench.
   */
  private authorizeOperation(
    mode: NimbusConfig["iam"],
    principal: Principal,
    model: ServiceModel,
    operation: string,
    input: Record<string, unknown>,
    info: AuthorizeInfo,
    hook: ServiceDefinition["resourcePolicy"],
  ): void {
    // 2. What the operation authorizes.
    const svc = serviceAuthz(model.service);
    const op = svc?.operations[operation];
    if (!op || op.skip) return;
    const specs = authorizationsFor(op, input);

    // 3. The principal's policies (root and anonymous callers have none).
    let pol = NO_POLICIES;
    if (principal.type === "user" || principal.type === "assumed-role") pol = this.nimbus.principalPolicies?.policiesFor(principal) ?? NO_POLICIES;

    // What the principal and its policies decide on their own (principal-plan.ts), once per
    // principal and IAM generation.
    const view = pol !== NO_POLICIES ? viewFor(principal, pol) : undefined;

    let base: ConditionContext | undefined;
    for (const spec of specs) {
      const resources = resolveResources(spec.resource, input, info.region, principal.accountId || info.accountId || "000000000000");
      for (const named of resources) {
        const res: ResourcePolicyInfo | undefined = hook ? hook({ operation, action: spec.action, input, resource: named, principal, accountId: principal.accountId, region: info.region }, this.nimbus.runtimeFor(model.service)) : undefined;
        const resource = res?.resource ?? named;
        const owner = res?.ownerAccountId ?? accountOfArn(resource) ?? principal.accountId;
        // Root of the resource's account with no resource policy: nothing can deny it.
        if (principal.type === "root" && owner === principal.accountId && !res?.policy) continue;
        // 4. The request context, built only when something reads it.
        let ctx: ConditionContext | undefined;
        const context = (): ConditionContext => {
          if (ctx) return ctx;
          base ??= this.baseContext(principal, pol, input, spec, info, view);
          const c = res?.tags || res?.context || spec.context ? { ...base } : base;
          c["aws:resourceaccount"] = owner;
          if (res?.tags) for (const k in res.tags) c[`aws:resourcetag/${k.toLowerCase()}`] = res.tags[k];
          if (res?.context) for (const k in res.context) c[k.toLowerCase()] = res.context[k];
          if (spec.context) {
            for (const k in spec.context) {
              const v = input[spec.context[k]];
              if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") c[k.toLowerCase()] = String(v);
            }
          }
          return (ctx = c);
        };
        // 5. Evaluate: from the principal's plan when there is one, else in full.
        const plan = view && !overridesPrincipalKeys(view, res?.context, spec.context) ? view.plan(spec.action, resource) : undefined;
        let decision: Decision;
        if (plan?.own && owner === principal.accountId && !res?.policy) decision = plan.own;
        else if (plan) {
          const c = res?.policy || !isFixed(plan) ? context() : NO_CONTEXT;
          const req: AuthzRequest = { principal, action: spec.action, resource, resourceAccountId: owner, context: c, ...(principal.service ? { as: { service: principal.service } } : {}) };
          decision = evaluateWithSides(
            req,
            view!.policySet(res?.policy ? { name: "resource-based policy", document: res.policy } : undefined),
            c,
            sideResult(plan.identity, resource, c),
            sideResult(plan.boundary, resource, c),
            sideResult(plan.session, resource, c),
          );
        } else {
          const c = context();
          decision = evaluateLowerCased(
            { principal, action: spec.action, resource, resourceAccountId: owner, context: c, ...(principal.service ? { as: { service: principal.service } } : {}) },
            { identity: pol.identity, boundary: pol.boundary, session: pol.session, resource: res?.policy ? { name: "resource-based policy", document: res.policy } : undefined },
            c,
          );
        }
        if (mode === "audit") this.audit(principal, spec.action, resource, decision);
        if (decision.decision !== "Allow" && mode === "enforce") {
          throw accessDeniedError({
            service: model.service,
            protocol: info.protocol,
            queryCompatible: model.awsQueryCompatible === true,
            principal,
            action: spec.action,
            resource,
            decision,
            context: context(),
          });
        }
      }
    }
  }

  private baseContext(principal: Principal, pol: PrincipalPolicies, input: Record<string, unknown>, spec: AuthorizationSpec, info: AuthorizeInfo, view: PrincipalView | undefined): ConditionContext {
    const now = this.nimbus.clock.now();
    // One ISO string per second (aws:CurrentTime has second precision in AWS's request context).
    const sec = Math.floor(now / 1000);
    if (sec !== this.lastSecond) {
      this.lastSecond = sec;
      this.lastIso = new Date(sec * 1000).toISOString().replace(".000Z", "Z");
      this.lastEpoch = String(sec);
    }
    const ctx: ConditionContext = {
      "aws:currenttime": this.lastIso,
      "aws:epochtime": this.lastEpoch,
      "aws:securetransport": "false",
      "aws:requestedregion": info.region,
      "aws:viaawsservice": "false",
    };
    if (info.viaService) {
      ctx["aws:viaawsservice"] = "true";
      ctx["kms:viaservice"] = info.viaService;
    }
    if (info.sourceIp) ctx["aws:sourceip"] = info.sourceIp.startsWith("::ffff:") ? info.sourceIp.slice(7) : info.sourceIp;
    const ua = info.headers["user-agent"];
    if (ua) ctx["aws:useragent"] = ua;
    const ref = info.headers.referer;
    if (ref) ctx["aws:referer"] = ref;
    // A service principal (core/client onBehalfOf): for which resource.
    if (principal.service) {
      const src = info.onBehalfOf;
      if (src?.sourceArn) ctx["aws:sourcearn"] = src.sourceArn;
      const srcAccount = src?.sourceAccount ?? (src?.sourceArn ? accountOfArn(src.sourceArn) : undefined);
      if (srcAccount) ctx["aws:sourceaccount"] = srcAccount;
    }
    // The principal's own keys (aws:PrincipalArn, aws:PrincipalTag/*...), the same on all its
    // requests: written last but for the request tags, so that a provider's key wins as before.
    Object.assign(ctx, view ? view.ctx : principalContext(principal, pol));
    if (spec.requestTags && input[spec.requestTags] !== undefined) addRequestTags(ctx, input[spec.requestTags]);
    return ctx;
  }

  private audit(principal: Principal, action: string, resource: string, d: Decision): void {
    if (this.nimbus.config.log === "silent") return;
    const by = d.decision === "Allow" ? "" : ` (${d.by}${d.statement ? ` ${d.statement}` : ""})`;
    console.log(`nimbus: iam audit ${d.decision === "Allow" ? "ALLOW" : d.decision === "ExplicitDeny" ? "DENY explicit" : "DENY implicit"}${by} ${principal.arn} ${action} ${resource}`);
  }
}
