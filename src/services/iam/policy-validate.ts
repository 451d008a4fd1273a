// Policy documents are checked before they are stored: grammar by the policy engine's
// validator (core/iam/policy-document.ts, IAM's MalformedPolicyDocument messages), size quotas
// here (IAM's, counted without whitespace as AWS counts them).
import { PolicyDocumentError, parsePolicyDocument } from "../../core/iam/policy-document.js";
import type { PolicyKind } from "../../core/iam/types.js";
import { limitExceeded, malformedPolicy } from "./common.js";

/** Characters AWS counts toward a policy size quota: whitespace outside strings is free. */
export function policySize(doc: string): number {
  let n = 0;
  let inString = false;
  for (let i = 0; i < doc.length; i++) {
    const c = doc[i];
    if (inString) {
      n++;
      if (c === "\\") {
        n++;
        i++;
      } else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      n++;
    } else if (c !== " " && c !== "\n" && c !== "\r" && c !== "\t") n++;
  }
  return n;
}

/** Validates a document of a kind, throwing MalformedPolicyDocument in AWS's words. */
export function validatePolicy(doc: string, kind: PolicyKind): void {
  try {
    parsePolicyDocument(doc, kind);
  } catch (e) {
    if (e instanceof PolicyDocumentError) throw malformedPolicy(e.message);
    throw e;
  }
}

/** A size quota: LimitExceeded with the given message when the document is over `max`. */
export function checkSize(doc: string, max: number, message: string): void {
  if (policySize(doc) > max) throw limitExceeded(message);
}
