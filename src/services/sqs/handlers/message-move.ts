// StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask: redrive the messages
// of a dead-letter queue back to their source queues (or to a named destination). Tasks run
// in the background (move-runner.ts) and are durable.
import type {
  CancelMessageMoveTaskRequest,
  CancelMessageMoveTaskResult,
  ListMessageMoveTasksRequest,
  ListMessageMoveTasksResult,
  ListMessageMoveTasksResultEntry,
  StartMessageMoveTaskRequest,
  StartMessageMoveTaskResult,
} from "@aws-sdk/client-sqs";
import { randomUUID } from "node:crypto";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";
import { intParam, invalidParameterValue, parseArn, queueArn, sqs } from "../common.js";
import { redrivePolicyOf } from "../redrive.js";
import type { MoveTaskRow, QueueRecord, SqsStore } from "../store.js";

function notFound(param: "SourceArn" | "DestinationArn"): AwsError {
  return new AwsError("ResourceNotFoundException", `The resource that you specified for the ${param} parameter doesn't exist.`);
}

function queueByArn(ctx: RequestContext, store: SqsStore, arn: string | undefined, param: "SourceArn" | "DestinationArn"): QueueRecord {
  const a = arn ? parseArn(arn) : undefined;
  if (!a) {
    throw invalidParameterValue(`You must use this format to specify the ${param}: arn:<partition>:<service>:<region>:<account-id>:<resource-id>`);
  }
  const q = a.region === ctx.region ? store.queue(a.account, a.region, a.name) : undefined;
  if (!q) throw notFound(param);
  return q;
}

function isDeadLetterQueue(store: SqsStore, dlq: QueueRecord): boolean {
  const arn = queueArn(dlq);
  let after = "";
  for (;;) {
    const page = store.listQueues(dlq.account, dlq.region, "", after, 500);
    if (page.length === 0) return false;
    for (const q of page) if (redrivePolicyOf(q)?.deadLetterTargetArn === arn) return true;
    after = page[page.length - 1].name;
  }
}

function encodeHandle(taskId: string, sourceArn: string): string {
  return Buffer.from(JSON.stringify({ taskId, sourceArn }), "utf8").toString("base64");
}

function decodeHandle(handle: string | undefined): { taskId: string; sourceArn: string } | undefined {
  if (!handle) return undefined;
  try {
    const v = JSON.parse(Buffer.from(handle, "base64").toString("utf8")) as { taskId?: unknown; sourceArn?: unknown };
    if (typeof v.taskId === "string" && typeof v.sourceArn === "string") return { taskId: v.taskId, sourceArn: v.sourceArn };
  } catch {
    // fall through
  }
  return undefined;
}

export function StartMessageMoveTask(input: StartMessageMoveTaskRequest, ctx: RequestContext): StartMessageMoveTaskResult {
  const { store, rt, now } = sqs(ctx);
  const rate = intParam("MaxNumberOfMessagesPerSecond", input.MaxNumberOfMessagesPerSecond, 1, 500, "Must be between 1 and 500, if provided.");
  const taskId = randomUUID();
  store.tx(() => {
    const source = queueByArn(ctx, store, input.SourceArn, "SourceArn");
    if (!isDeadLetterQueue(store, source)) throw invalidParameterValue("Source queue must be configured as a Dead Letter Queue.");
    if (input.DestinationArn !== undefined) queueByArn(ctx, store, input.DestinationArn, "DestinationArn");
    const sourceArn = queueArn(source);
    if (store.tasksOf(source.account, source.region, sourceArn, 10).some((t) => t.status === "RUNNING" || t.status === "CANCELLING")) {
      throw invalidParameterValue("There is already a task running. Only one active task is allowed for a source queue arn at a given time.");
    }
    store.insertTask({
      task_id: taskId,
      account: source.account,
      region: source.region,
      source_arn: sourceArn,
      destination_arn: input.DestinationArn ?? null,
      max_per_second: rate ?? null,
      status: "RUNNING",
      started_at: now,
      to_move: store.counts(source.id, now).visible,
      moved: 0,
      max_seq: store.maxSeq(source.id),
    });
  });
  rt.moves.kick();
  return { TaskHandle: encodeHandle(taskId, input.SourceArn!) };
}

function toEntry(t: MoveTaskRow): ListMessageMoveTasksResultEntry {
  const e: ListMessageMoveTasksResultEntry = {
    Status: t.status,
    SourceArn: t.source_arn,
    ApproximateNumberOfMessagesMoved: t.moved,
    ApproximateNumberOfMessagesToMove: t.to_move,
    StartedTimestamp: t.started_at,
  };
  if (t.status === "RUNNING") e.TaskHandle = encodeHandle(t.task_id, t.source_arn);
  if (t.destination_arn) e.DestinationArn = t.destination_arn;
  if (t.max_per_second !== null) e.MaxNumberOfMessagesPerSecond = t.max_per_second;
  if (t.failure_reason) e.FailureReason = t.failure_reason;
  return e;
}

export function ListMessageMoveTasks(input: ListMessageMoveTasksRequest, ctx: RequestContext): ListMessageMoveTasksResult {
  const { store } = sqs(ctx);
  const limit = intParam("MaxResults", input.MaxResults, 1, 10, "Must be between 1 and 10, if provided.") ?? 1;
  const source = queueByArn(ctx, store, input.SourceArn, "SourceArn");
  return { Results: store.tasksOf(source.account, source.region, queueArn(source), limit).map(toEntry) };
}

export function CancelMessageMoveTask(input: CancelMessageMoveTaskRequest, ctx: RequestContext): CancelMessageMoveTaskResult {
  const { store, rt } = sqs(ctx);
  const h = decodeHandle(input.TaskHandle);
  if (!h) throw invalidParameterValue("Value for parameter TaskHandle is invalid.");
  const moved = store.tx(() => {
    queueByArn(ctx, store, h.sourceArn, "SourceArn");
    const t = store.task(h.taskId);
    if (!t) throw new AwsError("ResourceNotFoundException", "Task does not exist.");
    // TODO(parity): AWS's wording for cancelling a task that is no longer running is unverified.
    if (t.status !== "RUNNING") throw new AwsError("ResourceNotFoundException", "Task does not exist.");
    store.updateTask(t.task_id, "CANCELLING", t.moved, null);
    return t.moved;
  });
  rt.moves.kick();
  return { ApproximateNumberOfMessagesMoved: moved };
}
