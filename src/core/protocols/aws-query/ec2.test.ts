// ec2Query against the real @aws-sdk/client-ec2.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DescribeInstancesCommand, DescribeRegionsCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { AwsError } from "../../errors.js";
import { loadModel, queryAction, startTestServer, type TestServer } from "../shared/xml-test-server.js";
import { ec2Query } from "./index.js";

describe("ec2Query with @aws-sdk/client-ec2", () => {
  const model = loadModel("ec2");
  let server: TestServer;
  let client: EC2Client;
  const launch = new Date("2024-03-04T05:06:07.000Z");

  beforeAll(async () => {
    server = await startTestServer({
      protocol: ec2Query,
      model,
      route: queryAction,
      handle(op, input) {
        if (input.DryRun) throw new AwsError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412);
        switch (op) {
          case "DescribeRegions":
            return {
              Regions: [
                { RegionName: "us-east-1", Endpoint: "ec2.us-east-1.amazonaws.com", OptInStatus: "opt-in-not-required" },
                { RegionName: "eu-west-1", Endpoint: "ec2.eu-west-1.amazonaws.com" },
              ],
            };
          case "DescribeInstances":
            if ((input.InstanceIds as string[] | undefined)?.includes("i-missing"))
              throw new AwsError("InvalidInstanceID.NotFound", "The instance ID 'i-missing' does not exist");
            return {
              Reservations: [
                {
                  ReservationId: "r-1",
                  OwnerId: "123456789012",
                  Groups: [],
                  Instances: [
                    {
                      InstanceId: "i-1",
                      ImageId: "ami-1",
                      State: { Code: 16, Name: "running" },
                      LaunchTime: launch,
                      Tags: [
                        { Key: "Name", Value: "web <1>" },
                        { Key: "env", Value: "prod" },
                      ],
                      SecurityGroups: [{ GroupId: "sg-1", GroupName: "default" }],
                      EbsOptimized: false,
                      CpuOptions: { CoreCount: 2, ThreadsPerCore: 1 },
                    },
                    { InstanceId: "i-2", State: { Code: 80, Name: "stopped" } },
                  ],
                },
              ],
              NextToken: "tok",
            };
          case "RunInstances":
            return { ReservationId: "r-9", OwnerId: "123456789012", Instances: [{ InstanceId: "i-9", InstanceType: input.InstanceType }] };
        }
        throw new Error(op);
      },
    });
    client = new EC2Client({ endpoint: server.endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it("DescribeRegions: Filter.N.Name / Filter.N.Value.M and RegionName.N in; regionInfo/item out", async () => {
    const out = await client.send(
      new DescribeRegionsCommand({
        RegionNames: ["us-east-1", "eu-west-1"],
        Filters: [
          { Name: "opt-in-status", Values: ["opt-in-not-required", "opted-in"] },
          { Name: "endpoint", Values: ["*amazonaws.com"] },
        ],
        AllRegions: true,
      }),
    );
    expect(out.Regions?.map((r) => r.RegionName)).toEqual(["us-east-1", "eu-west-1"]);
    expect(out.Regions?.[0].Endpoint).toBe("ec2.us-east-1.amazonaws.com");
    expect(out.Regions?.[0].OptInStatus).toBe("opt-in-not-required");
    expect(out.$metadata.requestId).toMatch(/^req-/);
    const call = server.calls.at(-1)!;
    expect(call.req.body!.toString()).toContain("Filter.1.Value.2=opted-in");
    expect(call.input).toEqual({
      RegionNames: ["us-east-1", "eu-west-1"],
      Filters: [
        { Name: "opt-in-status", Values: ["opt-in-not-required", "opted-in"] },
        { Name: "endpoint", Values: ["*amazonaws.com"] },
      ],
      AllRegions: true,
    });
  });

  it("DescribeInstances: nested lists, structures, timestamps, booleans out", async () => {
    const out = await client.send(new DescribeInstancesCommand({ InstanceIds: ["i-1", "i-2"], MaxResults: 5 }));
    expect(server.calls.at(-1)!.input).toEqual({ InstanceIds: ["i-1", "i-2"], MaxResults: 5 });
    expect(out.NextToken).toBe("tok");
    const r = out.Reservations![0];
    expect(r.ReservationId).toBe("r-1");
    expect(r.Groups).toEqual([]);
    expect(r.Instances?.length).toBe(2);
    const i = r.Instances![0];
    expect(i.InstanceId).toBe("i-1");
    expect(i.State).toEqual({ Code: 16, Name: "running" });
    expect(i.LaunchTime?.toISOString()).toBe(launch.toISOString());
    expect(i.Tags).toEqual([
      { Key: "Name", Value: "web <1>" },
      { Key: "env", Value: "prod" },
    ]);
    expect(i.SecurityGroups).toEqual([{ GroupId: "sg-1", GroupName: "default" }]);
    expect(i.EbsOptimized).toBe(false);
    expect(i.CpuOptions).toEqual({ CoreCount: 2, ThreadsPerCore: 1 });
    expect(r.Instances![1].State?.Name).toBe("stopped");
  });

  it("RunInstances: TagSpecification.N.Tag.M.Key, SecurityGroupId.N, BlockDeviceMapping.N.Ebs.* in", async () => {
    const out = await client.send(
      new RunInstancesCommand({
        ImageId: "ami-1",
        InstanceType: "t3.micro",
        MinCount: 1,
        MaxCount: 2,
        SecurityGroupIds: ["sg-1", "sg-2"],
        UserData: Buffer.from("#!/bin/sh\necho hi").toString("base64"),
        TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: "a" }] }],
        BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { VolumeSize: 8, DeleteOnTermination: true } }],
      }),
    );
    expect(out.Instances?.[0]).toEqual({ InstanceId: "i-9", InstanceType: "t3.micro" });
    expect(out.ReservationId).toBe("r-9");
    const input = server.calls.at(-1)!.input;
    expect(input).toMatchObject({
      ImageId: "ami-1",
      MinCount: 1,
      MaxCount: 2,
      SecurityGroupIds: ["sg-1", "sg-2"],
      TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: "a" }] }],
      BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { VolumeSize: 8, DeleteOnTermination: true } }],
    });
    expect(Buffer.from(input.UserData as string, "base64").toString()).toBe("#!/bin/sh\necho hi");
    expect(typeof input.ClientToken).toBe("string"); // the SDK's idempotency token
  });

  it("errors: <Response><Errors><Error>, RequestID, code with dots, status", async () => {
    const err = await client.send(new DescribeInstancesCommand({ InstanceIds: ["i-missing"] })).catch((e) => e);
    expect(err.name).toBe("InvalidInstanceID.NotFound");
    expect(err.message).toBe("The instance ID 'i-missing' does not exist");
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.$metadata.requestId).toMatch(/^req-/);
    const dry = await client.send(new DescribeRegionsCommand({ DryRun: true })).catch((e) => e);
    expect(dry.name).toBe("DryRunOperation");
    expect(dry.$metadata.httpStatusCode).toBe(412);
    expect(server.calls.at(-1)!.input).toEqual({ DryRun: true });
  });
});

