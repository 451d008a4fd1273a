// The URLs SNS hands to subscribers, served on Nimbus's port under /_sns/ (outside the SNS API,
// unauthenticated as on AWS):
//   GET /_sns/?Action=ConfirmSubscription&TopicArn=..&Token=..   the SubscribeURL
//   GET /_sns/?Action=Unsubscribe&SubscriptionArn=..             the UnsubscribeURL
//   GET /_sns/SimpleNotificationService-nimbus.pem               the SigningCertURL
//   GET /_sns/outbox[?after=<id>]                                email, email-json and SMS deliveries
import type { RawHttpHook, RawHttpRequest, RawHttpResponse, RawHttpRuntime } from "../../core/service.js";
import { isAwsError } from "../../core/errors.js";
import { signingCertificate } from "./envelope.js";
import { parseSnsArn, scopeStore, snsStatements, type SubscriptionDoc } from "./store.js";
import { confirm, unsubscribe } from "./subscriptions.js";

const NS = "http://sns.amazonaws.com/doc/2010-03-31/";

function xml(status: number, body: string): RawHttpResponse {
  return { status, headers: { "content-type": "text/xml" }, body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}` };
}

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function errorXml(status: number, code: string, message: string, requestId: string): RawHttpResponse {
  return xml(status, `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
}

export const snsHttp: RawHttpHook = {
  claims(method, rawPath) {
    return (method === "GET" || method === "HEAD") && rawPath.startsWith("/_sns/");
  },
  async handle(req: RawHttpRequest, rt: RawHttpRuntime): Promise<RawHttpResponse> {
    const q = new URLSearchParams(req.rawQuery);
    if (req.rawPath === "/_sns/SimpleNotificationService-nimbus.pem") {
      return { status: 200, headers: { "content-type": "application/x-x509-ca-cert" }, body: signingCertificate(rt.db) };
    }
    if (req.rawPath === "/_sns/outbox") {
      const rows = snsStatements(rt.db).listOutbox.all(Number(q.get("after") ?? "0")) as Array<{ id: number; sub_arn: string; protocol: string; endpoint: string; body: string; delivered_at: number }>;
      const messages = rows.map((r) => ({ id: r.id, subscriptionArn: r.sub_arn, protocol: r.protocol, endpoint: r.endpoint, body: r.body, deliveredAt: new Date(r.delivered_at).toISOString() }));
      return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ messages }) };
    }
    if (req.rawPath !== "/_sns/") return errorXml(404, "NotFound", "Not found", req.requestId);
    try {
      switch (q.get("Action")) {
        case "ConfirmSubscription": {
          const arn = confirm(rt.db, rt.clock, q.get("TopicArn") ?? undefined, q.get("Token") ?? undefined);
          return xml(200, `<ConfirmSubscriptionResponse xmlns="${NS}"><ConfirmSubscriptionResult><SubscriptionArn>${escape(arn)}</SubscriptionArn></ConfirmSubscriptionResult><ResponseMetadata><RequestId>${req.requestId}</RequestId></ResponseMetadata></ConfirmSubscriptionResponse>`);
        }
        case "Unsubscribe": {
          const p = parseSnsArn(q.get("SubscriptionArn") ?? "");
          const store = p?.sub ? scopeStore(rt.db, p.account, p.region) : undefined;
          const sub = p && store ? store.get<SubscriptionDoc>("sub", `${p.topic}/${p.sub}`) : undefined;
          if (!sub || !store) return errorXml(404, "NotFound", "Subscription does not exist", req.requestId);
          unsubscribe(store, sub);
          return xml(200, `<UnsubscribeResponse xmlns="${NS}"><ResponseMetadata><RequestId>${req.requestId}</RequestId></ResponseMetadata></UnsubscribeResponse>`);
        }
        default:
          return errorXml(400, "InvalidAction", `The action ${q.get("Action") ?? ""} is not valid for this endpoint.`, req.requestId);
      }
    } catch (e) {
      if (isAwsError(e)) return errorXml(e.status ?? 400, e.code.replace(/Exception$/, ""), e.message, req.requestId);
      throw e;
    }
  },
};
