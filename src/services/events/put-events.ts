// PutEvents and TestEventPattern. PutEvents:
//   1. checks the request: 1-10 entries, at most 256 KB in all (AWS's entry size: Time 14
//      bytes, Source, DetailType, Detail and each Resource in UTF-8);
//   2. checks each entry: Source, DetailType and Detail present, Detail a JSON object, an
//      aws.* Source only from the AWS service it names (S3's deliveries) or a forwarded event,
//      an existing bus; a failing entry gets ErrorCode / ErrorMessage and no EventId;
//   3. builds the event envelope (version 0, a new id, time to the second, the sender's
//      account, the bus's region, resources, detail) and matches it against the bus's enabled
//      rules;
//   4. in one transaction with the whole request, queues one delivery per matched rule and
//      target (delivery.ts), then wakes the delivery runner: the answer never waits on a target.
import type { PutEventsRequest, PutEventsResponse, PutEventsResultEntry, TestEventPatternRequest, TestEventPatternResponse } from "@aws-sdk/client-eventbridge";
import { randomUUID } from "node:crypto";
import { AwsError } from "../../core/errors.js";
import type { Handler } from "../../core/service.js";
import { inTransaction } from "../../core/state/database.js";
import { forwardedInputs, queueForRule } from "./delivery.js";
import { compilePattern, matchesPattern } from "./pattern.js";
import { isoSeconds } from "./schedule.js";
import { busRules, getBus, resolveBus, validationError, type RuleDoc } from "./store.js";

const MAX_REQUEST_BYTES = 256 * 1024;

type Entry = NonNullable<PutEventsRequest["Entries"]>[number];

function entrySize(e: Entry): number {
  let n = e.Time !== undefined ? 14 : 0;
  for (const s of [e.Source, e.DetailType, e.Detail]) if (s) n += Buffer.byteLength(s);
  for (const r of e.Resources ?? []) n += Buffer.byteLength(r);
  return n;
}

function fail(code: string, message: string): PutEventsResultEntry {
  return { ErrorCode: code, ErrorMessage: message };
}

export const PutEvents: Handler<PutEventsRequest, PutEventsResponse> = (input, ctx) => {
  // 1.
  const entries = input.Entries ?? [];
  if (entries.length < 1 || entries.length > 10) {
    throw validationError(`1 validation error detected: Value '[${entries.length} entries]' at 'entries' failed to satisfy constraint: Member must have length ${entries.length < 1 ? "greater than or equal to 1" : "less than or equal to 10"}`);
  }
  if (entries.reduce((n, e) => n + entrySize(e), 0) > MAX_REQUEST_BYTES) throw validationError("Total size of the entries in the request is over the limit.");
  // A forwarded event (another bus's rule) keeps its source and its original account.
  const forwardedFrom = forwardedInputs.get(input);
  const forwarded = forwardedFrom !== undefined;
  const now = ctx.clock.now();
  const results: PutEventsResultEntry[] = [];
  const matched: Array<{ rule: RuleDoc; event: Record<string, unknown> }> = [];
  for (const e of entries) {
    // 2.
    if (!e.Source) results.push(fail("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."));
    else if (!e.DetailType) results.push(fail("InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."));
    else if (!e.Detail) results.push(fail("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."));
    else {
      let detail: unknown;
      try {
        detail = JSON.parse(e.Detail);
      } catch {
        detail = undefined;
      }
      if (detail === null || typeof detail !== "object" || Array.isArray(detail)) {
        results.push(fail("MalformedDetail", "Detail is malformed."));
        continue;
      }
      if (e.Source.startsWith("aws.") && !forwarded && !(ctx.principal.service && e.Source === `aws.${ctx.principal.service.split(".")[0]}`)) {
        results.push(fail("NotAuthorizedForSourceException", "Not authorized for the source."));
        continue;
      }
      let b: { account: string; region: string; name: string };
      try {
        b = resolveBus(ctx, e.EventBusName);
      } catch (err) {
        results.push(fail("InvalidArgument", (err as Error).message));
        continue;
      }
      const bus = getBus(ctx.db, b.account, b.region, b.name, now);
      if (!bus) {
        results.push(fail("ResourceNotFoundException", `Event bus ${b.name} does not exist.`));
        continue;
      }
      // 3.
      const id = randomUUID();
      const event: Record<string, unknown> = {
        version: "0",
        id,
        "detail-type": e.DetailType,
        source: e.Source,
        account: forwardedFrom ?? ctx.accountId,
        time: isoSeconds(e.Time !== undefined ? new Date(e.Time).getTime() : now),
        region: b.region,
        resources: e.Resources ?? [],
        detail,
      };
      for (const r of busRules(ctx.db, b.account, b.region, b.name)) {
        if (r.doc.targets.length === 0 || !matchesPattern(r.pattern, event)) continue;
        matched.push({ rule: r.doc, event });
      }
      results.push({ EventId: id });
    }
  }
  // 4.
  if (matched.length > 0) {
    inTransaction(ctx.db, () => {
      for (const m of matched) queueForRule(ctx.db, m.rule, m.event, now);
    });
  }
  return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
};

const REQUIRED_EVENT_FIELDS = ["id", "account", "source", "time", "region", "detail-type"];

export const TestEventPattern: Handler<TestEventPatternRequest, TestEventPatternResponse> = (input) => {
  const pattern = compilePattern(input.EventPattern!);
  let event: unknown;
  try {
    event = JSON.parse(input.Event!);
  } catch {
    throw validationError("Parameter Event is not valid.");
  }
  if (event === null || typeof event !== "object" || Array.isArray(event)) throw validationError("Parameter Event is not valid.");
  for (const f of REQUIRED_EVENT_FIELDS) {
    if (!(f in event)) throw new AwsError("ValidationException", `Parameter Event is not valid. Reason: Provided Event is missing required field ${f}.`);
  }
  return { Result: matchesPattern(pattern, event) };
};
