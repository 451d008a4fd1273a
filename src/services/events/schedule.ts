// Scheduled rules: ScheduleExpression `rate(value unit)` and `cron(min hour dom month dow year)`
// (UTC, as EventBridge rules are), and the worker that fires them on the Nimbus clock. Each
// scheduled rule has a row in events_schedules with its next firing time; the worker wakes when
// Nimbus time is advanced, after PutRule, and on a timer, and for each due rule:
//   1. loads the rule (gone or disabled: the row is dropped or just moved on);
//   2. builds the "Scheduled Event" AWS sends (source aws.events, the rule's ARN in resources,
//      time = the scheduled minute) once per occurrence that became due, at most
//      MAX_CATCH_UP occurrences per pass (a clock advanced by 30 days does not fire a
//      one-minute rate 43,200 times);
//   3. queues a delivery per target in one transaction with the row's next time.
import { randomUUID } from "node:crypto";
import { workerPerDatabase } from "../../core/clock/background-worker.js";
import { inTransaction, type Db } from "../../core/state/database.js";
import type { ServiceRuntime } from "../../core/service.js";
import { queueForRule } from "./delivery.js";
import { statements, storeOf, validationError, type RuleDoc } from "./store.js";

const MAX_CATCH_UP = 100;
const MAX_SLEEP_MS = 30_000;

export type Schedule = { kind: "rate"; ms: number } | { kind: "cron"; fields: CronFields };

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  /** Days of month; "L" = last day. */
  dom: Set<number> | "any" | "L";
  months: Set<number>;
  /** Days of week 0 (SUN) - 6. */
  dow: Set<number> | "any";
  years: Set<number> | "any";
}

function invalidSchedule(): never {
  throw validationError("Parameter ScheduleExpression is not valid.");
}

/** Parses a ScheduleExpression; ValidationException when it is not one AWS accepts. */
export function parseSchedule(expr: string): Schedule {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expr);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2];
    // AWS: the singular unit for 1, the plural otherwise.
    if (n === 0 || (n === 1) !== !unit.endsWith("s")) invalidSchedule();
    const per = unit.startsWith("minute") ? 60_000 : unit.startsWith("hour") ? 3_600_000 : 86_400_000;
    return { kind: "rate", ms: n * per };
  }
  const cron = /^cron\((.+)\)$/.exec(expr);
  if (!cron) invalidSchedule();
  const parts = cron[1].trim().split(/\s+/);
  if (parts.length !== 6) invalidSchedule();
  const [mi, h, dom, mo, dow, y] = parts;
  // One of day-of-month and day-of-week must be "?".
  if ((dom === "?") === (dow === "?")) invalidSchedule();
  return {
    kind: "cron",
    fields: {
      minutes: field(mi, 0, 59),
      hours: field(h, 0, 23),
      dom: dom === "?" ? "any" : dom === "L" ? "L" : field(dom, 1, 31),
      months: field(mo, 1, 12, MONTHS),
      dow: dow === "?" ? "any" : field(dow, 1, 7, DAYS, true),
      years: y === "*" ? "any" : field(y, 1970, 2199),
    },
  };
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** One cron field: `*`, values, ranges `a-b`, lists `a,b`, steps `a/n` or `*\/n`; names for months and days. */
function field(text: string, min: number, max: number, names?: string[], dayOfWeek = false): Set<number> {
  const out = new Set<number>();
  const value = (s: string): number => {
    const i = names?.indexOf(s.toUpperCase()) ?? -1;
    const v = i >= 0 ? i + 1 : /^\d+$/.test(s) ? Number(s) : NaN;
    if (!Number.isInteger(v) || v < min || v > max) invalidSchedule();
    return v;
  };
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) invalidSchedule();
    let lo: number;
    let hi: number;
    if (range === "*") [lo, hi] = [min, max];
    else if (range.includes("-")) {
      const [a, b] = range.split("-");
      [lo, hi] = [value(a), value(b)];
      if (hi < lo) invalidSchedule();
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max;
    }
    for (let v = lo; v <= hi; v += step) out.add(dayOfWeek ? v - 1 : v);
  }
  return out;
}

