// Put/GetBucketNotificationConfiguration. A new configuration is validated (config.ts), then,
// unless SkipDestinationValidation, each destination is checked as S3 does: SQS queues and SNS
// topics receive an s3:TestEvent on behalf of s3.amazonaws.com (so their policy must allow S3),
// Lambda functions get a DryRun invoke on behalf of S3 (their policy must allow
// lambda:InvokeFunction). Any failure answers "Unable to validate the following destination
// configurations" and changes nothing.
import type {
  GetBucketNotificationConfigurationRequest,
  NotificationConfiguration,
  PutBucketNotificationConfigurationRequest,
} from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler, RequestContext } from "../../../core/service.js";
import { readBucket, updateBucket } from "../access/config.js";
import { noSuchBucket } from "../handlers/buckets.js";
import { parseNotification, toOutput, type NotificationInput, type StoredNotification, type StoredRule } from "./config.js";
import { noteConfigured, type NotifyingBucket } from "./emit.js";
import { deliver } from "./outbox.js";

function ownedBucket(ctx: RequestContext, name: string, method: string): NotifyingBucket {
  const b = readBucket(ctx, name) as NotifyingBucket | undefined;
  if (!b) throw noSuchBucket(name);
  if (ctx.principal.type === "anonymous" || ctx.principal.accountId !== b.accountId) {
    throw new AwsError("AccessDenied", "Access Denied", 403, { fields: { Method: method } });
  }
  return b;
}

/** The test event S3 sends to a destination when a configuration is saved. */
function testEvent(ctx: RequestContext, bucket: string): string {
  return JSON.stringify({
    Service: "Amazon S3",
    Event: "s3:TestEvent",
    Time: ctx.clock.date().toISOString(),
    Bucket: bucket,
    RequestId: ctx.requestId.replace(/-/g, "").slice(0, 16).toUpperCase(),
    HostId: Buffer.from(ctx.requestId).toString("base64"),
  });
}

/** Why a destination failed validation, in S3's words (undefined: it validated). */
async function validateDestination(ctx: RequestContext, b: NotifyingBucket, r: StoredRule): Promise<string | undefined> {
  const kind = r.type === "sqs" ? "queue" : r.type === "sns" ? "topic" : "function";
  try {
    if (r.type === "lambda") {
      const [, , , region, account] = r.arn.split(":");
      const as = { accountId: account, region, onBehalfOf: { service: "s3.amazonaws.com", sourceArn: `arn:aws:s3:::${b.name}`, sourceAccount: b.accountId } };
      await ctx.client.call("lambda", "Invoke", { FunctionName: r.arn, InvocationType: "DryRun" }, as);
    } else {
      await deliver(ctx.client, { target: { type: r.type, arn: r.arn }, bucket: b.name, bucketAccount: b.accountId, message: testEvent(ctx, b.name) });
    }
    return undefined;
  } catch (e) {
    const code = e instanceof AwsError ? e.code : "";
    if (r.type === "lambda") {
      if (/NotFound/.test(code)) return `The destination function ${r.arn} does not exist`;
      return `Not authorized to invoke function [${r.arn}]`;
    }
    if (/NonExistent|DoesNotExist|NotFound/.test(code)) return `The destination ${kind} does not exist`;
    return `Permissions on the destination ${kind} do not allow S3 to publish notifications from this bucket`;
  }
}

export const PutBucketNotificationConfiguration: Handler<PutBucketNotificationConfigurationRequest, Record<string, never>> = async (input, ctx) => {
  const b = ownedBucket(ctx, input.Bucket!, "PUT");
  const parsed: StoredNotification = parseNotification((input.NotificationConfiguration ?? {}) as NotificationInput);
  if (!input.SkipDestinationValidation) {
    const failures: Array<[string, string]> = [];
    // One validation per distinct destination.
    const seen = new Set<string>();
    for (const r of parsed.rules) {
      if (seen.has(r.arn)) continue;
      seen.add(r.arn);
      const why = await validateDestination(ctx, b, r);
      if (why) failures.push([r.arn, why]);
    }
    if (failures.length > 0) {
      const fields: Record<string, string> = {};
      failures.forEach(([arn, why], i) => {
        fields[`ArgumentName${i === 0 ? "" : i + 1}`] = arn;
        fields[`ArgumentValue${i === 0 ? "" : i + 1}`] = why;
      });
      throw new AwsError("InvalidArgument", "Unable to validate the following destination configurations", 400, { fields });
    }
  }
  updateBucket(ctx, b.name, (d) => {
    const doc = d as NotifyingBucket;
    if (parsed.rules.length === 0 && !parsed.eventBridge) delete doc.notification;
    else doc.notification = parsed;
  });
  if (parsed.rules.length > 0 || parsed.eventBridge) noteConfigured(ctx.db, b.name);
  return {};
};

export const GetBucketNotificationConfiguration: Handler<GetBucketNotificationConfigurationRequest, NotificationConfiguration> = (input, ctx) => {
  const b = ownedBucket(ctx, input.Bucket!, "GET");
  return toOutput(b.notification) as NotificationConfiguration;
};
