// The committed models must be exactly what the pinned SDK packages generate.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("models", () => {
  it("regenerate from the pinned @aws-sdk/client-* packages without a diff", () => {
    const out = execFileSync(process.execPath, ["scripts/gen-models.mjs", "--check"], { encoding: "utf8" });
    expect(out).toContain("models up to date");
  });

  it("cover every service in scope, each with operations and its protocols", () => {
    const index = JSON.parse(readFileSync("models/index.json", "utf8"));
    const expected = [
      "s3", "s3-control", "lambda", "dynamodb", "dynamodb-streams", "ec2", "elastic-load-balancing-v2", "auto-scaling",
      "cloudwatch", "cloudwatch-logs", "iam", "sts", "rds", "redshift", "redshift-data", "elasticache", "ecs", "ecr",
      "efs", "route-53", "cloudformation", "sns", "sqs", "eventbridge", "ssm", "secrets-manager", "kms",
    ];
    expect(Object.keys(index).sort()).toEqual([...expected].sort());
    expect(index.sqs.protocols).toEqual(["awsQuery", "awsJson1_0"]);
    expect(index.cloudwatch.protocols).toEqual(["awsQuery", "awsJson1_0", "smithyRpcv2cbor"]);
    expect(index.ec2.operations).toBeGreaterThan(600);
    const sqs = JSON.parse(readFileSync("models/sqs.json", "utf8"));
    expect(sqs.shapes.QueueDoesNotExist.traits.awsQueryError).toEqual(["AWS.SimpleQueueService.NonExistentQueue", 400]);
    expect(sqs.shapes.SendMessageRequest.required).toEqual(["QueueUrl", "MessageBody"]);
  });
});
