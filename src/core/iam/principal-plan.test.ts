// Evaluation plans (principal-plan.ts) must decide exactly as the full evaluation does: the
// same decision, deciding type, statement and policy, for every request, whatever the plan
// decided ahead from the principal alone and whatever it leaves to the request.
import { describe, expect, it } from "vitest";
import type { Principal } from "../service.js";
import { evaluateLowerCased, evaluateWithSides } from "./evaluate.js";
import { PrincipalView, isFixed, principalContext, sideResult, viewFor } from "./principal-plan.js";
import type { ConditionContext, Decision, PrincipalPolicies } from "./types.js";

const ACCOUNT = "111122223333";
const alice: Principal = { type: "user", accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/alice`, userId: "AIDAALICE" };
const session: Principal = {
  type: "assumed-role",
  accountId: ACCOUNT,
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Builder/s1`,
  userId: "AROABUILDER:s1",
  accessKeyId: "ASIAEXAMPLE",
};

const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

/** Request-side keys as the gateway writes them, then the principal's. */
function requestContext(principal: Principal, pol: PrincipalPolicies, sourceIp: string, extra: ConditionContext = {}): ConditionContext {
  return { "aws:currenttime": "2026-11-22T12:00:00Z", "aws:sourceip": sourceIp, "aws:securetransport": "false", ...principalContext(principal, pol), ...extra };
}

function planned(view: PrincipalView, principal: Principal, action: string, resource: string, owner: string, ctx: ConditionContext, resourcePolicy?: string): Decision {
  const plan = view.plan(action, resource)!;
  if (plan.own && owner === principal.accountId && !resourcePolicy) return plan.own;
  const policies = view.policySet(resourcePolicy ? { name: "resource-based policy", document: resourcePolicy } : undefined);
  return evaluateWithSides(
    { principal, action, resource, resourceAccountId: owner, context: ctx },
    policies,
    ctx,
    sideResult(plan.identity, resource, ctx),
    sideResult(plan.boundary, resource, ctx),
    sideResult(plan.session, resource, ctx),
  );
}

function full(principal: Principal, pol: PrincipalPolicies, action: string, resource: string, owner: string, ctx: ConditionContext, resourcePolicy?: string): Decision {
  return evaluateLowerCased(
    { principal, action, resource, resourceAccountId: owner, context: ctx },
    { identity: pol.identity, boundary: pol.boundary, session: pol.session, resource: resourcePolicy ? { name: "resource-based policy", document: resourcePolicy } : undefined },
    ctx,
  );
}

