// S3 seed: buckets. Objects, multipart, versioning and the rest arrive with the S3 issues.
import { defineService } from "../../core/service.js";
import { CreateBucket, DeleteBucket, HeadBucket, ListBuckets } from "./handlers/buckets.js";

export const s3 = defineService({
  name: "s3",
  handlers: { CreateBucket, HeadBucket, ListBuckets, DeleteBucket },
});
