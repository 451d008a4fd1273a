// S3 Control: the account-level Block Public Access settings S3's access decisions combine with
// each bucket's own (src/services/s3/access/config.ts), and access points (S3 resolves their
// aliases and ARNs in src/services/s3/access-points/). Everything else answers NotImplemented.
import { defineService } from "../../core/service.js";
import { DeletePublicAccessBlock, GetPublicAccessBlock, PutPublicAccessBlock } from "./handlers/public-access.js";
import {
  CreateAccessPoint,
  DeleteAccessPoint,
  DeleteAccessPointPolicy,
  GetAccessPoint,
  GetAccessPointPolicy,
  GetAccessPointPolicyStatus,
  ListAccessPoints,
  PutAccessPointPolicy,
} from "./handlers/access-points.js";

export const s3Control = defineService({
  name: "s3-control",
  handlers: {
    GetPublicAccessBlock,
    PutPublicAccessBlock,
    DeletePublicAccessBlock,
    CreateAccessPoint,
    GetAccessPoint,
    ListAccessPoints,
    DeleteAccessPoint,
    PutAccessPointPolicy,
    GetAccessPointPolicy,
    DeleteAccessPointPolicy,
    GetAccessPointPolicyStatus,
  },
});
