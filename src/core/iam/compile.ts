// Policies compiled for evaluation, cached by document text: the hot path never parses JSON or
// builds a RegExp. Statements are indexed by the vendor prefix of their actions ("s3", "sqs") so
// a request only looks at statements that can name its action.
import { compileConditions, conditionKeys, type ConditionFn } from "./conditions.js";
import { parsePolicyDocument } from "./policy-document.js";
import type { ConditionContext, ParsedPolicy, ParsedStatement, PolicyKind, PrincipalBlock } from "./types.js";
import { matchTemplateGlob, parseTemplate, type TemplatePart } from "./variables.js";
import { compileArnGlob, compileGlobs, splitArn, type Matcher } from "./wildcard.js";

/** The caller's identities, computed once per request (see principal-ids in evaluate.ts). */
export interface CallerIds {
  /** ARNs/ids that count as the caller itself: user ARN, session ARN, user id ("*" callers have none). */
  direct: readonly string[];
  /** The role ARN (and role id) of a role session: a grant to them is limited by boundary and session policies. */
  role: readonly string[];
  /** The account root ARN: a grant to the account delegates to the account's identity policies. */
  account: readonly string[];
  service?: string;
  federated?: string;
}

/** How a Principal element matched: to the caller itself, via its role, via its account. */
export type PrincipalMatch = "direct" | "role" | "account" | undefined;

export interface CompiledStatement {
  sid: string;
  deny: boolean;
  /** Tests the lower-cased action. */
  action: Matcher;
  notAction: boolean;
  /** undefined: no Resource element (trust policies): every resource. */
  resource?: (arn: string, ctx: ConditionContext) => boolean;
  notResource: boolean;
  /** The resource test ignores the context (no policy variables): its result can be cached per resource. */
  resourceStatic: boolean;
  principal?: (ids: CallerIds) => PrincipalMatch;
  notPrincipal?: PrincipalBlock;
  condition?: ConditionFn;
  /** The (lower-cased) condition keys `condition` reads, policy variables included. */
  conditionKeys: readonly string[];
  /** The (lower-cased) keys of the policy variables in Resource/NotResource (empty when resourceStatic). */
  resourceKeys: readonly string[];
}

export interface CompiledPolicy {
  /** Statements whose actions may name this vendor, plus those with wildcard vendors / NotAction. */
  byVendor: Map<string, CompiledStatement[]>;
  /** Statements for a vendor no Action names (only wildcard vendors / NotAction). */
  other: CompiledStatement[];
  /**
   * Per "<action> <resource>": the statements whose Action and (context-free) Resource match,
   * computed on first use. A principal repeats the same few requests, so the hot path only
   * evaluates principals and conditions of the statements that can apply.
   */
  candidates: Map<string, CompiledStatement[]>;
  /** Per lower-cased action: the statements whose Action/NotAction matches it. */
  byAction: Map<string, CompiledStatement[]>;
  /**
   * How often `candidates` filled up and was dropped. Past 2, requests name too many distinct
   * resources (S3 objects with unique keys) for the cache to pay: evaluation then tests the
   * resources of the action's statements directly (see scan in evaluate.ts).
   */
  thrash: number;
}

/** The statements of a policy whose Action/NotAction matches the (lower-cased) action. */
export function actionStatements(policy: CompiledPolicy, vendor: string, action: string): CompiledStatement[] {
  let forAction = policy.byAction.get(action);
  if (!forAction) {
    forAction = (policy.byVendor.get(vendor) ?? policy.other).filter((st) => st.action(action) !== st.notAction);
    if (policy.byAction.size >= CANDIDATES_MAX) policy.byAction.clear();
    policy.byAction.set(action, forAction);
  }
  return forAction;
}

const CANDIDATES_MAX = 512;

/** The statements of a policy that can apply to an action on a resource (see CompiledPolicy.candidates). */
export function candidatesFor(policy: CompiledPolicy, vendor: string, action: string, resource: string, key: string): CompiledStatement[] {
  let list = policy.candidates.get(key);
  if (list) return list;
  const forAction = actionStatements(policy, vendor, action);
  list = [];
  for (const st of forAction) {
    if (st.resource && st.resourceStatic && st.resource(resource, EMPTY_CTX) === st.notResource) continue;
    list.push(st);
  }
  if (policy.candidates.size >= CANDIDATES_MAX) {
    policy.candidates.clear();
    policy.thrash++;
  }
  policy.candidates.set(key, list);
  return list;
}

const EMPTY_CTX: ConditionContext = {};

function hasTemplates(patterns: readonly string[], vars: boolean): boolean {
  return vars && patterns.some((p) => parseTemplate(p) !== undefined);
}

function templateKeys(patterns: readonly string[], vars: boolean): string[] {
  if (!vars) return [];
  const out = new Set<string>();
  for (const p of patterns) for (const part of parseTemplate(p) ?? []) if (part.kind === "var") out.add(part.key);
  return [...out];
}

