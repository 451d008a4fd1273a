// The handlers of the lifecycle / storage-class / encryption slice (lifecycle configuration,
// RestoreObject, default bucket encryption, Intelligent-Tiering archive configurations), merged into the S3 service's map.
import type { Handler } from "../../../core/service.js";
import { RestoreObject } from "../restore.js";
import { DeleteBucketEncryption, GetBucketEncryption, PutBucketEncryption } from "../encryption/bucket-encryption.js";
import { intelligentTieringHandlers } from "../intelligent-tiering.js";
import { DeleteBucketLifecycle, GetBucketLifecycleConfiguration, PutBucketLifecycleConfiguration } from "./config.js";

export const lifecycleHandlers: Record<string, Handler> = {
  PutBucketLifecycleConfiguration,
  GetBucketLifecycleConfiguration,
  DeleteBucketLifecycle,
  RestoreObject,
  PutBucketEncryption,
  GetBucketEncryption,
  DeleteBucketEncryption,
  ...intelligentTieringHandlers,
};
