// Smithy RPC v2 CBOR against @aws-sdk/client-cloudwatch forced onto the CBOR protocol, both
// the AWS flavour (awsQueryCompatible, reads x-amzn-query-error) and the plain Smithy one
// (reads __type).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CloudWatchClient, GetMetricStatisticsCommand, PutMetricDataCommand, ListMetricsCommand, DeleteAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { AwsSmithyRpcV2CborProtocol } from "@aws-sdk/core/protocols";
import { SmithyRpcV2CborProtocol } from "@smithy/core/cbor";
import { AwsError } from "../../errors.js";
import type { ServiceModel } from "../../model/types.js";
import type { HttpResponse } from "../types.js";
import { validateInput } from "../shared/validate.js";
import { decodeCbor, encodeCbor } from "../shared/cbor.js";
import { rpcV2Cbor } from "./rpc-v2-cbor.js";

const cloudwatch = JSON.parse(readFileSync(new URL("../../../../models/cloudwatch.json", import.meta.url), "utf8")) as ServiceModel;

type Answer = { output?: Record<string, unknown>; error?: AwsError };
let answer: (op: string, input: Record<string, unknown>) => Answer = () => ({ output: {} });
let seen: { op: string; path: string; input: Record<string, unknown>; headers: Record<string, string> } | undefined;
let server: Server;
let endpoint: string;
const REQUEST_ID = "cccccccc-2222-3333-4444-555555555555";

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(",") : String(v);
      const m = /^\/service\/([^/]+)\/operation\/([^/]+)$/.exec(req.url!)!;
      const opName = m[2]!;
      const op = { name: opName, model: cloudwatch.operations[opName]! };
      const meta = { requestId: REQUEST_ID };
      let out: HttpResponse;
      try {
        expect(m[1]).toBe(cloudwatch.serviceTarget);
        expect(headers["smithy-protocol"]).toBe("rpc-v2-cbor");
        const input = rpcV2Cbor.parseRequest({ method: req.method!, rawPath: req.url!, query: [], headers, body: Buffer.concat(chunks) }, cloudwatch, op) as Record<string, unknown>;
        validateInput(cloudwatch, opName, input, "smithyRpcv2cbor");
        seen = { op: opName, path: req.url!, input, headers };
        const a = answer(opName, input);
        out = a.error ? rpcV2Cbor.serializeError(a.error, cloudwatch, op, meta) : rpcV2Cbor.serializeResponse(a.output, cloudwatch, op, meta);
      } catch (e) {
        out = rpcV2Cbor.serializeError(e as AwsError, cloudwatch, op, meta);
      }
      res.writeHead(out.status, out.headers);
      res.end(out.body as Buffer | undefined);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen = undefined;
});

