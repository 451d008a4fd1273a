// The DynamoDB Streams API: ListStreams, DescribeStream, GetShardIterator, GetRecords.
// The records are written by the dynamodb service in the same transaction as each item change
// (src/services/dynamodb/indexes/hooks.ts); this service only reads them, from the tables the
// dynamodb service's migrations create:
//   ddb_streams (id, arn, account, region, table_name, label, view_type, key_schema,
//                created_at, disabled_at, next_seq)
//   ddb_stream_records (stream_id, seq, created_at, record)  -- record: JSON, binaries as {"$b": base64}
// Each stream has one shard. Sequence numbers are 21-digit decimals (10^20 + seq), increasing.
// Records are kept 24 hours of Nimbus time; an iterator expires 15 minutes after it was issued.
import type {
  DescribeStreamInput,
  DescribeStreamOutput,
  GetRecordsInput,
  GetRecordsOutput,
  GetShardIteratorInput,
  GetShardIteratorOutput,
  ListStreamsInput,
  ListStreamsOutput,
} from "@aws-sdk/client-dynamodb-streams";
import { createHash } from "node:crypto";
import { AwsError } from "../../../core/errors.js";
import type { RequestContext } from "../../../core/service.js";

const RETENTION_MS = 24 * 60 * 60 * 1000;
const ITERATOR_TTL_MS = 15 * 60 * 1000;
const SEQ_BASE = 10n ** 20n;
const ITERATOR_TYPES = ["TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"];

interface StreamRow {
  id: number;
  arn: string;
  account: string;
  region: string;
  table_name: string;
  label: string;
  view_type: string;
  key_schema: string;
  created_at: number;
  disabled_at: number | null;
  next_seq: number;
}

const validation = (m: string) => new AwsError("ValidationException", m);
const notFound = (m: string) => new AwsError("ResourceNotFoundException", m);

function seqString(seq: number): string {
  return (SEQ_BASE + BigInt(seq)).toString();
}

function parseSeq(s: string): number {
  if (!/^\d{21,40}$/.test(s)) throw validation(`Invalid SequenceNumber: ${s}`);
  const n = BigInt(s) - SEQ_BASE;
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw validation(`Invalid SequenceNumber: ${s}`);
  return Number(n);
}

/** A stream is visible while enabled, and for 24 hours after it was disabled. */
function visible(s: StreamRow, now: number): boolean {
  return s.disabled_at === null || s.disabled_at >= now - RETENTION_MS;
}

function shardId(s: StreamRow): string {
  const h = createHash("sha256").update(s.arn).digest("hex").slice(0, 8);
  return `shardId-${String(s.created_at).padStart(20, "0")}-${h}`;
}

function streamOf(ctx: RequestContext, arn: string | undefined): StreamRow {
  const s = ctx.db.prepare("SELECT * FROM ddb_streams WHERE arn = ? AND account = ? AND region = ?").get(arn ?? "", ctx.accountId, ctx.region) as StreamRow | undefined;
  if (!s || !visible(s, ctx.clock.now())) throw notFound(`Requested resource not found: Stream: ${arn} not found`);
  return s;
}

