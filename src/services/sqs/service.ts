// Amazon SQS: standard and FIFO queues, long polling, visibility, delays, retention,
// dead-letter queues and redrive, in Nimbus's database (see store.ts for the tables).
import { defineService, type ServiceRuntime } from "../../core/service.js";
import { migrations, sqsStore } from "./store.js";
import { closeRuntimes, runtimeOf } from "./runtime.js";
import { CreateQueue, DeleteQueue, GetQueueUrl, ListDeadLetterSourceQueues, ListQueues, PurgeQueue } from "./handlers/queues.js";
import { ChangeMessageVisibility, DeleteMessage, ReceiveMessage, SendMessage } from "./handlers/messages.js";
import { ChangeMessageVisibilityBatch, DeleteMessageBatch, SendMessageBatch } from "./handlers/batch.js";
import { GetQueueAttributes, SetQueueAttributes } from "./handlers/attributes.js";
import { AddPermission, ListQueueTags, RemovePermission, TagQueue, UntagQueue } from "./handlers/tags-permissions.js";
import { CancelMessageMoveTask, ListMessageMoveTasks, StartMessageMoveTask } from "./handlers/message-move.js";
import { sqsResourcePolicy } from "./queue-policy.js";

export const sqs = defineService({
  name: "sqs",
  handlers: {
    CreateQueue,
    GetQueueUrl,
    ListQueues,
    DeleteQueue,
    PurgeQueue,
    ListDeadLetterSourceQueues,
    SendMessage,
    SendMessageBatch,
    ReceiveMessage,
    DeleteMessage,
    DeleteMessageBatch,
    ChangeMessageVisibility,
    ChangeMessageVisibilityBatch,
    GetQueueAttributes,
    SetQueueAttributes,
    TagQueue,
    UntagQueue,
    ListQueueTags,
    AddPermission,
    RemovePermission,
    StartMessageMoveTask,
    ListMessageMoveTasks,
    CancelMessageMoveTask,
  },
  migrations,
  // Queue policies (Policy attribute, AddPermission) take part in the IAM engine's decision.
  resourcePolicy: sqsResourcePolicy,
  start(rt: ServiceRuntime) {
    // Creates the runtime: clock subscription, and resumption of running message move tasks.
    runtimeOf(rt.db, rt.clock);
  },
  // The chassis calls stop() without a runtime today; then every SQS runtime of this process
  // is closed (parked long polls answer at once, move tasks pause; both resume on restart).
  stop(rt?: ServiceRuntime) {
    closeRuntimes(rt?.db);
  },
  reset(rt: ServiceRuntime) {
    sqsStore(rt.db).reset();
    runtimeOf(rt.db, rt.clock).longPoll.notifyAll();
  },
});
