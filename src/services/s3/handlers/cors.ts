// CORS configuration: Put/Get/DeleteBucketCors. Preflight (OPTIONS) is answered by
// access/raw-http.ts, and the headers of actual requests by access/authorize.ts.
import type { DeleteBucketCorsRequest, GetBucketCorsOutput, GetBucketCorsRequest, PutBucketCorsRequest } from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import { updateBucket, type AccessBucket, type CorsRule } from "../access/config.js";
import { CORS_METHODS } from "../access/cors-match.js";
import { ownBucket } from "./buckets.js";
import { malformedXml } from "./ownership.js";

/** S3's limits: 100 rules, 64 KB of configuration (user guide, "CORS configuration"). */
const MAX_RULES = 100;

export const PutBucketCors: Handler<PutBucketCorsRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  const rules = input.CORSConfiguration?.CORSRules ?? [];
  if (rules.length === 0) throw malformedXml();
  if (rules.length > MAX_RULES) throw new AwsError("InvalidRequest", `The number of CORS rules should not exceed allowed limit of ${MAX_RULES} rules.`, 400);
  const stored: CorsRule[] = [];
  for (const r of rules) {
    if (!r.AllowedMethods?.length || !r.AllowedOrigins?.length) throw malformedXml();
    for (const m of r.AllowedMethods) {
      if (!CORS_METHODS.has(m)) throw new AwsError("InvalidRequest", `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`, 400);
    }
    for (const o of r.AllowedOrigins) {
      if (o.split("*").length > 2) throw new AwsError("InvalidRequest", `AllowedOrigin "${o}" can not have more than one wildcard.`, 400);
    }
    for (const h of r.AllowedHeaders ?? []) {
      if (h.split("*").length > 2) throw new AwsError("InvalidRequest", `AllowedHeader "${h}" can not have more than one wildcard.`, 400);
    }
    if (r.ID !== undefined && r.ID.length > 255) throw new AwsError("InvalidArgument", "The ID must be less than 255 characters", 400);
    stored.push({
      ...(r.ID !== undefined ? { ID: r.ID } : {}),
      ...(r.AllowedHeaders?.length ? { AllowedHeaders: r.AllowedHeaders } : {}),
      AllowedMethods: r.AllowedMethods,
      AllowedOrigins: r.AllowedOrigins,
      ...(r.ExposeHeaders?.length ? { ExposeHeaders: r.ExposeHeaders } : {}),
      ...(r.MaxAgeSeconds !== undefined ? { MaxAgeSeconds: r.MaxAgeSeconds } : {}),
    });
  }
  if (Buffer.byteLength(JSON.stringify(stored)) > 64 * 1024) throw new AwsError("InvalidRequest", "The CORS configuration exceeds the maximum size of 64 KB.", 400);
  updateBucket(ctx, b.name, (d) => {
    d.cors = stored;
  });
  return {};
};

export const GetBucketCors: Handler<GetBucketCorsRequest, GetBucketCorsOutput> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!) as AccessBucket;
  if (!b.cors) throw new AwsError("NoSuchCORSConfiguration", "The CORS configuration does not exist", 404, { fields: { BucketName: b.name } });
  return { CORSRules: b.cors };
};

export const DeleteBucketCors: Handler<DeleteBucketCorsRequest, Record<string, never>> = (input, ctx) => {
  const b = ownBucket(ctx, input.Bucket!);
  updateBucket(ctx, b.name, (d) => {
    delete d.cors;
  });
  return {};
};