const base = () => ({ region: "us-east-1", endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
// The AWS flavour, with the client's own protocolSettings (awsQueryCompatible, error registries).
const awsCbor = () => new CloudWatchClient({ ...base(), protocol: AwsSmithyRpcV2CborProtocol });
// The plain Smithy flavour, as the brief's example builds it.
const smithyCbor = () => new CloudWatchClient({ ...base(), protocol: new SmithyRpcV2CborProtocol({ defaultNamespace: "com.amazonaws.cloudwatch" }) });

describe("rpcv2Cbor with CloudWatch", () => {
  it("PutMetricData: timestamps, dimensions, doubles, lists; no output", async () => {
    answer = () => ({ output: undefined });
    const res = await awsCbor().send(
      new PutMetricDataCommand({
        Namespace: "App/Test",
        MetricData: [
          {
            MetricName: "Latency",
            Timestamp: new Date(1700000000500),
            Dimensions: [
              { Name: "Service", Value: "api" },
              { Name: "Stage", Value: "prod" },
            ],
            Value: 1.5,
            Unit: "Milliseconds",
            StorageResolution: 1,
          },
          { MetricName: "Count", Timestamp: new Date(1700000001000), Values: [1, 2.25, 3], Counts: [10, 1, 5] },
          { MetricName: "Stats", StatisticValues: { SampleCount: 4, Sum: 10.5, Minimum: 0.5, Maximum: 6 } },
        ],
      }),
    );
    expect(seen!.op).toBe("PutMetricData");
    expect(seen!.path).toBe("/service/GraniteServiceVersion20100801/operation/PutMetricData");
    const input = seen!.input as any;
    expect(input.Namespace).toBe("App/Test");
    expect(input.MetricData).toHaveLength(3);
    expect(input.MetricData[0].Timestamp).toBeInstanceOf(Date);
    expect(input.MetricData[0].Timestamp.getTime()).toBe(1700000000500);
    expect(input.MetricData[0].Dimensions).toEqual([
      { Name: "Service", Value: "api" },
      { Name: "Stage", Value: "prod" },
    ]);
    expect(input.MetricData[0].Value).toBe(1.5);
    expect(input.MetricData[0].Unit).toBe("Milliseconds");
    expect(input.MetricData[0].StorageResolution).toBe(1);
    expect(input.MetricData[1].Timestamp.getTime()).toBe(1700000001000);
    expect(input.MetricData[1].Values).toEqual([1, 2.25, 3]);
    expect(input.MetricData[1].Counts).toEqual([10, 1, 5]);
    expect(input.MetricData[2].StatisticValues).toEqual({ SampleCount: 4, Sum: 10.5, Minimum: 0.5, Maximum: 6 });
    expect(res.$metadata.httpStatusCode).toBe(200);
    expect(res.$metadata.requestId).toBe(REQUEST_ID);
  });

  it("GetMetricStatistics: Datapoints with Timestamps come back as Dates", async () => {
    answer = () => ({
      output: {
        Label: "Latency",
        Datapoints: [
          { Timestamp: new Date(1700000060000), Average: 1.25, Sum: 2.5, SampleCount: 2, Minimum: 1, Maximum: 1.5, Unit: "Milliseconds", ExtendedStatistics: { p99: 1.49 } },
          { Timestamp: new Date(1700000120250), Average: 3, SampleCount: 1, Unit: "Milliseconds" },
        ],
      },
    });
    for (const client of [awsCbor(), smithyCbor()]) {
      const res = await client.send(
        new GetMetricStatisticsCommand({
          Namespace: "App/Test",
          MetricName: "Latency",
          Dimensions: [{ Name: "Service", Value: "api" }],
          StartTime: new Date(1700000000000),
          EndTime: new Date(1700003600000),
          Period: 60,
          Statistics: ["Average", "Sum"],
          ExtendedStatistics: ["p99"],
        }),
      );
      const input = seen!.input as any;
      expect(input.StartTime.getTime()).toBe(1700000000000);
      expect(input.EndTime.getTime()).toBe(1700003600000);
      expect(input.Period).toBe(60);
      expect(input.Statistics).toEqual(["Average", "Sum"]);
      expect(input.ExtendedStatistics).toEqual(["p99"]);
      expect(res.Label).toBe("Latency");
      expect(res.Datapoints).toHaveLength(2);
      expect(res.Datapoints![0]!.Timestamp).toBeInstanceOf(Date);
      expect(res.Datapoints![0]!.Timestamp!.getTime()).toBe(1700000060000);
      expect(res.Datapoints![0]!.Average).toBe(1.25);
      expect(res.Datapoints![0]!.SampleCount).toBe(2);
      expect(res.Datapoints![0]!.ExtendedStatistics).toEqual({ p99: 1.49 });
      expect(res.Datapoints![1]!.Timestamp!.getTime()).toBe(1700000120250);
      expect(res.$metadata.requestId).toBe(REQUEST_ID);
    }
  });

  it("ListMetrics: nested lists of structures and a NextToken", async () => {
    answer = () => ({ output: { Metrics: [{ Namespace: "AWS/EC2", MetricName: "CPUUtilization", Dimensions: [{ Name: "InstanceId", Value: "i-1" }] }], NextToken: "t2", OwningAccounts: ["000000000000"] } });
    const res = await awsCbor().send(new ListMetricsCommand({ Namespace: "AWS/EC2", NextToken: "t1" }));
    expect(seen!.input).toEqual({ Namespace: "AWS/EC2", NextToken: "t1" });
    expect(res.Metrics![0]!.Dimensions).toEqual([{ Name: "InstanceId", Value: "i-1" }]);
    expect(res.NextToken).toBe("t2");
    expect(res.OwningAccounts).toEqual(["000000000000"]);
  });

  it("modeled errors: query-compatible code for the AWS flavour, __type for plain Smithy", async () => {
    answer = () => ({ error: new AwsError("InvalidParameterValueException", "The value 0 for parameter Period is not valid.") });
    const cmd = () => new GetMetricStatisticsCommand({ Namespace: "n", MetricName: "m", StartTime: new Date(0), EndTime: new Date(1000), Period: 0 });
    const a = (await awsCbor().send(cmd()).catch((e: unknown) => e)) as any;
    expect(a.name).toBe("InvalidParameterValueException");
    expect(a.Code).toBe("InvalidParameterValue");
    expect(a.message).toBe("The value 0 for parameter Period is not valid.");
    expect(a.$fault).toBe("client");
    expect(a.$metadata.httpStatusCode).toBe(400);
    expect(a.$metadata.requestId).toBe(REQUEST_ID);
    expect(a.$response.headers["x-amzn-query-error"]).toBe("InvalidParameterValue;Sender");
    const s = (await smithyCbor().send(cmd()).catch((e: unknown) => e)) as any;
    expect(s.name).toBe("InvalidParameterValueException");
    expect(s.message).toBe("The value 0 for parameter Period is not valid.");
    expect(s.$metadata.httpStatusCode).toBe(400);
  });

  it("unmodeled codes keep their name and message in both flavours", async () => {
    answer = () => ({ error: new AwsError("SerializationException", "Unable to parse request body as CBOR") });
    const a = (await awsCbor().send(new ListMetricsCommand({})).catch((x: unknown) => x)) as any;
    expect(a.name).toBe("SerializationException");
    expect(a.Code).toBe("SerializationException");
    expect(a.message).toBe("Unable to parse request body as CBOR");
    expect(a.$metadata.httpStatusCode).toBe(400);
    // The plain Smithy protocol built without the client's error registries has no base
    // exception class to name unmodeled errors with: it throws a native Error (client quirk).
    const s = (await smithyCbor().send(new ListMetricsCommand({})).catch((x: unknown) => x)) as any;
    expect(s.message).toBe("Unable to parse request body as CBOR");
    expect(s.$metadata.httpStatusCode).toBe(400);
    // The plain Smithy protocol class given the client's own protocolSettings names it.
    const c = (await new CloudWatchClient({ ...base(), protocol: SmithyRpcV2CborProtocol }).send(new ListMetricsCommand({})).catch((x: unknown) => x)) as any;
    expect(c.name).toBe("SerializationException");
    expect(c.message).toBe("Unable to parse request body as CBOR");
  });

  it("server faults keep their status and Message member", async () => {
    answer = () => ({ error: new AwsError("InternalServiceFault", "Internal error") });
    const e = (await awsCbor().send(new DeleteAlarmsCommand({ AlarmNames: ["a"] })).catch((x: unknown) => x)) as any;
    expect(e.name).toBe("InternalServiceFault");
    expect(e.Code).toBe("InternalServiceError");
    expect(e.message).toBe("Internal error");
    expect(e.$fault).toBe("server");
    expect(e.$metadata.httpStatusCode).toBe(500);
  });

  it("validation answers CloudWatch's MissingParameter over CBOR too", async () => {
    const e = (await awsCbor().send(new PutMetricDataCommand({ MetricData: [{ MetricName: "m", Dimensions: [{ Name: "d" } as any] }] } as any)).catch((x: unknown) => x)) as any;
    expect(e.name).toBe("MissingRequiredParameterException");
    expect(e.Code).toBe("MissingParameter");
    expect(e.message).toBe("The parameter Namespace is required.\nThe parameter MetricData.member.1.Dimensions.member.1.Value is required.");
    expect(e.$metadata.httpStatusCode).toBe(400);
  });
});

describe("rpcv2Cbor wire details", () => {
  const op = { name: "GetMetricStatistics", model: cloudwatch.operations.GetMetricStatistics! };
  const req = (body: Buffer) => ({ method: "POST", rawPath: "/service/GraniteServiceVersion20100801/operation/GetMetricStatistics", query: [], headers: {}, body });

  it("accepts plain-number timestamps and an empty body", () => {
    const input = rpcV2Cbor.parseRequest(req(encodeCbor({ Namespace: "n", StartTime: 1700000000.5 })), cloudwatch, op) as any;
    expect(input.StartTime.getTime()).toBe(1700000000500);
    expect(rpcV2Cbor.parseRequest(req(Buffer.alloc(0)), cloudwatch, op)).toEqual({});
  });

  it("rejects malformed CBOR with SerializationException", () => {
    expect(() => rpcV2Cbor.parseRequest(req(Buffer.from([0xa2, 0x61])), cloudwatch, op)).toThrowError(expect.objectContaining({ code: "SerializationException" }));
    expect(() => rpcV2Cbor.parseRequest(req(encodeCbor([1, 2])), cloudwatch, op)).toThrowError(expect.objectContaining({ code: "SerializationException" }));
  });

  it("writes __type as a shape id and the error's own message key", () => {
    const r = rpcV2Cbor.serializeError(new AwsError("ResourceNotFoundException", "no such thing", undefined, { fields: { ResourceType: "alarm" } }), cloudwatch, op, { requestId: "r" });
    expect(r.status).toBe(404);
    expect(r.headers["smithy-protocol"]).toBe("rpc-v2-cbor");
    expect(r.headers["Content-Type"]).toBe("application/cbor");
    expect(r.headers["x-amzn-query-error"]).toBe("ResourceNotFoundException;Sender");
    expect(decodeCbor(r.body as Buffer)).toEqual({ __type: "com.amazonaws.cloudwatch#ResourceNotFoundException", Message: "no such thing", ResourceType: "alarm" });
  });
});
