// The handlers of S3's access, CORS and website slice, merged into the S3 service's map.
import type { Handler } from "../../../core/service.js";
import { GetBucketAcl, GetObjectAcl, PutBucketAcl, PutObjectAcl } from "../handlers/acl.js";
import { DeleteBucketCors, GetBucketCors, PutBucketCors } from "../handlers/cors.js";
import { DeleteBucketOwnershipControls, GetBucketOwnershipControls, PutBucketOwnershipControls } from "../handlers/ownership.js";
import { DeleteBucketPolicy, GetBucketPolicy, GetBucketPolicyStatus, PutBucketPolicy } from "../handlers/policy.js";
import { DeletePublicAccessBlock, GetPublicAccessBlock, PutPublicAccessBlock } from "../handlers/public-access.js";
import { DeleteBucketWebsite, GetBucketWebsite, PutBucketWebsite } from "../handlers/website.js";

export const accessHandlers: Record<string, Handler> = {
  PutBucketPolicy,
  GetBucketPolicy,
  DeleteBucketPolicy,
  GetBucketPolicyStatus,
  GetBucketAcl,
  PutBucketAcl,
  GetObjectAcl,
  PutObjectAcl,
  PutPublicAccessBlock,
  GetPublicAccessBlock,
  DeletePublicAccessBlock,
  PutBucketOwnershipControls,
  GetBucketOwnershipControls,
  DeleteBucketOwnershipControls,
  PutBucketCors,
  GetBucketCors,
  DeleteBucketCors,
  PutBucketWebsite,
  GetBucketWebsite,
  DeleteBucketWebsite,
};
