// Builders for engine tests: principals, statements and policy texts in a few characters.
import type { Principal } from "../../../src/core/service.js";

export const A = "111122223333";
export const B = "444455556666";

export const alice: Principal = { type: "user", accountId: A, arn: `arn:aws:iam::${A}:user/alice`, userId: "AIDAALICEEXAMPLE00001" };
export const carol: Principal = { type: "user", accountId: A, arn: `arn:aws:iam::${A}:user/division/carol`, userId: "AIDACAROLEXAMPLE00001" };
export const bob: Principal = { type: "user", accountId: B, arn: `arn:aws:iam::${B}:user/bob`, userId: "AIDABOBEXAMPLE0000001" };
export const session: Principal = { type: "assumed-role", accountId: A, arn: `arn:aws:sts::${A}:assumed-role/Dev/sess1`, userId: "AROADEVEXAMPLE0000001:sess1" };
export const bSession: Principal = { type: "assumed-role", accountId: B, arn: `arn:aws:sts::${B}:assumed-role/Ops/s`, userId: "AROAOPSEXAMPLE0000001:s" };
export const rootA: Principal = { type: "root", accountId: A, arn: `arn:aws:iam::${A}:root`, userId: A };
export const rootB: Principal = { type: "root", accountId: B, arn: `arn:aws:iam::${B}:root`, userId: B };
export const anon: Principal = { type: "anonymous", accountId: "", arn: "*", userId: "anonymous" };

export type Stmt = Record<string, unknown>;

/** A 2012-10-17 policy of the statements. */
export function P(...statements: Stmt[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** A policy without Version (2008-10-17 rules: no policy variables). */
export function P2008(...statements: Stmt[]): string {
  return JSON.stringify({ Statement: statements });
}

export const allow = (Action: unknown, Resource: unknown = "*", extra: Stmt = {}): Stmt => ({ Effect: "Allow", Action, Resource, ...extra });
export const deny = (Action: unknown, Resource: unknown = "*", extra: Stmt = {}): Stmt => ({ Effect: "Deny", Action, Resource, ...extra });
