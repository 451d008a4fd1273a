// Amazon SNS: standard and FIFO topics, subscriptions (sqs, lambda, http/https with
// confirmation, email/email-json/sms recorded in an outbox), filter policies, raw delivery,
// the signed SNS envelope, durable asynchronous delivery with retries on the Nimbus clock, and
// topic policies enforced by the IAM engine. Deliveries to SQS and Lambda are made as
// sns.amazonaws.com, so the target's resource policy decides, as on AWS.
import { defineService, type ServiceRuntime } from "../../core/service.js";
import { deliveries } from "./delivery.js";
import { Publish, PublishBatch } from "./publish.js";
import { snsHttp } from "./raw-http.js";
import { migrations, snsStatements } from "./store.js";
import { ConfirmSubscription, GetSubscriptionAttributes, ListSubscriptions, ListSubscriptionsByTopic, SetSubscriptionAttributes, Subscribe, Unsubscribe } from "./subscriptions.js";
import { snsResourcePolicy } from "./topic-policy.js";
import { AddPermission, CreateTopic, DeleteTopic, GetTopicAttributes, ListTagsForResource, ListTopics, RemovePermission, SetTopicAttributes, TagResource, UntagResource } from "./topics.js";

export const sns = defineService({
  name: "sns",
  handlers: {
    CreateTopic,
    DeleteTopic,
    ListTopics,
    GetTopicAttributes,
    SetTopicAttributes,
    AddPermission,
    RemovePermission,
    TagResource,
    UntagResource,
    ListTagsForResource,
    Subscribe,
    ConfirmSubscription,
    Unsubscribe,
    ListSubscriptions,
    ListSubscriptionsByTopic,
    GetSubscriptionAttributes,
    SetSubscriptionAttributes,
    Publish,
    PublishBatch,
  },
  migrations,
  http: snsHttp,
  resourcePolicy: snsResourcePolicy,
  start(rt: ServiceRuntime) {
    deliveries.start(rt);
  },
  stop(rt?: ServiceRuntime) {
    deliveries.stop(rt?.db);
  },
  reset(rt: ServiceRuntime) {
    deliveries.reset(rt.db);
    snsStatements(rt.db).resetOutbox.run();
  },
});
