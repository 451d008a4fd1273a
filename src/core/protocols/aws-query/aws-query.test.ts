// awsQuery against the real SDK v3 clients (STS, SNS, RDS, CloudFormation): they send what
// they send, awsQuery.parseRequest must read it; awsQuery.serialize* must produce what they
// parse. A wrong envelope parses as an empty object without error, so every test asserts
// non-trivial values.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, IDPRejectedClaimException } from "@aws-sdk/client-sts";
import { CreateTopicCommand, ListTopicsCommand, NotFoundException, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateDBInstanceCommand, DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { AwsError } from "../../errors.js";
import { loadModel, queryAction, startTestServer, type TestServer } from "../shared/xml-test-server.js";
import { awsQuery } from "./index.js";

const clientConfig = (endpoint: string) => ({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });

describe("awsQuery with @aws-sdk/client-sts", () => {
  const model = loadModel("sts");
  let server: TestServer;
  let client: STSClient;
  const expiration = new Date("2030-01-02T03:04:05.000Z");

  beforeAll(async () => {
    server = await startTestServer({
      protocol: awsQuery,
      model,
      route: queryAction,
      handle(op, input) {
        if (op === "GetCallerIdentity") return { Account: "123456789012", Arn: "arn:aws:iam::123456789012:root", UserId: "AIDA<&>\"x" };
        if (op === "AssumeRole") {
          if (input.RoleSessionName === "rejected") throw new AwsError("IDPRejectedClaimException", "claim rejected & gone");
          if (input.RoleSessionName === "boom") throw new AwsError("InternalFailure", "it broke", 500);
          if (input.RoleSessionName === "unmodeled") throw new AwsError("ValidationError", "1 validation error detected", undefined, { fields: { Detail: "d<1>" } });
          return {
            Credentials: { AccessKeyId: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "token\nline2", Expiration: expiration },
            AssumedRoleUser: { AssumedRoleId: "AROA:sess", Arn: "arn:aws:sts::123456789012:assumed-role/r/sess" },
            PackedPolicySize: 7,
          };
        }
        throw new Error(`unexpected ${op}`);
      },
    });
    client = new STSClient(clientConfig(server.endpoint));
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it("GetCallerIdentity: parses the Result and the request id", async () => {
    const out = await client.send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe("123456789012");
    expect(out.Arn).toBe("arn:aws:iam::123456789012:root");
    expect(out.UserId).toBe('AIDA<&>"x');
    expect(out.$metadata.requestId).toMatch(/^req-\d+-/);
    expect(server.calls.at(-1)).toMatchObject({ op: "GetCallerIdentity", input: {} });
  });

  it("AssumeRole: lists of structures, lists of strings, numbers in; nested structures and timestamps out", async () => {
    const out = await client.send(
      new AssumeRoleCommand({
        RoleArn: "arn:aws:iam::123456789012:role/r",
        RoleSessionName: "sess",
        DurationSeconds: 900,
        Tags: [
          { Key: "team", Value: "a b&c" },
          { Key: "env", Value: "prod=1" },
        ],
        PolicyArns: [{ arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }],
        TransitiveTagKeys: ["team"],
      }),
    );
    expect(out.Credentials?.AccessKeyId).toBe("ASIAEXAMPLE");
    expect(out.Credentials?.SessionToken).toBe("token\nline2");
    expect(out.Credentials?.Expiration?.toISOString()).toBe(expiration.toISOString());
    expect(out.AssumedRoleUser?.Arn).toBe("arn:aws:sts::123456789012:assumed-role/r/sess");
    expect(out.PackedPolicySize).toBe(7);
    const input = server.calls.at(-1)!.input;
    expect(input).toEqual({
      RoleArn: "arn:aws:iam::123456789012:role/r",
      RoleSessionName: "sess",
      DurationSeconds: 900,
      Tags: [
        { Key: "team", Value: "a b&c" },
        { Key: "env", Value: "prod=1" },
      ],
      PolicyArns: [{ arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }],
      TransitiveTagKeys: ["team"],
    });
  });

  it("an empty list is sent as the bare key and read as []", async () => {
    await client.send(new AssumeRoleCommand({ RoleArn: "arn:r", RoleSessionName: "sess", Tags: [] }));
    const call = server.calls.at(-1)!;
    expect(call.req.body!.toString()).toContain("Tags=");
    expect(call.input.Tags).toEqual([]);
  });

  it("a modeled error: awsQueryError code and status, typed exception", async () => {
    const err = await client.send(new AssumeRoleCommand({ RoleArn: "arn:r", RoleSessionName: "rejected" })).catch((e) => e);
    expect(err).toBeInstanceOf(IDPRejectedClaimException);
    expect(err.name).toBe("IDPRejectedClaimException");
    expect(err.message).toBe("claim rejected & gone");
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.$metadata.requestId).toMatch(/^req-\d+-/);
    expect(err.$fault).toBe("client");
    expect(err.Error?.Code ?? err.Code).toBe("IDPRejectedClaim");
  });

  it("an unmodeled server error: code, 500, Receiver", async () => {
    const err = await client.send(new AssumeRoleCommand({ RoleArn: "arn:r", RoleSessionName: "boom" })).catch((e) => e);
    expect(err.name).toBe("InternalFailure");
    expect(err.message).toBe("it broke");
    expect(err.$metadata.httpStatusCode).toBe(500);
    expect(err.Error?.Type).toBe("Receiver");
  });

  it("an unmodeled client error with extra fields", async () => {
    const err = await client.send(new AssumeRoleCommand({ RoleArn: "arn:r", RoleSessionName: "unmodeled" })).catch((e) => e);
    expect(err.name).toBe("ValidationError");
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.Error?.Type).toBe("Sender");
  });
});

describe("awsQuery with @aws-sdk/client-sns (maps)", () => {
  const model = loadModel("sns");
  let server: TestServer;
  let client: SNSClient;

  beforeAll(async () => {
    server = await startTestServer({
      protocol: awsQuery,
      model,
      route: queryAction,
      handle(op, input) {
        if (op === "Publish") {
          if (input.TopicArn === "missing") throw new AwsError("NotFoundException", "Topic does not exist");
          return { MessageId: "mid-1", SequenceNumber: "10000000000000000001" };
        }
        if (op === "CreateTopic") return { TopicArn: `arn:aws:sns:us-east-1:123456789012:${input.Name as string}` };
        if (op === "ListTopics") return { Topics: [{ TopicArn: "arn:1" }, { TopicArn: "arn:2" }], NextToken: "n" };
        throw new Error(op);
      },
    });
    client = new SNSClient(clientConfig(server.endpoint));
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it("Publish: MessageAttributes map (entry.N.Name / entry.N.Value.*) with a blob", async () => {
    const out = await client.send(
      new PublishCommand({
        TopicArn: "arn:t",
        Message: "héllo\r\nworld",
        MessageAttributes: {
          color: { DataType: "String", StringValue: "blue" },
          bin: { DataType: "Binary", BinaryValue: Buffer.from([0, 1, 2, 255]) },
        },
      }),
    );
    expect(out.MessageId).toBe("mid-1");
    expect(out.SequenceNumber).toBe("10000000000000000001");
    const input = server.calls.at(-1)!.input;
    expect(input.Message).toBe("héllo\r\nworld");
    const attrs = input.MessageAttributes as Record<string, { DataType: string; StringValue?: string; BinaryValue?: Buffer }>;
    expect(attrs.color).toEqual({ DataType: "String", StringValue: "blue" });
    expect(attrs.bin.DataType).toBe("Binary");
    expect([...attrs.bin.BinaryValue!]).toEqual([0, 1, 2, 255]);
  });

  it("CreateTopic: a plain map (entry.N.key/value) and a list", async () => {
    const out = await client.send(new CreateTopicCommand({ Name: "t1", Attributes: { DisplayName: "T One", FifoTopic: "false" }, Tags: [{ Key: "k", Value: "v" }] }));
    expect(out.TopicArn).toBe("arn:aws:sns:us-east-1:123456789012:t1");
    expect(server.calls.at(-1)!.input).toEqual({ Name: "t1", Attributes: { DisplayName: "T One", FifoTopic: "false" }, Tags: [{ Key: "k", Value: "v" }] });
  });

  it("ListTopics: a wrapped list of structures out", async () => {
    const out = await client.send(new ListTopicsCommand({}));
    expect(out.Topics).toEqual([{ TopicArn: "arn:1" }, { TopicArn: "arn:2" }]);
    expect(out.NextToken).toBe("n");
  });

  it("a modeled error whose awsQueryError code differs from its name (NotFound, 404)", async () => {
    const err = await client.send(new PublishCommand({ TopicArn: "missing", Message: "m" })).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundException);
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.message).toBe("Topic does not exist");
  });
});

describe("awsQuery with @aws-sdk/client-rds (list member xmlName)", () => {
  const model = loadModel("rds");
  let server: TestServer;
  let client: RDSClient;

  beforeAll(async () => {
    server = await startTestServer({
      protocol: awsQuery,
      model,
      route: queryAction,
      handle(op, input) {
        if (op === "CreateDBInstance") return { DBInstance: { DBInstanceIdentifier: input.DBInstanceIdentifier, AllocatedStorage: 20, MultiAZ: false } };
        if (op === "DescribeDBInstances")
          return {
            DBInstances: [
              {
                DBInstanceIdentifier: "db1",
                Engine: "postgres",
                InstanceCreateTime: new Date("2024-05-06T07:08:09.123Z"),
                Endpoint: { Address: "db1.local", Port: 5432 },
                VpcSecurityGroups: [{ VpcSecurityGroupId: "sg-1", Status: "active" }],
                TagList: [{ Key: "a", Value: "1" }],
                DeletionProtection: true,
              },
              { DBInstanceIdentifier: "db2" },
            ],
            Marker: "m2",
          };
        throw new Error(op);
      },
    });
    client = new RDSClient(clientConfig(server.endpoint));
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it("CreateDBInstance: Tags.Tag.N and VpcSecurityGroupIds.VpcSecurityGroupId.N in", async () => {
    const out = await client.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "db1",
        DBInstanceClass: "db.t3.micro",
        Engine: "postgres",
        Tags: [{ Key: "a", Value: "1" }],
        VpcSecurityGroupIds: ["sg-1", "sg-2"],
        MultiAZ: false,
        AllocatedStorage: 20,
      }),
    );
    expect(out.DBInstance?.DBInstanceIdentifier).toBe("db1");
    expect(out.DBInstance?.AllocatedStorage).toBe(20);
    expect(out.DBInstance?.MultiAZ).toBe(false);
    const call = server.calls.at(-1)!;
    expect(call.req.body!.toString()).toContain("Tags.Tag.1.Key=a");
    expect(call.input).toMatchObject({ Tags: [{ Key: "a", Value: "1" }], VpcSecurityGroupIds: ["sg-1", "sg-2"], MultiAZ: false, AllocatedStorage: 20 });
  });

  it("DescribeDBInstances: <DBInstances><DBInstance>... out", async () => {
    const out = await client.send(new DescribeDBInstancesCommand({}));
    expect(out.Marker).toBe("m2");
    expect(out.DBInstances?.length).toBe(2);
    const db = out.DBInstances![0];
    expect(db.Engine).toBe("postgres");
    expect(db.InstanceCreateTime?.toISOString()).toBe("2024-05-06T07:08:09.123Z");
    expect(db.Endpoint).toEqual({ Address: "db1.local", Port: 5432 });
    expect(db.VpcSecurityGroups).toEqual([{ VpcSecurityGroupId: "sg-1", Status: "active" }]);
    expect(db.TagList).toEqual([{ Key: "a", Value: "1" }]);
    expect(db.DeletionProtection).toBe(true);
    expect(out.DBInstances![1].DBInstanceIdentifier).toBe("db2");
  });
});

