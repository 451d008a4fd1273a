// The handlers of the lifecycle / storage-class slice (lifecycle configuration, RestoreObject),
// merged into the S3 service's map.
import type { Handler } from "../../../core/service.js";
import { RestoreObject } from "../restore.js";
import { DeleteBucketLifecycle, GetBucketLifecycleConfiguration, PutBucketLifecycleConfiguration } from "./config.js";

export const lifecycleHandlers: Record<string, Handler> = {
  PutBucketLifecycleConfiguration,
  GetBucketLifecycleConfiguration,
  DeleteBucketLifecycle,
  RestoreObject,
};