describe("ec2Query wire format", () => {
  const model = loadModel("ec2");
  const meta = { requestId: "59dbff89-35bd-4eac-99ed-be587EXAMPLE" };

  it("writes requestId first, members by xmlName, lists as <item>", () => {
    const op = { name: "DescribeRegions", model: model.operations.DescribeRegions };
    const out = ec2Query.serializeResponse({ Regions: [{ RegionName: "us-east-1", Endpoint: "e" }] }, model, op, meta);
    expect(out.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">' +
        "<requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId><regionInfo><item><regionName>us-east-1</regionName>" +
        "<regionEndpoint>e</regionEndpoint></item></regionInfo></DescribeRegionsResponse>",
    );
  });

  it("writes the EC2 error document with RequestID", () => {
    const out = ec2Query.serializeError(new AwsError("InvalidParameterValue", "bad <value>"), model, undefined, meta);
    expect(out.status).toBe(400);
    expect(out.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InvalidParameterValue</Code><Message>bad &lt;value&gt;</Message></Error></Errors>' +
        "<RequestID>59dbff89-35bd-4eac-99ed-be587EXAMPLE</RequestID></Response>",
    );
  });

  it("reads keys by ec2QueryName, then capitalised xmlName, then capitalised member name", () => {
    const op = { name: "DescribeInstances", model: model.operations.DescribeInstances };
    const body = Buffer.from("Action=DescribeInstances&Version=2016-11-15&DryRun=false&InstanceId.2=i-b&InstanceId.1=i-a&Filter.1.Name=tag%3AName&Filter.1.Value.1=x&MaxResults=10");
    expect(ec2Query.parseRequest({ method: "POST", rawPath: "/", query: [], headers: {}, body }, model, op)).toEqual({
      DryRun: false,
      InstanceIds: ["i-a", "i-b"],
      Filters: [{ Name: "tag:Name", Values: ["x"] }],
      MaxResults: 10,
    });
  });
});
