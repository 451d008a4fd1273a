// Website configuration: Put/Get/DeleteBucketWebsite. The website endpoint itself is served
// by access/website-serve.ts.
import type { DeleteBucketWebsiteRequest, GetBucketWebsiteOutput, GetBucketWebsiteRequest, PutBucketWebsiteRequest } from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import { updateBucket, type AccessBucket, type WebsiteConfig } from "../access/config.js";
import { ownBucket } from "./buckets.js";
import { malformedXml } from "./ownership.js";

function invalidArgument(message: string): AwsError {
  return new AwsError("InvalidArgument", message, 400);
}

/** S3's limit on routing rules (user guide, "Configuring redirects"). */
const MAX_ROUTING_RULES = 50;

export const PutBucketWebsite: Handler<PutBucketWebsiteRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const w = input.WebsiteConfiguration;
  if (!w) throw malformedXml();
  const cfg: WebsiteConfig = {};
  if (w.RedirectAllRequestsTo) {
    // Redirect-all excludes every other element.
    if (w.IndexDocument || w.ErrorDocument || w.RoutingRules?.length) throw malformedXml();
    if (!w.RedirectAllRequestsTo.HostName) throw malformedXml();
    const proto = w.RedirectAllRequestsTo.Protocol;
    if (proto !== undefined && proto !== "http" && proto !== "https") throw invalidArgument("Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.");
    cfg.RedirectAllRequestsTo = { HostName: w.RedirectAllRequestsTo.HostName, ...(proto ? { Protocol: proto } : {}) };
  } else {
    const suffix = w.IndexDocument?.Suffix;
    if (suffix === undefined) throw invalidArgument("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty");
    if (suffix === "" || suffix.includes("/")) throw invalidArgument("The IndexDocument Suffix is not well formed");
    cfg.IndexDocument = { Suffix: suffix };
    if (w.ErrorDocument) {
      if (!w.ErrorDocument.Key) throw invalidArgument("The ErrorDocument Key is not well formed");
      cfg.ErrorDocument = { Key: w.ErrorDocument.Key };
    }
    if (w.RoutingRules?.length) {
      if (w.RoutingRules.length > MAX_ROUTING_RULES) throw invalidArgument(`The number of routing rules must not exceed the allowed limit of ${MAX_ROUTING_RULES} rules.`);
      cfg.RoutingRules = w.RoutingRules.map((r) => {
        const red = r.Redirect;
        if (!red) throw malformedXml();
        if (red.ReplaceKeyPrefixWith !== undefined && red.ReplaceKeyWith !== undefined) {
          throw invalidArgument("You can only define ReplaceKeyPrefix or ReplaceKey but not both.");
        }
        if (red.HttpRedirectCode !== undefined && !/^3\d\d$/.test(red.HttpRedirectCode)) throw invalidArgument("The provided HTTP redirect code is not valid. It should be a string containing a number.");
        if (red.Protocol !== undefined && red.Protocol !== "http" && red.Protocol !== "https") throw invalidArgument("Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.");
        const c = r.Condition;
        if (c && c.HttpErrorCodeReturnedEquals === undefined && c.KeyPrefixEquals === undefined) throw invalidArgument("Condition cannot be empty. To redirect all requests without a condition, the condition element shouldn't be present.");
        return {
          ...(c ? { Condition: { ...(c.HttpErrorCodeReturnedEquals !== undefined ? { HttpErrorCodeReturnedEquals: c.HttpErrorCodeReturnedEquals } : {}), ...(c.KeyPrefixEquals !== undefined ? { KeyPrefixEquals: c.KeyPrefixEquals } : {}) } } : {}),
          Redirect: {
            ...(red.HostName !== undefined ? { HostName: red.HostName } : {}),
            ...(red.HttpRedirectCode !== undefined ? { HttpRedirectCode: red.HttpRedirectCode } : {}),
            ...(red.Protocol !== undefined ? { Protocol: red.Protocol } : {}),
            ...(red.ReplaceKeyPrefixWith !== undefined ? { ReplaceKeyPrefixWith: red.ReplaceKeyPrefixWith } : {}),
            ...(red.ReplaceKeyWith !== undefined ? { ReplaceKeyWith: red.ReplaceKeyWith } : {}),
          },
        };
      });
    }
  }
  updateBucket(ctx, b.name, (d) => {
    d.website = cfg;
  });
  return {};
};

export const GetBucketWebsite: Handler<GetBucketWebsiteRequest, GetBucketWebsiteOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!) as AccessBucket;
  if (!b.website) throw new AwsError("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration", 404, { fields: { BucketName: b.name } });
  return b.website as GetBucketWebsiteOutput;
};

export const DeleteBucketWebsite: Handler<DeleteBucketWebsiteRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  updateBucket(ctx, b.name, (d) => {
    delete d.website;
  });
  return {};
};
