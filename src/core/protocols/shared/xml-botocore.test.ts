// The old clients: botocore's own parsers (the aws CLI, boto3) read what the XML protocols
// write. Skipped when python3 with botocore is not installed.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AwsError } from "../../errors.js";
import { awsQuery, ec2Query } from "../aws-query/index.js";
import { restXml } from "../rest-xml/index.js";
import type { HttpResponse, Protocol } from "../types.js";
import { loadModel } from "./xml-test-server.js";

const script = fileURLToPath(new URL("./xml-botocore.py", import.meta.url));
const hasBotocore = spawnSync("python3", ["-c", "import botocore"], { stdio: "ignore" }).status === 0;

interface Case {
  service: string;
  botocoreService: string;
  protocol: string;
  operation: string;
  output?: Record<string, unknown>;
  error?: AwsError;
  impl: Protocol;
}

function botocoreParse(cases: Case[]): Array<Record<string, any>> {
  const input = cases.map((c) => {
    const model = loadModel(c.service);
    const op = { name: c.operation, model: model.operations[c.operation] };
    const meta = { requestId: "rid-42" };
    const res: HttpResponse = c.error ? c.impl.serializeError(c.error, model, op, meta) : c.impl.serializeResponse(c.output, model, op, meta);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) headers[k.toLowerCase()] = String(v);
    return { service: c.botocoreService, operation: c.operation, protocol: c.protocol, status: res.status, headers, body: String(res.body ?? "") };
  });
  const run = spawnSync("python3", [script], { input: JSON.stringify(input), encoding: "utf8" });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

describe.skipIf(!hasBotocore)("botocore parses the XML protocols' output", () => {
  it("query, ec2 and rest-xml responses and errors", () => {
    const when = new Date("2030-01-02T03:04:05Z");
    const [assume, stsErr, regions, ec2Err, list, location, s3Err, r53Err] = botocoreParse([
      {
        service: "sts", botocoreService: "sts", protocol: "query", operation: "AssumeRole", impl: awsQuery,
        output: { Credentials: { AccessKeyId: "AK", SecretAccessKey: "S", SessionToken: "T", Expiration: when }, PackedPolicySize: 3 },
      },
      { service: "sts", botocoreService: "sts", protocol: "query", operation: "AssumeRole", impl: awsQuery, error: new AwsError("IDPRejectedClaimException", "no") },
      {
        service: "ec2", botocoreService: "ec2", protocol: "ec2", operation: "DescribeRegions", impl: ec2Query,
        output: { Regions: [{ RegionName: "us-east-1", Endpoint: "e1" }, { RegionName: "eu-west-1" }] },
      },
      { service: "ec2", botocoreService: "ec2", protocol: "ec2", operation: "DescribeInstances", impl: ec2Query, error: new AwsError("InvalidInstanceID.NotFound", "gone") },
      {
        service: "s3", botocoreService: "s3", protocol: "rest-xml", operation: "ListObjectsV2", impl: restXml,
        output: { Name: "b", KeyCount: 2, IsTruncated: false, Contents: [{ Key: "a&b", Size: 1, LastModified: when }, { Key: "c", Size: 2 }], CommonPrefixes: [{ Prefix: "p/" }] },
      },
      { service: "s3", botocoreService: "s3", protocol: "rest-xml", operation: "GetBucketLocation", impl: restXml, output: { LocationConstraint: "eu-west-1" } },
      { service: "s3", botocoreService: "s3", protocol: "rest-xml", operation: "ListObjectsV2", impl: restXml, error: new AwsError("NoSuchBucket", "nope", undefined, { fields: { BucketName: "b" } }) },
      { service: "route-53", botocoreService: "route53", protocol: "rest-xml", operation: "GetHostedZone", impl: restXml, error: new AwsError("NoSuchHostedZone", "no zone") },
    ]);
    expect(assume.Credentials).toEqual({ AccessKeyId: "AK", SecretAccessKey: "S", SessionToken: "T", Expiration: "2030-01-02T03:04:05+00:00" });
    expect(assume.PackedPolicySize).toBe(3);
    expect(assume.ResponseMetadata.RequestId).toBe("rid-42");
    expect(stsErr.Error).toMatchObject({ Code: "IDPRejectedClaim", Message: "no", Type: "Sender" });
    expect(stsErr.ResponseMetadata.HTTPStatusCode).toBe(403);
    expect(regions.Regions).toEqual([{ RegionName: "us-east-1", Endpoint: "e1" }, { RegionName: "eu-west-1" }]);
    expect(ec2Err.Error).toMatchObject({ Code: "InvalidInstanceID.NotFound", Message: "gone" });
    expect(ec2Err.ResponseMetadata.RequestId).toBe("rid-42");
    expect(list.Contents).toEqual([{ Key: "a&b", Size: 1, LastModified: "2030-01-02T03:04:05+00:00" }, { Key: "c", Size: 2 }]);
    expect(list.CommonPrefixes).toEqual([{ Prefix: "p/" }]);
    expect(list.KeyCount).toBe(2);
    expect(location.LocationConstraint).toBe("eu-west-1");
    expect(s3Err.Error).toMatchObject({ Code: "NoSuchBucket", Message: "nope", BucketName: "b" });
    expect(s3Err.ResponseMetadata).toMatchObject({ HTTPStatusCode: 404, RequestId: "rid-42" });
    expect(r53Err.Error).toMatchObject({ Code: "NoSuchHostedZone", Message: "no zone", Type: "Sender" });
    expect(r53Err.ResponseMetadata.HTTPStatusCode).toBe(404);
  });
});
