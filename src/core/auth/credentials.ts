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

/** What the persistent registry keeps beside the credentials (who issued them, and their extras). */
export interface IssuedCredentials extends ResolvedCredentials {
  /** The service that issued them ("iam" access keys, "sts" sessions); reset and listings go by it. */
  source?: string;
  /**
   * Refused with InvalidClientTokenId (an inactive or deleted IAM access key): still known, so the
   * key is never mistaken for the root of an account.
   */
  disabled?: boolean;
  /** The issuer's own data (an STS session's role, session policies and tags...). */
  data?: Record<string, unknown>;
}

interface RegistryStatements {
  get: import("better-sqlite3").Statement;
  put: import("better-sqlite3").Statement;
  del: import("better-sqlite3").Statement;
  byAccount: import("better-sqlite3").Statement;
  expired: import("better-sqlite3").Statement;
  count: import("better-sqlite3").Statement;
}

/**
 * The credentials IAM and STS issue, in the database (table nimbus_issued_credentials), so IAM
 * access keys and STS sessions survive a restart. Every request signed with a key resolves it,
 * so lookups go through a cache that also remembers misses (the keys of roots, `test`): the
 * registry is the only writer of its table, and every write drops the key from the cache.
 * The same methods as InMemoryCredentialRegistry, plus `issued`, which returns the extras.
 */
export class PersistentCredentialRegistry implements CredentialResolver {
  private readonly cache = new Map<string, ResolvedCredentials | null>();
  private readonly issuedCache = new Map<string, IssuedCredentials>();
  private readonly st: RegistryStatements;
  private static readonly CACHE_LIMIT = 20_000;
  /** What a disabled key resolves to: a session token no request can carry, so authentication answers InvalidClientTokenId. */
  private static readonly REFUSED_TOKEN = "\u0000refused";

  constructor(private readonly db: import("better-sqlite3").Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS nimbus_issued_credentials (
      access_key_id TEXT PRIMARY KEY,
      source        TEXT NOT NULL,
      account_id    TEXT NOT NULL,
      expires_at    INTEGER,
      doc           TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS nimbus_issued_credentials_account ON nimbus_issued_credentials (account_id);`);
    this.st = {
      get: db.prepare("SELECT doc FROM nimbus_issued_credentials WHERE access_key_id = ?"),
      put: db.prepare(
        "INSERT INTO nimbus_issued_credentials (access_key_id, source, account_id, expires_at, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT(access_key_id) DO UPDATE SET source = excluded.source, account_id = excluded.account_id, expires_at = excluded.expires_at, doc = excluded.doc",
      ),
      del: db.prepare("DELETE FROM nimbus_issued_credentials WHERE access_key_id = ?"),
      byAccount: db.prepare("SELECT access_key_id AS id FROM nimbus_issued_credentials WHERE account_id = ? ORDER BY access_key_id"),
      expired: db.prepare("SELECT access_key_id AS id FROM nimbus_issued_credentials WHERE expires_at IS NOT NULL AND expires_at <= ?"),
      count: db.prepare("SELECT count(*) AS n FROM nimbus_issued_credentials"),
    };
  }

  resolve(accessKeyId: string): ResolvedCredentials | undefined {
    const hit = this.cache.get(accessKeyId);
    if (hit !== undefined) return hit ?? undefined;
    const issued = this.issued(accessKeyId);
    let out: ResolvedCredentials | null = null;
    if (issued) {
      out = issued.disabled
        ? { secretAccessKey: issued.secretAccessKey, sessionToken: PersistentCredentialRegistry.REFUSED_TOKEN, principal: issued.principal }
        : { secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken, expiresAt: issued.expiresAt, principal: issued.principal };
    }
    if (this.cache.size >= PersistentCredentialRegistry.CACHE_LIMIT) this.cache.clear();
    this.cache.set(accessKeyId, out);
    return out ?? undefined;
  }

  /** Everything recorded for an issued key (disabled ones included), or undefined. */
  issued(accessKeyId: string): IssuedCredentials | undefined {
    const hit = this.issuedCache.get(accessKeyId);
    if (hit) return hit;
    const row = this.st.get.get(accessKeyId) as { doc: string } | undefined;
    if (!row) return undefined;
    const doc = JSON.parse(row.doc) as IssuedCredentials;
    if (this.issuedCache.size >= PersistentCredentialRegistry.CACHE_LIMIT) this.issuedCache.clear();
    this.issuedCache.set(accessKeyId, doc);
    return doc;
  }

  /** Registers (or replaces) the credentials of an access key, durably. */
  add(accessKeyId: string, credentials: IssuedCredentials): void {
    const doc: IssuedCredentials = { ...credentials, principal: { ...credentials.principal, accessKeyId } };
    this.st.put.run(accessKeyId, doc.source ?? "", doc.principal.accountId, doc.expiresAt ?? null, JSON.stringify(doc));
    this.forget(accessKeyId);
  }

  /** Forgets an access key; true when it was registered. */
  remove(accessKeyId: string): boolean {
    const n = this.st.del.run(accessKeyId).changes;
    this.forget(accessKeyId);
    return n > 0;
  }

  has(accessKeyId: string): boolean {
    return this.resolve(accessKeyId) !== undefined;
  }

  accessKeysOf(accountId: string): string[] {
    return (this.st.byAccount.all(accountId) as Array<{ id: string }>).map((r) => r.id);
  }

  pruneExpired(nowMs: number): number {
    const ids = (this.st.expired.all(nowMs) as Array<{ id: string }>).map((r) => r.id);
    for (const id of ids) this.remove(id);
    return ids.length;
  }

  /** Forgets every key, or those one service issued. */
  clear(source?: string): void {
    if (source === undefined) this.db.prepare("DELETE FROM nimbus_issued_credentials").run();
    else this.db.prepare("DELETE FROM nimbus_issued_credentials WHERE source = ?").run(source);
    this.cache.clear();
    this.issuedCache.clear();
  }

  get size(): number {
    return (this.st.count.get() as { n: number }).n;
  }

  private forget(accessKeyId: string): void {
    this.cache.delete(accessKeyId);
    this.issuedCache.delete(accessKeyId);
  }
}