const identity = [
  {
    name: "arn:aws:iam::111122223333:policy/tagged-deny",
    document: doc({ Sid: "BlockedByTag", Effect: "Deny", Action: "s3:*", Resource: "*", Condition: { StringEquals: { "aws:PrincipalTag/blocked": "true" } } }),
  },
  {
    name: "arn:aws:iam::111122223333:policy/home",
    document: doc(
      { Sid: "Home", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::team/home/${aws:username}/*" },
      { Sid: "FromOffice", Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::team", Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } },
      { Sid: "NotAtNight", Effect: "Deny", Action: "s3:DeleteObject", Resource: "*", Condition: { StringLike: { "aws:CurrentTime": "2026-11-22T0*" } } },
      { Sid: "TeamRead", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::team/shared/*", Condition: { StringEquals: { "aws:PrincipalTag/team": "${aws:PrincipalTag/team}", "aws:username": "alice" } } },
      { Sid: "QueueByTag", Effect: "Allow", Action: "sqs:*", Resource: "arn:aws:sqs:*:111122223333:${aws:PrincipalTag/team}-*" },
      { Sid: "DeleteOwn", Effect: "Allow", Action: "s3:DeleteObject", Resource: "arn:aws:s3:::team/home/${aws:username}/*" },
    ),
  },
];

const cases: Array<[string, string, string, string?]> = [
  // action, resource, source ip, resource policy
  ["s3:GetObject", "arn:aws:s3:::team/home/alice/a.txt", "10.1.2.3"],
  ["s3:GetObject", "arn:aws:s3:::team/home/bob/a.txt", "10.1.2.3"],
  ["s3:GetObject", "arn:aws:s3:::team/shared/x", "192.168.0.1"],
  ["s3:ListBucket", "arn:aws:s3:::team", "10.1.2.3"],
  ["s3:ListBucket", "arn:aws:s3:::team", "192.168.0.1"],
  ["s3:DeleteObject", "arn:aws:s3:::team/home/alice/a.txt", "10.0.0.1"],
  ["sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:red-jobs", "10.0.0.1"],
  ["sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:blue-jobs", "10.0.0.1"],
  ["s3:PutObject", "arn:aws:s3:::team/home/alice/b", "10.0.0.1", doc({ Sid: "DenyPut", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::team/*" })],
  ["s3:GetObject", "arn:aws:s3:::team/other", "10.0.0.1", doc({ Sid: "GrantAlice", Effect: "Allow", Principal: { AWS: alice.arn }, Action: "s3:GetObject", Resource: "arn:aws:s3:::team/*" })],
];

describe("evaluation plans decide as the full evaluation", () => {
  for (const [label, tags] of [
    ["untagged", {}],
    ["team red", { team: "red" }],
    ["blocked", { team: "red", blocked: "true" }],
  ] as Array<[string, Record<string, string>]>) {
    it(`user ${label}: every case, same account and cross-account`, () => {
      const pol: PrincipalPolicies = { identity, tags };
      const view = viewFor(alice, pol);
      for (const [action, resource, ip, rp] of cases) {
        for (const owner of [ACCOUNT, "444455556666"]) {
          const ctx = requestContext(alice, pol, ip, { "aws:resourceaccount": owner });
          expect(planned(view, alice, action, resource, owner, ctx, rp), `${action} ${resource} ${ip} ${owner}`).toEqual(full(alice, pol, action, resource, owner, ctx, rp));
        }
      }
    });
  }

  it("role session with a boundary and session policies", () => {
    const pol: PrincipalPolicies = {
      identity: [{ name: "role/Builder/inline", document: doc({ Effect: "Allow", Action: ["s3:*", "sqs:*"], Resource: "*" }) }],
      boundary: { name: "arn:aws:iam::111122223333:policy/boundary", document: doc({ Sid: "B", Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { StringEquals: { "aws:SourceIdentity": "ci" } } }) },
      session: [{ name: "session policy", document: doc({ Sid: "S", Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } }) }],
      tags: { team: "red" },
      context: { "aws:SourceIdentity": "ci", "aws:TokenIssueTime": "2026-11-22T11:00:00.000Z" },
    };
    const view = viewFor(session, pol);
    for (const [action, resource, ip, rp] of cases) {
      const ctx = requestContext(session, pol, ip, { "aws:resourceaccount": ACCOUNT });
      expect(planned(view, session, action, resource, ACCOUNT, ctx, rp), `${action} ${resource} ${ip}`).toEqual(full(session, pol, action, resource, ACCOUNT, ctx, rp));
    }
  });

  it("decides ahead what reads only principal keys and leaves the rest to the request", () => {
    const view = viewFor(alice, { identity, tags: { team: "red" } });
    // Home: the username variable is the principal's; the tag-conditioned deny never applies.
    const home = view.plan("s3:GetObject", "arn:aws:s3:::team/home/alice/a.txt")!;
    expect(isFixed(home)).toBe(true);
    expect(home.own).toEqual({ decision: "Allow", by: "identity", statement: "Home", policy: "arn:aws:iam::111122223333:policy/home" });
    // FromOffice reads aws:SourceIp: left to each request.
    expect(isFixed(view.plan("s3:ListBucket", "arn:aws:s3:::team")!)).toBe(false);
    // NotAtNight reads aws:CurrentTime.
    expect(isFixed(view.plan("s3:DeleteObject", "arn:aws:s3:::team/home/alice/a")!)).toBe(false);
    expect(view.plan("sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:blue-jobs")!.own?.decision).toBe("ImplicitDeny");
  });

  it("a new PrincipalPolicies object (an IAM change) gets a new view; another principal never shares one", () => {
    const pol: PrincipalPolicies = { identity, tags: { blocked: "true" } };
    const v1 = viewFor(alice, pol);
    expect(viewFor(alice, pol)).toBe(v1);
    expect(v1.plan("s3:GetObject", "arn:aws:s3:::team/home/alice/a.txt")!.own?.decision).toBe("ExplicitDeny");
    const v2 = viewFor(alice, { identity, tags: {} });
    expect(v2).not.toBe(v1);
    expect(v2.plan("s3:GetObject", "arn:aws:s3:::team/home/alice/a.txt")!.own?.decision).toBe("Allow");
    const bob: Principal = { ...alice, arn: `arn:aws:iam::${ACCOUNT}:user/bob`, userId: "AIDABOB" };
    const vb = viewFor(bob, pol);
    expect(vb).not.toBe(v1);
    expect(vb.plan("s3:GetObject", "arn:aws:s3:::team/home/alice/a.txt")!.own?.decision).toBe("ExplicitDeny");
  });

  it("principal keys: the fixed names, principal tags, the provider's own keys, never request-written ones", () => {
    const view = new PrincipalView(session, { identity: [], context: { "aws:SourceIdentity": "ci", "aws:RequestTag/x": "y" } });
    for (const k of ["aws:principalarn", "aws:username", "aws:principaltag/anything", "aws:sourceidentity"]) expect(view.isPrincipalKey(k), k).toBe(true);
    for (const k of ["aws:sourceip", "aws:currenttime", "aws:requesttag/x", "aws:resourcetag/t", "aws:resourceaccount", "s3:prefix"]) expect(view.isPrincipalKey(k), k).toBe(false);
  });
});
