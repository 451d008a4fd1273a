// Two kinds of error live here:
// - AwsError: what a handler (or the chassis) throws to answer a request with an AWS error.
//   `code` is the model's error shape name when the service models it (QueueDoesNotExist);
//   protocols translate it to the wire code (awsQueryError for query-compatible services).
// - NimbusError: a problem with Nimbus itself (bad config, port in use). Stable ERR_* code,
//   one line that names the problem and the fix.

export class AwsError extends Error {
  readonly code: string;
  /** HTTP status; when undefined the protocol takes it from the model's error shape (httpError / awsQueryError), else 400. */
  readonly status: number | undefined;
  /** "Sender" (client fault) or "Receiver" (server fault). */
  readonly fault: "Sender" | "Receiver";
  /** Extra members of the error structure, serialized beside Code and Message (S3 BucketName, Resource...). */
  readonly fields: Record<string, unknown>;
  /** Extra response headers (S3 x-amz-delete-marker on a 404, Retry-After...). */
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    message: string,
    status?: number,
    opts: { fault?: "Sender" | "Receiver"; fields?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "AwsError";
    this.code = code;
    this.status = status;
    this.fault = opts.fault ?? (status !== undefined && status >= 500 ? "Receiver" : "Sender");
    this.fields = opts.fields ?? {};
    this.headers = opts.headers ?? {};
  }
}

export function isAwsError(e: unknown): e is AwsError {
  return e instanceof AwsError;
}

/** The uniform answer for an operation Nimbus models but does not implement yet. */
export function notImplemented(service: string, operation: string): AwsError {
  return new AwsError(
    "NotImplemented",
    `Nimbus does not implement ${service}:${operation} yet; see src/services/${service}/GAPS.md`,
    501,
    { fault: "Receiver" },
  );
}

export function internalError(): AwsError {
  return new AwsError("InternalError", "We encountered an internal error. Please try again.", 500, { fault: "Receiver" });
}

export class NimbusError extends Error {
  readonly code: `ERR_${string}`;
  constructor(code: `ERR_${string}`, message: string) {
    super(message);
    this.name = "NimbusError";
    this.code = code;
  }
}
