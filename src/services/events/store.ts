// EventBridge state. Buses and rules are documents of the shared store in "<account>/<region>"
// (rules keyed "<bus>:<rule>" so a bus's rules are one prefix scan; a rule's targets, at most
// five, live inside its document). Target invocations wait in the chassis outbox, written in the
// PutEvents transaction (delivery.ts); one table of our own, events_schedules, holds the next
// firing time of every scheduled rule (schedule.ts).
import { AwsError } from "../../core/errors.js";
import { outboxMigration } from "../../core/events/outbox.js";
import type { RequestContext } from "../../core/service.js";
import { DocStore } from "../../core/state/doc-store.js";
import { perDatabase, type Db, type Migration } from "../../core/state/database.js";
import { compilePattern, type CompiledPattern } from "./pattern.js";

export const migrations: readonly Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE events_deliveries (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        rule_arn    TEXT NOT NULL,
        target      TEXT NOT NULL,
        event       TEXT NOT NULL,
        payload     TEXT NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        next_at     INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        last_error  TEXT
      );
      CREATE INDEX events_deliveries_due ON events_deliveries (next_at, id);
      CREATE TABLE events_schedules (
        rule_arn    TEXT PRIMARY KEY,
        account     TEXT NOT NULL,
        region      TEXT NOT NULL,
        doc_id      TEXT NOT NULL,
        next_at     INTEGER NOT NULL
      );
      CREATE INDEX events_schedules_due ON events_schedules (next_at);
    `);
  },
  // 2. Deliveries move to the chassis outbox (nimbus_outbox, outbox 'eventbridge', one lane per
  // target ARN): rows a previous Nimbus left are carried over in order, attempts and all.
  (db) => {
    outboxMigration(db);
    db.exec(`
      INSERT INTO nimbus_outbox (outbox, lane, item, attempts, next_at, created_at, last_error)
        SELECT 'eventbridge', json_extract(target, '$.target.Arn'),
               json_object('ruleArn', rule_arn, 'target', json(target), 'event', json(event), 'payload', payload),
               attempts, next_at, created_at, last_error
        FROM events_deliveries ORDER BY id;
      DROP TABLE events_deliveries;
    `);
  },
];

export interface Tag {
  Key: string;
  Value: string;
}

export interface BusDoc {
  name: string;
  arn: string;
  description?: string;
  /** The resource policy JSON (PutPermission statements or a whole Policy). */
  policy?: string;
  kmsKeyIdentifier?: string;
  deadLetterConfig?: { Arn?: string };
  tags: Tag[];
  createdAt: number;
  modifiedAt: number;
}

export interface TargetDoc {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
  SqsParameters?: { MessageGroupId?: string };
  DeadLetterConfig?: { Arn?: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  /** Members Nimbus stores and returns but does not act on (KinesisParameters, EcsParameters...). */
  other?: Record<string, unknown>;
}

export interface RuleDoc {
  name: string;
  bus: string;
  arn: string;
  account: string;
  region: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state: "ENABLED" | "DISABLED" | "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";
  description?: string;
  roleArn?: string;
  managedBy?: string;
  tags: Tag[];
  targets: TargetDoc[];
  createdAt: number;
}

export function busArn(account: string, region: string, name: string): string {
  return `arn:aws:events:${region}:${account}:event-bus/${name}`;
}

export function ruleArn(account: string, region: string, bus: string, name: string): string {
  return bus === "default" ? `arn:aws:events:${region}:${account}:rule/${name}` : `arn:aws:events:${region}:${account}:rule/${bus}/${name}`;
}

export function storeOf(db: Db, account: string, region: string): DocStore {
  return new DocStore(db, "eventbridge", `${account}/${region}`);
}

export function ruleId(bus: string, name: string): string {
  return `${bus}:${name}`;
}

export function validationError(message: string): AwsError {
  return new AwsError("ValidationException", message);
}

export function notFound(message: string): AwsError {
  return new AwsError("ResourceNotFoundException", message);
}

/**
 * The bus an EventBusName member names (a name or an ARN; default "default"), with the account
 * and region it lives in: an ARN may name another account's bus (PutEvents, PutRule on a
 * cross-account bus is refused by the caller).
 */
export function resolveBus(ctx: { accountId: string; region: string }, nameOrArn: string | undefined): { account: string; region: string; name: string } {
  if (!nameOrArn) return { account: ctx.accountId, region: ctx.region, name: "default" };
  const m = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/.exec(nameOrArn);
  if (m) return { account: m[2], region: m[1], name: m[3] };
  if (nameOrArn.startsWith("arn:")) throw validationError(`Parameter ${nameOrArn} is not valid. Reason: Provided Arn is not in correct format.`);
  return { account: ctx.accountId, region: ctx.region, name: nameOrArn };
}

/** The default bus exists in every account and region: created on first reference. */
export function getBus(db: Db, account: string, region: string, name: string, now: number): BusDoc | undefined {
  const store = storeOf(db, account, region);
  const bus = store.get<BusDoc>("bus", name);
  if (bus || name !== "default") return bus;
  const created: BusDoc = { name, arn: busArn(account, region, name), tags: [], createdAt: now, modifiedAt: now };
  store.put("bus", name, created);
  return created;
}

/** A bus a management operation names: only the caller's own (another account's bus is AccessDeniedException). */
export function ownBusRef(ctx: RequestContext, nameOrArn: string | undefined): { account: string; region: string; name: string } {
  const b = resolveBus(ctx, nameOrArn);
  if (b.account !== ctx.accountId) {
    throw new AwsError("AccessDeniedException", `User: ${ctx.principal.arn} is not authorized to access ${busArn(b.account, b.region, b.name)}`);
  }
  return b;
}

export function requireBus(ctx: RequestContext, nameOrArn: string | undefined): BusDoc & { account: string; region: string } {
  const b = ownBusRef(ctx, nameOrArn);
  const bus = getBus(ctx.db, b.account, b.region, b.name, ctx.clock.now());
  if (!bus) throw notFound(`Event bus ${b.name} does not exist.`);
  return { ...bus, account: b.account, region: b.region };
}

export function requireRule(ctx: RequestContext, name: string, busName: string | undefined): RuleDoc {
  const b = ownBusRef(ctx, busName);
  const rule = storeOf(ctx.db, b.account, b.region).get<RuleDoc>("rule", ruleId(b.name, name));
  if (!rule) throw notFound(`Rule ${name} does not exist on EventBus ${b.name}.`);
  return rule;
}

// --- compiled rules per bus, for PutEvents -----------------------------------------------

export interface LiveRule {
  doc: RuleDoc;
  pattern: CompiledPattern;
}

/** Enabled pattern rules of each bus ("<account>/<region>/<bus>"), compiled once; dropped on every rule write. */
const compiled = perDatabase(() => new Map<string, LiveRule[]>());

export function busRules(db: Db, account: string, region: string, bus: string): LiveRule[] {
  const key = `${account}/${region}/${bus}`;
  const cache = compiled(db);
  let rules = cache.get(key);
  if (!rules) {
    rules = [];
    for (const { doc } of storeOf(db, account, region).list<RuleDoc>("rule", { prefix: `${bus}:` })) {
      if (doc.state === "DISABLED" || !doc.eventPattern) continue;
      rules.push({ doc, pattern: compilePattern(doc.eventPattern) });
    }
    cache.set(key, rules);
  }
  return rules;
}

export function invalidateRules(db: Db, account?: string, region?: string, bus?: string): void {
  if (account === undefined) compiled(db).clear();
  else compiled(db).delete(`${account}/${region}/${bus}`);
}

export function saveRule(db: Db, rule: RuleDoc): void {
  storeOf(db, rule.account, rule.region).put("rule", ruleId(rule.bus, rule.name), rule);
  invalidateRules(db, rule.account, rule.region, rule.bus);
}

export const statements = perDatabase((db: Db) => ({
  scheduleSet: db.prepare("INSERT INTO events_schedules (rule_arn, account, region, doc_id, next_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(rule_arn) DO UPDATE SET next_at = excluded.next_at, doc_id = excluded.doc_id"),
  scheduleDelete: db.prepare("DELETE FROM events_schedules WHERE rule_arn = ?"),
  scheduleDue: db.prepare("SELECT rule_arn, account, region, doc_id, next_at FROM events_schedules WHERE next_at <= ? ORDER BY next_at LIMIT 100"),
  scheduleNext: db.prepare("SELECT min(next_at) AS at FROM events_schedules"),
  resetSchedules: db.prepare("DELETE FROM events_schedules"),
}));

/** Tags as the API lists them; TagResource merges by key. */
export function mergeTags(existing: Tag[], added: Tag[] | undefined): Tag[] {
  const m = new Map(existing.map((t) => [t.Key, t.Value]));
  for (const t of added ?? []) m.set(t.Key, t.Value ?? "");
  return [...m].map(([Key, Value]) => ({ Key, Value }));
}
