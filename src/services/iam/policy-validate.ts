// Policy documents are checked before they are stored: size quotas (IAM's, counted without
// whitespace as AWS counts them) here, grammar by the policy engine's validator in core/iam.
import { limitExceeded, malformedPolicy } from "./common.js";

export type PolicyKind = "identity" | "resource" | "trust" | "boundary" | "session";

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

type Validator = (doc: string, kind: PolicyKind) => unknown;
let engineValidator: Validator | undefined;

/** Installed once the engine's validator is available (see service.ts). */
export function setPolicyValidator(v: Validator): void {
  engineValidator = v;
}

/**
 * Validates a document of a kind, throwing MalformedPolicyDocument in AWS's words. The engine
 * validator does the grammar; without it only JSON syntax and the Statement member are checked.
 */
export function validatePolicy(doc: string, kind: PolicyKind): void {
  if (engineValidator) {
    try {
      engineValidator(doc, kind);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (err && typeof err.message === "string" && (err.code === undefined || /Malformed/.test(err.code))) throw malformedPolicy(err.message);
      throw e;
    }
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    throw malformedPolicy("Syntax errors in policy.");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw malformedPolicy("Syntax errors in policy.");
  if (!("Statement" in parsed)) throw malformedPolicy("Syntax errors in policy.");
}

/** A size quota: LimitExceeded with the given message when the document is over `max`. */
export function checkSize(doc: string, max: number, message: string): void {
  if (policySize(doc) > max) throw limitExceeded(message);
}