function checkLimit(v: number | undefined, field: string, max: number): void {
  if (v === undefined) return;
  if (v < 1) throw validation(`1 validation error detected: Value '${v}' at '${field}' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  if (v > max) throw validation(`1 validation error detected: Value '${v}' at '${field}' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
}

/** The first retained sequence number (records older than 24 h are trimmed), or undefined. */
function firstRetained(ctx: RequestContext, s: StreamRow): number | undefined {
  const r = ctx.db.prepare("SELECT MIN(seq) AS m FROM ddb_stream_records WHERE stream_id = ? AND created_at >= ?").get(s.id, ctx.clock.now() - RETENTION_MS) as { m: number | null };
  return r.m ?? undefined;
}

export function ListStreams(input: ListStreamsInput, ctx: RequestContext): ListStreamsOutput {
  checkLimit(input.Limit, "limit", 100);
  const limit = input.Limit ?? 100;
  const now = ctx.clock.now();
  let rows = ctx.db.prepare("SELECT * FROM ddb_streams WHERE account = ? AND region = ? ORDER BY arn").all(ctx.accountId, ctx.region) as StreamRow[];
  rows = rows.filter((s) => visible(s, now) && (input.TableName === undefined || s.table_name === input.TableName));
  if (input.ExclusiveStartStreamArn !== undefined) rows = rows.filter((s) => s.arn > input.ExclusiveStartStreamArn!);
  const page = rows.slice(0, limit);
  return {
    Streams: page.map((s) => ({ StreamArn: s.arn, TableName: s.table_name, StreamLabel: s.label })),
    ...(rows.length > limit ? { LastEvaluatedStreamArn: page[page.length - 1].arn } : {}),
  };
}

export function DescribeStream(input: DescribeStreamInput, ctx: RequestContext): DescribeStreamOutput {
  checkLimit(input.Limit, "limit", 100);
  const s = streamOf(ctx, input.StreamArn);
  const id = shardId(s);
  const first = firstRetained(ctx, s);
  const shards = input.ExclusiveStartShardId !== undefined && input.ExclusiveStartShardId >= id ? [] : [id];
  const closed = s.disabled_at !== null;
  return {
    StreamDescription: {
      StreamArn: s.arn,
      StreamLabel: s.label,
      StreamStatus: closed ? "DISABLED" : "ENABLED",
      StreamViewType: s.view_type as never,
      CreationRequestDateTime: new Date(s.created_at),
      TableName: s.table_name,
      KeySchema: JSON.parse(s.key_schema),
      Shards: shards.map((ShardId) => ({
        ShardId,
        SequenceNumberRange: {
          StartingSequenceNumber: seqString(first ?? s.next_seq + 1),
          ...(closed ? { EndingSequenceNumber: seqString(s.next_seq) } : {}),
        },
      })),
    },
  };
}

interface Iterator {
  /** stream arn */
  a: string;
  /** shard id */
  s: string;
  /** the last sequence number already consumed (records with seq > p come next) */
  p: number;
  /** issued at (Nimbus ms) */
  t: number;
}

function encodeIterator(it: Iterator): string {
  return Buffer.from(JSON.stringify(it)).toString("base64url");
}

function decodeIterator(text: string | undefined): Iterator {
  try {
    const it = JSON.parse(Buffer.from(text ?? "", "base64url").toString()) as Iterator;
    if (typeof it.a === "string" && typeof it.s === "string" && Number.isInteger(it.p) && Number.isInteger(it.t)) return it;
  } catch {
    // falls through to AWS's answer for a malformed iterator
  }
  throw validation("Invalid ShardIterator");
}

const trimmed = () =>
  new AwsError(
    "TrimmedDataAccessException",
    "The operation attempted to read past the oldest stream record in a shard. Records are available for 24 hours; request an iterator at TRIM_HORIZON.",
  );

export function GetShardIterator(input: GetShardIteratorInput, ctx: RequestContext): GetShardIteratorOutput {
  const type = input.ShardIteratorType as string;
  if (!ITERATOR_TYPES.includes(type)) {
    throw validation(
      `1 validation error detected: Value '${type}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]`,
    );
  }
  const s = streamOf(ctx, input.StreamArn);
  if (input.ShardId !== shardId(s)) throw notFound(`Requested resource not found: Shard does not exist`);
  const bySeq = type === "AT_SEQUENCE_NUMBER" || type === "AFTER_SEQUENCE_NUMBER";
  if (bySeq && input.SequenceNumber === undefined) throw validation(`Must provide SequenceNumber for iterator type ${type}`);
  if (!bySeq && input.SequenceNumber !== undefined) throw validation(`Must not provide SequenceNumber for iterator type ${type}`);
  const first = firstRetained(ctx, s);
  let p: number;
  if (type === "TRIM_HORIZON") p = (first ?? s.next_seq + 1) - 1;
  else if (type === "LATEST") p = s.next_seq;
  else {
    const n = parseSeq(input.SequenceNumber!);
    if (n < 1 || n > s.next_seq) throw validation(`Invalid SequenceNumber ${input.SequenceNumber} for shard ${input.ShardId}`);
    if (first === undefined || n < first) throw trimmed();
    p = type === "AT_SEQUENCE_NUMBER" ? n - 1 : n;
  }
  return { ShardIterator: encodeIterator({ a: s.arn, s: input.ShardId!, p, t: ctx.clock.now() }) };
}

/** Stored JSON back to the wire values: {"$b": base64} is a binary. */
function revive(json: string): Record<string, unknown> {
  return JSON.parse(json, (_k, v) => {
    if (v && typeof v === "object" && typeof v.$b === "string" && Object.keys(v).length === 1) return Buffer.from(v.$b, "base64");
    return v;
  }) as Record<string, unknown>;
}

export function GetRecords(input: GetRecordsInput, ctx: RequestContext): GetRecordsOutput {
  checkLimit(input.Limit, "limit", 1000);
  const it = decodeIterator(input.ShardIterator);
  const now = ctx.clock.now();
  if (now - it.t > ITERATOR_TTL_MS) {
    throw new AwsError(
      "ExpiredIteratorException",
      `Iterator expired. The iterator was created at time ${new Date(it.t).toUTCString()} while right now it is ${new Date(now).toUTCString()} which is further in the future than the tolerated delay of ${ITERATOR_TTL_MS} milliseconds.`,
    );
  }
  const s = streamOf(ctx, it.a);
  // Sequence numbers are contiguous, so a gap before the first retained record means trimmed data.
  const first = firstRetained(ctx, s);
  if ((first !== undefined && it.p + 1 < first) || (first === undefined && it.p < s.next_seq)) throw trimmed();
  const rows = ctx.db
    .prepare("SELECT seq, record FROM ddb_stream_records WHERE stream_id = ? AND seq > ? AND created_at >= ? ORDER BY seq LIMIT ?")
    .all(s.id, it.p, now - RETENTION_MS, input.Limit ?? 1000) as Array<{ seq: number; record: string }>;
  const records = rows.map((r) => {
    const rec = revive(r.record);
    const d = rec.dynamodb as Record<string, unknown>;
    d.ApproximateCreationDateTime = new Date((d.ApproximateCreationDateTime as number) * 1000);
    return rec;
  });
  const p = rows.length ? rows[rows.length - 1].seq : it.p;
  // A disabled stream's shard is closed: once everything is read there is no next iterator.
  const closed = s.disabled_at !== null && p >= s.next_seq;
  return {
    Records: records as GetRecordsOutput["Records"],
    ...(closed ? {} : { NextShardIterator: encodeIterator({ a: it.a, s: it.s, p, t: now }) }),
  };
}
