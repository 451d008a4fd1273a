// Shared pieces of the SQS integration tests: a client per fresh account, the Nimbus clock,
// and error capture with the fields SDK v3 exposes for query-compatible services.
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, type SQSClientConfig } from "@aws-sdk/client-sqs";
import { AwsQueryProtocol } from "@aws-sdk/core/protocols";
import { freshAccount, sdkConfig, type TestNimbus } from "../../support/nimbus.js";

export interface Account {
  id: string;
  client: SQSClient;
}

export function account(n: TestNimbus, opts: { query?: boolean; region?: string } = {}): Account {
  const id = freshAccount();
  return { id, client: client(n, id, opts) };
}

export function client(n: TestNimbus, accountId: string, opts: { query?: boolean; region?: string } = {}): SQSClient {
  const cfg = { ...sdkConfig(n.endpoint, { accountId, region: opts.region }), ...(opts.query ? { protocol: AwsQueryProtocol } : {}) };
  return new SQSClient(cfg as SQSClientConfig);
}

export { advanceClock as advance } from "../../support/nimbus.js";

export interface CapturedError {
  name: string;
  message: string;
  /** The query-compatible code (x-amzn-query-error), when the service sent one. */
  Code?: string;
  $metadata: { httpStatusCode?: number };
}

/** The error a call fails with (fails the test if it succeeds). */
export async function failure(p: Promise<unknown>): Promise<CapturedError> {
  try {
    await p;
  } catch (e) {
    return e as CapturedError;
  }
  throw new Error("expected the call to fail");
}

/** The AWS code of an error: the query-compatible code when present, else the error name. */
export function codeOf(e: CapturedError): string {
  return e.Code ?? e.name;
}

export const unique = (p: string) => `${p}-${Math.random().toString(36).slice(2, 10)}`;

export async function createQueue(c: SQSClient, name: string, attributes?: Record<string, string>, tags?: Record<string, string>): Promise<string> {
  const out = await c.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes, tags }));
  return out.QueueUrl!;
}

export async function attributes(c: SQSClient, url: string, names: string[] = ["All"]): Promise<Record<string, string>> {
  const out = await c.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names as never }));
  return out.Attributes ?? {};
}

export async function counts(c: SQSClient, url: string): Promise<{ visible: number; inflight: number; delayed: number }> {
  const a = await attributes(c, url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]);
  return {
    visible: Number(a.ApproximateNumberOfMessages),
    inflight: Number(a.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed),
  };
}
