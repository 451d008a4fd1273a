// Test support: requests signed by the AWS SDK's own code (@smithy/signature-v4 and the
// @aws-sdk/client-* middleware stacks), turned into what the gateway hands to auth: the raw path
// and query as they go on the wire, lower-cased headers. Imported by *.test.ts only.
import { createHash, createHmac } from "node:crypto";
import { buildQueryString } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AuthRequest } from "./canonical-request.js";

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** The hash constructor SignatureV4 wants, on node:crypto (what @smithy/hash-node does). */
export class NodeSha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}

export interface TestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A SignatureV4 configured as the SDK configures it for the service (S3: no path escaping). */
export function sdkSigner(service: string, region: string, credentials: TestCredentials, opts: { applyChecksum?: boolean } = {}): SignatureV4 {
  return new SignatureV4({
    service,
    region,
    credentials,
    sha256: NodeSha256,
    uriEscapePath: service !== "s3",
    applyChecksum: opts.applyChecksum ?? true,
  });
}

export interface WireRequest {
  method: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/** What the server sees of an SDK request: path and query as sent, header names lower-cased. */
export function toAuthRequest(r: WireRequest): AuthRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
  if (headers.host === undefined) headers.host = r.port ? `${r.hostname}:${r.port}` : r.hostname;
  return {
    method: r.method,
    rawPath: r.path,
    rawQuery: r.query ? buildQueryString(r.query as Record<string, string>) : "",
    headers,
  };
}

/** A request handler that records the signed request instead of sending it. */
export function captureHandler(into: WireRequest[]) {
  return {
    handle: async (req: WireRequest): Promise<never> => {
      into.push(req);
      throw Object.assign(new Error("captured"), { name: "Captured", $metadata: {} });
    },
  };
}

/** Sends a command through a client whose handler captures it; returns the signed wire request. */
export async function capture(client: { send(command: never): Promise<unknown> }, command: unknown): Promise<WireRequest> {
  const captured = (client as unknown as { __captured: WireRequest[] }).__captured;
  const before = captured.length;
  await client.send(command as never).catch((e: unknown) => {
    if ((e as Error).name !== "Captured") throw e;
  });
  if (captured.length === before) throw new Error("the client sent nothing");
  return captured[captured.length - 1];
}

/** Client config that captures instead of sending. */
export function captureConfig(credentials: TestCredentials, region = "us-east-1", systemClockOffset = 0) {
  const captured: WireRequest[] = [];
  return {
    captured,
    config: {
      region,
      endpoint: "http://localhost:4566",
      credentials,
      requestHandler: captureHandler(captured),
      maxAttempts: 1,
      systemClockOffset,
    },
  };
}

/** Attaches the capture buffer to a client so `capture` finds it. */
export function withCapture<C extends object>(client: C, captured: WireRequest[]): C {
  (client as unknown as { __captured: WireRequest[] }).__captured = captured;
  return client;
}

export function bodyBytes(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body);
  return Buffer.from(String(body), "utf8");
}
