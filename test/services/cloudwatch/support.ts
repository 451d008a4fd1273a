// CloudWatch test support: a Nimbus with the cloudwatch service, and SDK clients forced to one
// of the three wire protocols CloudWatch speaks, each recording the requests it really sent.
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { AwsJson1_0Protocol, AwsQueryProtocol } from "@aws-sdk/core/protocols";
import { SmithyRpcV2CborProtocol } from "@smithy/core/cbor";
import { migrate } from "../../../src/core/state/database.js";
import { cloudwatch } from "../../../src/services/cloudwatch/service.js";
import { sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";

/** Starts a Nimbus; registers cloudwatch itself until src/services/index.ts lists it. */
export async function startCloudWatchNimbus(opts: { dataDir?: string } = {}): Promise<TestNimbus> {
  const t = await startNimbus(opts);
  const n = t.nimbus;
  if (!n.services.has("cloudwatch")) {
    n.services.set("cloudwatch", cloudwatch);
    migrate(n.db, "cloudwatch", cloudwatch.migrations ?? []);
    await cloudwatch.start?.(n.runtimeFor("cloudwatch"));
  }
  return t;
}

export type ProtocolName = "awsJson1_0" | "awsQuery" | "smithyRpcv2cbor";

export const PROTOCOLS: Array<{ name: ProtocolName; protocol: unknown; contentType: string }> = [
  // The client's default: awsJson1_0 with query compatibility.
  { name: "awsJson1_0", protocol: undefined, contentType: "application/x-amz-json-1.0" },
  { name: "awsQuery", protocol: AwsQueryProtocol, contentType: "application/x-www-form-urlencoded" },
  { name: "smithyRpcv2cbor", protocol: SmithyRpcV2CborProtocol, contentType: "application/cbor" },
];

export interface SentRequest {
  path: string;
  headers: Record<string, string>;
}

export interface RecordingClient {
  client: CloudWatchClient;
  sent: SentRequest[];
}

/** A client for a fresh account, speaking `protocol`, recording each request's path and headers as sent. */
export function cloudwatchClient(
  endpoint: string,
  protocol: (typeof PROTOCOLS)[number],
  opts: { accountId?: string; requestMinCompressionSizeBytes?: number; systemClockOffset?: number } = {},
): RecordingClient {
  const client = new CloudWatchClient({
    ...sdkConfig(endpoint, { accountId: opts.accountId }),
    ...(protocol.protocol ? { protocol: protocol.protocol as typeof AwsJson1_0Protocol } : {}),
    // The SDK gzips PutMetricData bodies over 10 KiB; only the gzip tests opt in (with a threshold).
    ...(opts.requestMinCompressionSizeBytes !== undefined ? { requestMinCompressionSizeBytes: opts.requestMinCompressionSizeBytes } : { disableRequestCompression: true }),
    ...(opts.systemClockOffset !== undefined ? { systemClockOffset: opts.systemClockOffset } : {}),
  });
  const sent: SentRequest[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as { path: string; headers: Record<string, string> };
      sent.push({ path: req.path, headers: { ...req.headers } });
      return next(args);
    },
    { step: "finalizeRequest", priority: "low", name: "nimbusRecordRequest" },
  );
  return { client, sent };
}

/** Asserts-friendly view of what protocol a recorded request used. */
export function protocolOf(req: SentRequest): ProtocolName | "unknown" {
  const ct = req.headers["content-type"] ?? "";
  if (ct.startsWith("application/x-amz-json-1.0") && req.headers["x-amz-target"]?.startsWith("GraniteServiceVersion20100801.")) return "awsJson1_0";
  if (ct.startsWith("application/x-www-form-urlencoded")) return "awsQuery";
  if (ct.startsWith("application/cbor") && req.headers["smithy-protocol"] === "rpc-v2-cbor" && req.path.includes("/service/GraniteServiceVersion20100801/operation/")) return "smithyRpcv2cbor";
  return "unknown";
}

/** The error an SDK call rejects with, for asserting name, status and message. */
export async function errorOf(p: Promise<unknown>): Promise<{ name: string; status?: number; message: string; code?: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number }; Code?: string };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message, code: err.Code };
  }
  throw new Error("expected the call to fail");
}

/** Minute-aligned Nimbus time `minutesAgo` minutes before now. */
export function minuteAgo(t: TestNimbus, minutesAgo: number): number {
  return Math.floor(t.nimbus.clock.now() / 60_000) * 60_000 - minutesAgo * 60_000;
}

/** AWS's percentile model (log-1.1 histogram, see engine/statistics.ts), by hand for raw values. */
export function expectedPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  if (p === 0) return min;
  if (p === 100) return max;
  if (min === max) return min;
  const bins = new Map<number, number>();
  for (const v of sorted) {
    const i = v === 0 ? -Infinity : Math.floor(Math.log(v) / Math.log(1.1));
    bins.set(i, (bins.get(i) ?? 0) + 1);
  }
  const target = (p / 100) * sorted.length;
  let prior = 0;
  for (const [i, count] of [...bins].sort((a, b) => a[0] - b[0])) {
    if (target <= prior + count) {
      if (i === -Infinity) return 0;
      const low = Math.max(min, 1.1 ** i);
      const high = Math.min(max, 1.1 ** (i + 1));
      return Math.min(max, Math.max(min, Math.exp(Math.log(low) + Math.log(high / low) * ((target - prior) / count))));
    }
    prior += count;
  }
  throw new Error("unreachable");
}