describe("awsQuery with @aws-sdk/client-cloudformation", () => {
  const model = loadModel("cloudformation");
  let server: TestServer;
  let client: CloudFormationClient;

  beforeAll(async () => {
    server = await startTestServer({
      protocol: awsQuery,
      model,
      route: queryAction,
      handle(op) {
        if (op === "DescribeStacks")
          return {
            Stacks: [
              {
                StackName: "s",
                StackId: "arn:stack",
                CreationTime: new Date("2024-01-01T00:00:00Z"),
                StackStatus: "CREATE_COMPLETE",
                Outputs: [{ OutputKey: "Url", OutputValue: "http://x/?a=1&b=2" }],
                Parameters: [{ ParameterKey: "P", ParameterValue: "v" }],
                Capabilities: ["CAPABILITY_IAM"],
              },
            ],
          };
        throw new Error(op);
      },
    });
    client = new CloudFormationClient(clientConfig(server.endpoint));
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it("DescribeStacks: nested lists, timestamps and escaped text out", async () => {
    const out = await client.send(new DescribeStacksCommand({ StackName: "s" }));
    const st = out.Stacks![0];
    expect(st.StackName).toBe("s");
    expect(st.CreationTime?.toISOString()).toBe("2024-01-01T00:00:00.000Z");
    expect(st.Outputs).toEqual([{ OutputKey: "Url", OutputValue: "http://x/?a=1&b=2" }]);
    expect(st.Capabilities).toEqual(["CAPABILITY_IAM"]);
    expect(server.calls.at(-1)!.input).toEqual({ StackName: "s" });
  });
});
