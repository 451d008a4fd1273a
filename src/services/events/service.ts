// Amazon EventBridge: event buses (the default bus of every account and region, custom buses,
// bus policies), rules with event patterns (pattern.ts) or schedules fired on the Nimbus clock
// (schedule.ts), targets (SQS, SNS, Lambda, CloudWatch Logs, another bus) with Input,
// InputPath and InputTransformer, PutEvents, TestEventPattern and tags. Matched events are
// queued in PutEvents' transaction and delivered after the commit, with retries, RetryPolicy
// and dead-letter queues (delivery.ts), as events.amazonaws.com so the target's resource
// policy decides. The model is models/eventbridge.json (awsJson 1.1, signing name `events`).
import { defineService, type ServiceRuntime } from "../../core/service.js";
import { CreateEventBus, DeleteEventBus, DescribeEventBus, ListEventBuses, PutPermission, RemovePermission, UpdateEventBus, eventsResourcePolicy } from "./buses.js";
import { deliveries } from "./delivery.js";
import { PutEvents, TestEventPattern } from "./put-events.js";
import { DeleteRule, DescribeRule, DisableRule, EnableRule, ListRuleNamesByTarget, ListRules, PutRule } from "./rules.js";
import { scheduler } from "./schedule.js";
import { invalidateRules, migrations, statements } from "./store.js";
import { ListTagsForResource, TagResource, UntagResource } from "./tags.js";
import { ListTargetsByRule, PutTargets, RemoveTargets } from "./targets.js";

export const eventbridge = defineService({
  name: "eventbridge",
  handlers: {
    CreateEventBus,
    DescribeEventBus,
    ListEventBuses,
    DeleteEventBus,
    UpdateEventBus,
    PutPermission,
    RemovePermission,
    PutRule,
    DescribeRule,
    ListRules,
    EnableRule,
    DisableRule,
    DeleteRule,
    ListRuleNamesByTarget,
    PutTargets,
    RemoveTargets,
    ListTargetsByRule,
    PutEvents,
    TestEventPattern,
    TagResource,
    UntagResource,
    ListTagsForResource,
  },
  migrations,
  resourcePolicy: eventsResourcePolicy,
  chaos(db, req) {
    // {"service":"eventbridge","action":"pause-delivery"}: targets unreachable; matched events stay queued (durably).
    if (req.action === "pause-delivery") return deliveries.pause(db, true);
    if (req.action === "resume-delivery") return deliveries.pause(db, false);
    throw new Error(`unknown EventBridge chaos action "${String(req.action)}"; known: pause-delivery, resume-delivery`);
  },
  start(rt: ServiceRuntime) {
    deliveries.start(rt);
    scheduler.start(rt);
  },
  stop(rt?: ServiceRuntime) {
    deliveries.stop(rt?.db);
    scheduler.stop(rt?.db);
  },
  reset(rt: ServiceRuntime) {
    deliveries.reset(rt.db);
    statements(rt.db).resetSchedules.run();
    invalidateRules(rt.db);
  },
});
