// What subscribers receive: the SNS JSON envelope (HTTP/S, email-json, SQS without raw
// delivery), signed as SNS signs it (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA, over
// the documented "name\nvalue\n" string), and the Lambda event. The signing key is made once per
// data directory and kept in the store; its certificate is served at SigningCertURL.
import { execFileSync } from "node:child_process";
import { createSign, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DocStore } from "../../core/state/doc-store.js";
import type { Db } from "../../core/state/database.js";
import type { DeliveryPayload } from "./store.js";

interface SigningDoc {
  privateKey: string;
  publicKey: string;
  certificate?: string;
}

const signers = new WeakMap<Db, SigningDoc>();

function signingKey(db: Db): SigningDoc {
  let s = signers.get(db);
  if (s) return s;
  const store = new DocStore(db, "sns", "nimbus");
  s = store.get<SigningDoc>("signing", "key");
  if (!s) {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    s = { privateKey: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(), publicKey: pair.publicKey.export({ type: "spki", format: "pem" }).toString() };
    store.put("signing", "key", s);
  }
  signers.set(db, s);
  return s;
}

/**
 * The PEM served at SigningCertURL: a self-signed X.509 certificate for the signing key (made
 * with openssl once), or the bare public key when openssl is not installed.
 */
export function signingCertificate(db: Db): string {
  const s = signingKey(db);
  if (s.certificate) return s.certificate;
  let cert = s.publicKey;
  const dir = mkdtempSync(join(tmpdir(), "nimbus-sns-"));
  try {
    writeFileSync(join(dir, "key.pem"), s.privateKey, { mode: 0o600 });
    cert = execFileSync("openssl", ["req", "-new", "-x509", "-key", join(dir, "key.pem"), "-subj", "/CN=sns.amazonaws.com", "-days", "3650"], { encoding: "utf8", timeout: 10_000 });
  } catch {
    // no openssl: the public key alone
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  s.certificate = cert;
  new DocStore(db, "sns", "nimbus").put("signing", "key", s);
  return cert;
}

/** The fields SNS signs, in its documented order, as "name\nvalue\n". */
function stringToSign(fields: Record<string, string | undefined>, names: readonly string[]): string {
  let out = "";
  for (const n of names) if (fields[n] !== undefined) out += `${n}\n${fields[n]}\n`;
  return out;
}

const NOTIFICATION_FIELDS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"] as const;
const CONFIRMATION_FIELDS = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"] as const;

function sign(db: Db, text: string, version: string): string {
  return createSign(version === "2" ? "RSA-SHA256" : "RSA-SHA1").update(text, "utf8").sign(signingKey(db).privateKey, "base64");
}

export function certUrl(base: string): string {
  return `${base}/_sns/SimpleNotificationService-nimbus.pem`;
}

export function unsubscribeUrl(base: string, subArn: string): string {
  return `${base}/_sns/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subArn)}`;
}

export function subscribeUrl(base: string, topicArn: string, token: string): string {
  return `${base}/_sns/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=${token}`;
}

/** The message attributes as the envelope shows them: {"name": {"Type": ..., "Value": ...}}. */
function envelopeAttributes(p: DeliveryPayload): Record<string, { Type: string; Value: string }> | undefined {
  if (!p.attributes || !Object.keys(p.attributes).length) return undefined;
  const out: Record<string, { Type: string; Value: string }> = {};
  for (const [k, a] of Object.entries(p.attributes)) {
    const bin = a.BinaryValue;
    out[k] = { Type: a.DataType, Value: bin !== undefined ? (typeof bin === "string" ? bin : Buffer.from(bin).toString("base64")) : (a.StringValue ?? "") };
  }
  return out;
}

/** The JSON envelope, with its fields in SNS's order. */
export function envelope(db: Db, p: DeliveryPayload, subArn: string, signatureVersion = "1"): Record<string, unknown> {
  if (p.kind === "Notification") {
    const fields = { Type: "Notification", MessageId: p.messageId, TopicArn: p.topicArn, Subject: p.subject, Message: p.message, Timestamp: p.timestamp };
    const attrs = envelopeAttributes(p);
    return {
      Type: "Notification",
      MessageId: p.messageId,
      ...(p.fifo ? { SequenceNumber: p.fifo.sequence } : {}),
      TopicArn: p.topicArn,
      ...(p.subject !== undefined ? { Subject: p.subject } : {}),
      Message: p.message,
      Timestamp: p.timestamp,
      SignatureVersion: signatureVersion,
      Signature: sign(db, stringToSign(fields, NOTIFICATION_FIELDS), signatureVersion),
      SigningCertURL: certUrl(p.endpointBase),
      UnsubscribeURL: unsubscribeUrl(p.endpointBase, subArn),
      ...(attrs ? { MessageAttributes: attrs } : {}),
    };
  }
  const url = subscribeUrl(p.endpointBase, p.topicArn, p.token ?? "");
  const fields = { Type: p.kind, MessageId: p.messageId, Token: p.token, TopicArn: p.topicArn, Message: p.message, SubscribeURL: url, Timestamp: p.timestamp };
  return {
    Type: p.kind,
    MessageId: p.messageId,
    Token: p.token,
    TopicArn: p.topicArn,
    Message: p.message,
    SubscribeURL: url,
    Timestamp: p.timestamp,
    SignatureVersion: signatureVersion,
    Signature: sign(db, stringToSign(fields, CONFIRMATION_FIELDS), signatureVersion),
    SigningCertURL: certUrl(p.endpointBase),
  };
}

/** The event a Lambda subscription is invoked with (Lambda developer guide, "Using Lambda with Amazon SNS"). */
export function lambdaEvent(db: Db, p: DeliveryPayload, subArn: string, signatureVersion = "1"): Record<string, unknown> {
  const env = envelope(db, p, subArn, signatureVersion);
  return {
    Records: [
      {
        EventSource: "aws:sns",
        EventVersion: "1.0",
        EventSubscriptionArn: subArn,
        Sns: {
          Type: env.Type,
          MessageId: env.MessageId,
          TopicArn: env.TopicArn,
          Subject: p.subject ?? null,
          Message: env.Message,
          Timestamp: env.Timestamp,
          SignatureVersion: env.SignatureVersion,
          Signature: env.Signature,
          SigningCertUrl: env.SigningCertURL,
          UnsubscribeUrl: env.UnsubscribeURL,
          MessageAttributes: envelopeAttributes(p) ?? {},
        },
      },
    ],
  };
}