function compileResources(patterns: readonly string[], vars: boolean): (arn: string, ctx: ConditionContext) => boolean {
  const plain: string[] = [];
  const arnGlobs: Matcher[] = [];
  const templates: TemplatePart[][] = [];
  for (const p of patterns) {
    const tpl = vars ? parseTemplate(p) : undefined;
    if (tpl) templates.push(tpl);
    else {
      const parts = splitArn(p);
      // With literal partition/service/region/account, a whole-string glob is the same as ArnLike.
      if (parts && parts.slice(0, 5).some((x) => x.includes("*") || x.includes("?"))) arnGlobs.push(compileArnGlob(p));
      else plain.push(p);
    }
  }
  const m = plain.length ? compileGlobs(plain) : undefined;
  if (!arnGlobs.length && !templates.length && m) return (arn) => m(arn);
  return (arn, ctx) => {
    if (m?.(arn)) return true;
    for (const g of arnGlobs) if (g(arn)) return true;
    for (const t of templates) if (matchTemplateGlob(t, ctx, arn)) return true;
    return false;
  };
}

const ACCOUNT_ID = /^\d{12}$/;

/** The Principal element's AWS entries with bare account ids as root ARNs, as IAM stores them. */
export function normalizedAws(block: PrincipalBlock): Set<string> {
  return new Set((block.AWS ?? []).map((p) => (ACCOUNT_ID.test(p) ? `arn:aws:iam::${p}:root` : p)));
}

function compilePrincipal(block: PrincipalBlock): (ids: CallerIds) => PrincipalMatch {
  const aws = normalizedAws(block);
  const everyone = block.star || aws.has("*");
  const services = new Set(block.Service ?? []);
  const federated = new Set(block.Federated ?? []);
  return (ids) => {
    if (everyone) return "direct";
    for (const d of ids.direct) if (aws.has(d)) return "direct";
    if (ids.service !== undefined && (services.has(ids.service) || services.has("*"))) return "direct";
    if (ids.federated !== undefined && federated.has(ids.federated)) return "direct";
    for (const r of ids.role) if (aws.has(r)) return "role";
    for (const a of ids.account) if (aws.has(a)) return "account";
    return undefined;
  };
}

function compileStatement(st: ParsedStatement, index: number, vars: boolean): CompiledStatement {
  const actions = st.Action ?? st.NotAction ?? [];
  return {
    sid: st.Sid || `Statement[${index}]`,
    deny: st.Effect === "Deny",
    action: compileGlobs(actions, true),
    notAction: st.NotAction !== undefined,
    resource: st.Resource || st.NotResource ? compileResources(st.Resource ?? st.NotResource ?? [], vars) : undefined,
    notResource: st.NotResource !== undefined,
    resourceStatic: !hasTemplates(st.Resource ?? st.NotResource ?? [], vars),
    principal: st.Principal ? compilePrincipal(st.Principal) : undefined,
    notPrincipal: st.NotPrincipal,
    condition: compileConditions(st.Condition, vars),
    conditionKeys: conditionKeys(st.Condition, vars),
    resourceKeys: templateKeys(st.Resource ?? st.NotResource ?? [], vars),
  };
}

/** Compiles a parsed policy (no cache). */
export function compileParsed(policy: ParsedPolicy): CompiledPolicy {
  const vars = policy.Version === "2012-10-17";
  const byVendor = new Map<string, CompiledStatement[]>();
  const anyVendor: CompiledStatement[] = [];
  const vendorOf: Array<Set<string> | undefined> = [];
  const compiled = policy.Statement.map((st, i) => compileStatement(st, i, vars));
  policy.Statement.forEach((st, i) => {
    // A statement is vendor-specific when it lists Actions whose vendor part has no wildcard.
    if (st.NotAction || !st.Action) return void (anyVendor.push(compiled[i]), vendorOf.push(undefined));
    const vendors = new Set<string>();
    for (const a of st.Action) {
      const colon = a.indexOf(":");
      const v = colon < 0 ? "*" : a.slice(0, colon).toLowerCase();
      if (v.includes("*") || v.includes("?")) return void (anyVendor.push(compiled[i]), vendorOf.push(undefined));
      vendors.add(v);
    }
    vendorOf.push(vendors);
  });
  vendorOf.forEach((vendors, i) => {
    if (!vendors) return;
    for (const v of vendors) {
      let list = byVendor.get(v);
      if (!list) byVendor.set(v, (list = []));
      list.push(compiled[i]);
    }
  });
  for (const list of byVendor.values()) list.push(...anyVendor);
  return { byVendor, other: anyVendor, candidates: new Map(), byAction: new Map(), thrash: 0 };
}

const KINDS: readonly PolicyKind[] = ["identity", "resource", "trust"];
const cache = new Map<string, CompiledPolicy>();
const CACHE_MAX = 4096;

/**
 * The compiled form of a policy text, from the cache. A document that is not a valid policy of
 * any kind (which IAM would never have stored) compiles to a policy that allows nothing.
 */
export function compilePolicy(document: string): CompiledPolicy {
  const hit = cache.get(document);
  if (hit) return hit;
  let parsed: ParsedPolicy | undefined;
  for (const kind of KINDS) {
    try {
      parsed = parsePolicyDocument(document, kind);
      break;
    } catch {
      // try the next kind
    }
  }
  const compiled: CompiledPolicy = parsed ? compileParsed(parsed) : { byVendor: new Map(), other: [], candidates: new Map(), byAction: new Map(), thrash: 0 };
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(document, compiled);
  return compiled;
}

