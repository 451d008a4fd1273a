// Tags on rules and event buses: TagResource (merged by key, at most 50), UntagResource,
// ListTagsForResource, by the resource's ARN.
import type { ListTagsForResourceRequest, ListTagsForResourceResponse, TagResourceRequest, UntagResourceRequest } from "@aws-sdk/client-eventbridge";
import type { Handler, RequestContext } from "../../core/service.js";
import { mergeTags, notFound, ruleId, saveRule, storeOf, validationError, type BusDoc, type RuleDoc, type Tag } from "./store.js";

const MAX_TAGS = 50;

/** The rule or bus an ARN names in the caller's account, with a function that saves it. */
function resourceOf(ctx: RequestContext, arn: string): { tags: Tag[]; save(tags: Tag[]): void } {
  const m = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):(rule|event-bus)\/(.+)$/.exec(arn);
  if (!m) throw validationError(`Parameter ${arn} is not valid. Reason: Provided Arn is not in correct format.`);
  const [, region, account, kind, rest] = m;
  const store = storeOf(ctx.db, account, region);
  if (account === ctx.accountId && kind === "event-bus") {
    const bus = store.get<BusDoc>("bus", rest);
    if (bus) return { tags: bus.tags, save: (tags) => store.put("bus", rest, { ...bus, tags }) };
    throw notFound(`Event bus ${rest} does not exist.`);
  }
  if (account === ctx.accountId && kind === "rule") {
    const slash = rest.lastIndexOf("/");
    const bus = slash < 0 ? "default" : rest.slice(0, slash);
    const name = rest.slice(slash + 1);
    const rule = store.get<RuleDoc>("rule", ruleId(bus, name));
    if (rule) return { tags: rule.tags, save: (tags) => saveRule(ctx.db, { ...rule, tags }) };
    throw notFound(`Rule ${name} does not exist on EventBus ${bus}.`);
  }
  throw notFound(`Resource ${arn} does not exist.`);
}

export const TagResource: Handler<TagResourceRequest, Record<string, never>> = (input, ctx) => {
  const r = resourceOf(ctx, input.ResourceARN!);
  for (const t of input.Tags ?? []) {
    if (!t.Key || t.Key.length > 128 || t.Key.startsWith("aws:")) throw validationError(`Invalid tag key: ${t.Key ?? ""}`);
    if ((t.Value ?? "").length > 256) throw validationError(`Invalid tag value for key ${t.Key}`);
  }
  const tags = mergeTags(r.tags, input.Tags?.map((t) => ({ Key: t.Key!, Value: t.Value ?? "" })));
  if (tags.length > MAX_TAGS) throw validationError("The number of tags exceeds the limit of 50.");
  r.save(tags);
  return {};
};

export const UntagResource: Handler<UntagResourceRequest, Record<string, never>> = (input, ctx) => {
  const r = resourceOf(ctx, input.ResourceARN!);
  const drop = new Set(input.TagKeys ?? []);
  r.save(r.tags.filter((t) => !drop.has(t.Key)));
  return {};
};

export const ListTagsForResource: Handler<ListTagsForResourceRequest, ListTagsForResourceResponse> = (input, ctx) => {
  return { Tags: resourceOf(ctx, input.ResourceARN!).tags };
};
