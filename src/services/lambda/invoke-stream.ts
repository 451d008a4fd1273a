// InvokeWithResponseStream: the answer as an event stream. A handler wrapped in
// awslambda.streamifyResponse (node) streams its bytes through the Runtime API, and each chunk
// goes out as a PayloadChunk event as it arrives; any other function's answer is one
// PayloadChunk. InvokeComplete ends the stream, with ErrorCode / ErrorDetails when the function
// failed and LogResult for LogType Tail.
import { PassThrough } from "node:stream";
import type { InvokeWithResponseStreamRequest, InvokeWithResponseStreamResponse } from "@aws-sdk/client-lambda";
import { AwsError } from "../../core/errors.js";
import type { Handler } from "../../core/service.js";
import { pickVersion } from "./aliases.js";
import { invokeComplete, payloadChunk } from "./event-stream.js";
import { ensureCode, readPayload, run, tail } from "./invoke.js";
import { refOf, resolveTarget } from "./lookup.js";
import type { Readable } from "node:stream";

const PAYLOAD_MAX = 6_291_456;

export const InvokeWithResponseStream: Handler<InvokeWithResponseStreamRequest, InvokeWithResponseStreamResponse> = async (input, ctx) => {
  // 1. What runs, and the request's checks, as Invoke.
  const ref = refOf(ctx, input.FunctionName, input.Qualifier);
  const { doc, version } = resolveTarget(ref, (a) => pickVersion(a));
  const payload = await readPayload(input.Payload as Uint8Array | Readable | undefined);
  if (payload.length > PAYLOAD_MAX) throw new AwsError("RequestEntityTooLargeException", `Request must be smaller than ${PAYLOAD_MAX} bytes for the InvokeFunction operation`, 413, { fields: { Type: "User" } });
  if (payload.length > 0) {
    try {
      JSON.parse(payload.toString("utf8"));
    } catch {
      throw new AwsError("InvalidRequestContentException", "Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a JSON value", 400, { fields: { Type: "User" } });
    }
  }
  if (input.InvocationType === "DryRun") return { StatusCode: 204 };
  await ensureCode(ctx, doc);
  // 2. The stream: chunks as the worker sends them, then InvokeComplete.
  const out = new PassThrough();
  let streamed = false;
  const done = run(ctx, doc, payload.length > 0 ? payload : Buffer.from("{}"), version, undefined, (c) => {
    streamed = true;
    out.write(payloadChunk(c));
  });
  done.then(
    (r) => {
      if (!streamed && !r.functionError && r.payload.length > 0) out.write(payloadChunk(r.payload));
      const log = input.LogType === "Tail" ? { LogResult: tail(r.id, r, doc.configuration.MemorySize ?? 128, version) } : {};
      if (r.functionError) {
        let code = r.functionError as string;
        try {
          code = (JSON.parse(r.payload.toString("utf8")) as { errorType?: string }).errorType ?? code;
        } catch {
          // not JSON: keep "Unhandled"
        }
        out.end(invokeComplete({ ErrorCode: code, ErrorDetails: r.payload.toString("utf8"), ...log }));
      } else {
        out.end(invokeComplete(log));
      }
    },
    (e: unknown) => out.destroy(e as Error),
  );
  return { StatusCode: 200, ExecutedVersion: version, ResponseStreamContentType: "application/octet-stream", EventStream: out as unknown as InvokeWithResponseStreamResponse["EventStream"] };
};
