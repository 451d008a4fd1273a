// The explicit registry of running services. A service not listed here still routes (its
// model is known) and answers NotImplemented for every operation.
import type { ServiceDefinition } from "../core/service.js";
import { cloudwatch } from "./cloudwatch/service.js";
import { cloudwatchLogs } from "./cloudwatch-logs/service.js";
import { dynamodb } from "./dynamodb/service.js";
import { dynamodbStreams } from "./dynamodb-streams/service.js";
import { ec2 } from "./ec2/service.js";
import { eventbridge } from "./events/service.js";
import { iam } from "./iam/service.js";
import { kms } from "./kms/service.js";
import { lambda } from "./lambda/service.js";
import { s3 } from "./s3/service.js";
import { s3Control } from "./s3-control/service.js";
import { sns } from "./sns/service.js";
import { sqs } from "./sqs/service.js";
import { sts } from "./sts/service.js";

export const SERVICES: Record<string, ServiceDefinition> = { cloudwatch, "cloudwatch-logs": cloudwatchLogs, dynamodb, "dynamodb-streams": dynamodbStreams, ec2, eventbridge, iam, kms, lambda, s3, "s3-control": s3Control, sns, sqs, sts };
