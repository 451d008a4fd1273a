// The events of InvokeWithResponseStream's answer, framed by core/protocols/event-stream.ts.
import { eventMessage } from "../../core/protocols/event-stream.js";

/** A PayloadChunk event: bytes of the response as the function wrote them. */
export function payloadChunk(bytes: Buffer): Buffer {
  return eventMessage("PayloadChunk", "application/octet-stream", bytes);
}

/** The InvokeComplete event ending the stream (ErrorCode/ErrorDetails when the function failed, LogResult with LogType Tail). */
export function invokeComplete(doc: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string }): Buffer {
  return eventMessage("InvokeComplete", "application/json", Buffer.from(JSON.stringify(doc)));
}
