// Access key -> principal (DESIGN.md section 5).
//
// Keys Nimbus issued (IAM users' access keys, STS role sessions, Lambda and instance roles) are
// registered by IAM/STS in a CredentialResolver; requests signed with them are verified with their
// secret and act as their principal. Any other key is the root user of an account: a 12-digit key
// names the account, anything else is account 000000000000, so `test`/`test` can do everything,
// as root can on AWS. Such requests cannot be verified (Nimbus does not know the secret).
import type { Principal } from "../service.js";

/** The account of keys that name none. */
export const DEFAULT_ACCOUNT_ID = "000000000000";

export interface ResolvedCredentials {
  secretAccessKey: string;
  /** Temporary credentials (STS): the X-Amz-Security-Token the request must carry. */
  sessionToken?: string;
  /** Temporary credentials: when they stop working, milliseconds since the epoch (Nimbus time). */
  expiresAt?: number;
  principal: Principal;
}

export interface CredentialResolver {
  /** The issued credentials of an access key, or undefined for a key Nimbus did not issue. */
  resolve(accessKeyId: string): ResolvedCredentials | undefined;
}

const TWELVE_DIGITS = /^\d{12}$/;

/** The account an unissued access key belongs to: itself when it is 12 digits, else 000000000000. */
export function accountIdForAccessKey(accessKeyId: string): string {
  return TWELVE_DIGITS.test(accessKeyId) ? accessKeyId : DEFAULT_ACCOUNT_ID;
}

/** The root user of the account an unissued access key names. */
export function rootPrincipalFor(accessKeyId: string): Principal {
  const accountId = accountIdForAccessKey(accessKeyId);
  return { type: "root", accountId, arn: `arn:aws:iam::${accountId}:root`, userId: accountId, accessKeyId };
}

/**
 * The caller of an unsigned request. It belongs to no account (accountId ""): what an anonymous
 * caller may do is the resource owner's decision (an S3 bucket policy or ACL granting "*").
 */
export const ANONYMOUS_PRINCIPAL: Readonly<Principal> = Object.freeze({
  type: "anonymous",
  accountId: "",
  arn: "*",
  userId: "anonymous",
});

/**
 * The credentials IAM and STS issue, in memory. IAM adds a user's access keys as they are
 * created (and removes them when deleted or deactivated); STS adds each session's temporary keys.
 * Expired temporary keys stay resolvable until removed so the request is refused as ExpiredToken
 * rather than as an unknown key; `pruneExpired` forgets them.
 */
export class InMemoryCredentialRegistry implements CredentialResolver {
  private readonly keys = new Map<string, ResolvedCredentials>();

  resolve(accessKeyId: string): ResolvedCredentials | undefined {
    return this.keys.get(accessKeyId);
  }

  /** Registers (or replaces) the credentials of an access key. */
  add(accessKeyId: string, credentials: ResolvedCredentials): void {
    this.keys.set(accessKeyId, { ...credentials, principal: { ...credentials.principal, accessKeyId } });
  }

  /** Forgets an access key; true when it was registered. */
  remove(accessKeyId: string): boolean {
    return this.keys.delete(accessKeyId);
  }

  has(accessKeyId: string): boolean {
    return this.keys.has(accessKeyId);
  }

  /** Access keys registered for an account. */
  accessKeysOf(accountId: string): string[] {
    const out: string[] = [];
    for (const [id, c] of this.keys) if (c.principal.accountId === accountId) out.push(id);
    return out;
  }

  /** Forgets temporary credentials that expired before `nowMs`; returns how many. */
  pruneExpired(nowMs: number): number {
    let n = 0;
    for (const [id, c] of this.keys) {
      if (c.expiresAt !== undefined && c.expiresAt <= nowMs) {
        this.keys.delete(id);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.keys.clear();
  }

  get size(): number {
    return this.keys.size;
  }
}

/** The name core/server knows the registry by. */
export { InMemoryCredentialRegistry as KeyRegistry };