/** The first firing strictly after `after` (ms). */
export function nextFiring(s: Schedule, after: number, anchor: number): number {
  if (s.kind === "rate") {
    // Occurrences at anchor + k*period.
    const k = Math.floor((after - anchor) / s.ms) + 1;
    return anchor + Math.max(1, k) * s.ms;
  }
  const f = s.fields;
  const d = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  // Minute by minute would be slow over years: skip whole days and hours that cannot match.
  for (let guard = 0; guard < 2_000_000; guard++) {
    const year = d.getUTCFullYear();
    if (year > 2199) break;
    if (f.years !== "any" && !f.years.has(year)) {
      d.setUTCFullYear(year + 1, 0, 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!f.months.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    const lastDay = new Date(Date.UTC(year, d.getUTCMonth() + 1, 0)).getUTCDate();
    const dayOk =
      (f.dom === "any" || (f.dom === "L" ? d.getUTCDate() === lastDay : f.dom.has(d.getUTCDate()))) && (f.dow === "any" || f.dow.has(d.getUTCDay()));
    if (!dayOk) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!f.hours.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!f.minutes.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return d.getTime();
  }
  return Number.MAX_SAFE_INTEGER;
}

/** Records (or drops) a rule's schedule row after PutRule / DeleteRule / state changes. */
export function scheduleRule(db: Db, rule: RuleDoc, now: number): void {
  const st = statements(db);
  if (!rule.scheduleExpression) {
    st.scheduleDelete.run(rule.arn);
    return;
  }
  const s = parseSchedule(rule.scheduleExpression);
  st.scheduleSet.run(rule.arn, rule.account, rule.region, `${rule.bus}:${rule.name}`, nextFiring(s, now, now));
}

/**
 * The worker that fires due schedules (core/clock/background-worker.ts): one pass per kick
 * (PutRule), clock advance or timer, sleeping at most MAX_SLEEP_MS of wall time.
 */
export const scheduler = workerPerDatabase<ServiceRuntime>({ name: "eventbridge scheduler", maxSleepMs: MAX_SLEEP_MS, run: fireDue });

export function kickScheduler(db: Db): void {
  scheduler.kick(db);
}

/** Fires every due occurrence; answers when the next schedule is due. */
function fireDue(rt: ServiceRuntime): number | undefined {
  const st = statements(rt.db);
  for (;;) {
    const now = rt.clock.now();
    const rows = st.scheduleDue.all(now) as Array<{ rule_arn: string; account: string; region: string; doc_id: string; next_at: number }>;
    if (rows.length === 0) break;
    for (const row of rows) {
      // 1.
      const rule = storeOf(rt.db, row.account, row.region).get<RuleDoc>("rule", row.doc_id);
      if (!rule || !rule.scheduleExpression || rule.arn !== row.rule_arn) {
        st.scheduleDelete.run(row.rule_arn);
        continue;
      }
      const s = parseSchedule(rule.scheduleExpression);
      inTransaction(rt.db, () => {
        let at = row.next_at;
        let n = 0;
        while (at <= now && n < MAX_CATCH_UP) {
          // 2. (a disabled rule's occurrences pass without events; queued events kick delivery)
          if (rule.state !== "DISABLED") queueForRule(rt.db, rule, scheduledEvent(rule, at), now);
          n++;
          at = nextFiring(s, at, row.next_at);
        }
        if (at <= now) at = nextFiring(s, now, row.next_at);
        // 3.
        st.scheduleSet.run(rule.arn, rule.account, rule.region, row.doc_id, at);
      });
    }
  }
  return (st.scheduleNext.get() as { at: number | null }).at ?? undefined;
}

/** The event a scheduled rule sends (AWS: source aws.events, detail-type "Scheduled Event", detail {}). */
export function scheduledEvent(rule: RuleDoc, at: number): Record<string, unknown> {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: rule.account,
    time: isoSeconds(at),
    region: rule.region,
    resources: [rule.arn],
    detail: {},
  };
}

/** EventBridge's time format: ISO-8601 to the second, "Z". */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
