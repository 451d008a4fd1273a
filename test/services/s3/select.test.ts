// S3 Select (SelectObjectContent) through the SDK's event-stream parser: CSV and JSON input,
// gzip and bzip2, the SQL dialect, CSV/JSON output, ScanRange, Stats/Progress/End, errors.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client, SelectObjectContentCommand, type SelectObjectContentCommandInput } from "@aws-sdk/client-s3";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { err } from "./access-helpers.js";

const TITANIC = readFileSync(join(__dirname, "../../../../shared/data/titanic.csv"));

let n: TestNimbus;
let s3: S3Client;
const owner = freshAccount();
const bucket = "select-tests";
beforeAll(async () => {
  n = await startNimbus();
  s3 = new S3Client(sdkConfig(n.endpoint, { accountId: owner }));
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "titanic.csv", Body: TITANIC }));
});
afterAll(async () => {
  await n?.stop();
});

interface Result {
  records: string;
  stats?: { BytesScanned?: number; BytesProcessed?: number; BytesReturned?: number };
  progress: number;
  ended: boolean;
}

async function select(key: string, expression: string, opts: Partial<SelectObjectContentCommandInput> = {}, client: S3Client = s3): Promise<Result> {
  const out = await client.send(
    new SelectObjectContentCommand({
      Bucket: bucket,
      Key: key,
      Expression: expression,
      ExpressionType: "SQL",
      InputSerialization: { CSV: { FileHeaderInfo: "USE" } },
      OutputSerialization: { CSV: {} },
      ...opts,
    }),
  );
  const r: Result = { records: "", progress: 0, ended: false };
  for await (const ev of out.Payload!) {
    if (ev.Records?.Payload) r.records += Buffer.from(ev.Records.Payload).toString("utf8");
    if (ev.Stats) r.stats = ev.Stats.Details;
    if (ev.Progress) r.progress++;
    if (ev.End) r.ended = true;
  }
  return r;
}

/** The titanic rows parsed directly (RFC 4180 quoting), to compute expected answers independently. */
function titanicRows(): Array<Record<string, string>> {
  const lines = TITANIC.toString("utf8").trim().split("\n");
  const split = (l: string): string[] => {
    const out: string[] = [];
    let cur = "";
    let q = false;
    for (let i = 0; i < l.length; i++) {
      const c = l[i];
      if (q) {
        if (c === '"' && l[i + 1] === '"') (cur += '"'), i++;
        else if (c === '"') q = false;
        else cur += c;
      } else if (c === '"') q = true;
      else if (c === ",") out.push(cur), (cur = "");
      else cur += c;
    }
    out.push(cur.replace(/\r$/, ""));
    return out;
  };
  const header = split(lines[0]);
  return lines.slice(1).map((l) => Object.fromEntries(split(l).map((v, i) => [header[i], v])));
}

describe("S3 Select over titanic.csv", () => {
  it("returns the average fare by class exactly as computed directly", async () => {
    const rows = titanicRows();
    expect(rows).toHaveLength(891);
    for (const cls of ["1", "2", "3"]) {
      const fares = rows.filter((r) => r.Pclass === cls).map((r) => Number(r.Fare));
      let sum = 0;
      for (const f of fares) sum += f;
      const expected = sum / fares.length;
      const r = await select("titanic.csv", `SELECT AVG(CAST(s.Fare AS FLOAT)) AS avg_fare, COUNT(*) AS n FROM S3Object s WHERE s.Pclass = '${cls}'`, {
        OutputSerialization: { JSON: {} },
      });
      expect(JSON.parse(r.records)).toEqual({ avg_fare: expected, n: fares.length });
      expect(r.ended).toBe(true);
      expect(r.stats).toEqual({ BytesScanned: TITANIC.length, BytesProcessed: TITANIC.length, BytesReturned: Buffer.byteLength(r.records) });
    }
  });

  it("projects with aliases, positions and quoted names, filters with LIKE / IN / BETWEEN / IS, limits", async () => {
    const rows = titanicRows();
    const r = await select(
      "titanic.csv",
      `SELECT s.PassengerId AS id, UPPER(s."Name") AS name, s._5, CAST(s.Age AS INT) + 1 AS next_age FROM S3Object s
       WHERE s.Sex = 'female' AND s.Name LIKE '%Mrs.%' AND s.Pclass IN ('1', '2') AND s.Age <> '' AND CAST(s.Age AS FLOAT) BETWEEN 30 AND 40 LIMIT 3`,
      { OutputSerialization: { JSON: {} } },
    );
    const expected = rows
      .filter((x) => x.Sex === "female" && x.Name.includes("Mrs.") && ["1", "2"].includes(x.Pclass) && x.Age !== "" && Number(x.Age) >= 30 && Number(x.Age) <= 40)
      .slice(0, 3)
      .map((x) => ({ id: x.PassengerId, name: x.Name.toUpperCase(), _5: x.Sex, next_age: Math.trunc(Number(x.Age)) + 1 }));
    expect(r.records.trim().split("\n").map((l) => JSON.parse(l))).toEqual(expected);

    // CSV output quotes as needed (names contain commas) or always.
    const csv = await select("titanic.csv", "SELECT s.Name, s.Pclass FROM S3Object s LIMIT 2");
    expect(csv.records).toBe('"Braund, Mr. Owen Harris",3\n"Cumings, Mrs. John Bradley (Florence Briggs Thayer)",1\n');
    const always = await select("titanic.csv", "SELECT s.Pclass, s.Sex FROM S3Object s LIMIT 1", { OutputSerialization: { CSV: { QuoteFields: "ALWAYS", FieldDelimiter: ";", RecordDelimiter: "|" } } });
    expect(always.records).toBe('"3";"male"|');

    // IS NULL / missing values, COUNT of an expression, MIN/MAX, SUM.
    const counts = await select("titanic.csv", "SELECT COUNT(*), COUNT(NULLIF(s.Age, '')), MIN(CAST(s.Fare AS FLOAT)), MAX(CAST(s.Fare AS FLOAT)), SUM(CAST(s.Survived AS INT)) FROM S3Object s");
    const fares = rows.map((x) => Number(x.Fare));
    expect(counts.records).toBe(`891,${rows.filter((x) => x.Age !== "").length},${Math.min(...fares)},${Math.max(...fares)},${rows.filter((x) => x.Survived === "1").length}\n`);
  });

  it("reads the header as data with NONE, skips it with IGNORE, and SELECT * keeps records as read", async () => {
    const none = await select("titanic.csv", "SELECT s._1, s._10 FROM S3Object s LIMIT 2", { InputSerialization: { CSV: { FileHeaderInfo: "NONE" } } });
    expect(none.records).toBe("PassengerId,Fare\n1,7.25\n");
    const ignore = await select("titanic.csv", "SELECT * FROM S3Object LIMIT 1", { InputSerialization: { CSV: { FileHeaderInfo: "IGNORE" } } });
    expect(ignore.records).toBe('1,0,3,"Braund, Mr. Owen Harris",male,22,1,0,A/5 21171,7.25,,S\n');
    const json = await select("titanic.csv", "SELECT * FROM S3Object s LIMIT 1", { OutputSerialization: { JSON: {} } });
    expect(JSON.parse(json.records)).toMatchObject({ PassengerId: "1", Name: "Braund, Mr. Owen Harris", Cabin: "" });
  });
});

describe("S3 Select SELECT * output", () => {
  // Records written back exactly as read go out as copied stretches of the input (readers.ts,
  // feedRuns); every other record is parsed and written ASNEEDED. Both must give the same text
  // as writing every record field by field, across every chunk boundary of a large object.
  const block = '1,plain,x\n2,"needs, quotes",y\n3,"needless",z\n4,"say ""hi""",w\n\n5,a"b,v\n6,trail,\n7,"x,y",\n8,crlf\r\n9,"",e\n';
  const written = '1,plain,x\n2,"needs, quotes",y\n3,needless,z\n4,"say ""hi""",w\n5,"a""b",v\n6,trail,\n7,"x,y",\n8,crlf\n9,,e\n';

  it("writes every record as S3's CSV writer does, whichever records are copied", async () => {
    const repeats = 4000;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "star.csv", Body: "id,name,note\n" + block.repeat(repeats) }));
    const all = await select("star.csv", "SELECT * FROM S3Object s");
    expect(all.records.length).toBe(written.length * repeats);
    expect(all.records === written.repeat(repeats)).toBe(true);
    // The same records through the record-by-record path (a WHERE keeps every one).
    const filtered = await select("star.csv", "SELECT * FROM S3Object s WHERE s.id <> ''");
    expect(filtered.records === written.repeat(repeats)).toBe(true);
    // QuoteFields ALWAYS never copies.
    const always = await select("star.csv", "SELECT * FROM S3Object s LIMIT 2", { OutputSerialization: { CSV: { QuoteFields: "ALWAYS" } } });
    expect(always.records).toBe('"1","plain","x"\n"2","needs, quotes","y"\n');
  });
});

describe("S3 Select input formats", () => {
  it("reads gzip and bzip2 input", async () => {
    const text = "a,b\n1,x\n2,y\n3,z\n";
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "t.csv.gz", Body: gzipSync(text) }));
    const gz = await select("t.csv.gz", "SELECT SUM(CAST(a AS INT)) FROM S3Object", { InputSerialization: { CSV: { FileHeaderInfo: "USE" }, CompressionType: "GZIP" } });
    expect(gz.records).toBe("6\n");
    // bzip2 from the system's bzip2 (what users upload): a multi-block file exercises block boundaries.
    const big = Array.from({ length: 60_000 }, (_, i) => `${i},${(i * 7919) % 1000},name${i % 97}`).join("\n") + "\n";
    const bz = spawnSync("bzip2", ["-1", "-c"], { input: big });
    expect(bz.status).toBe(0);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "big.csv.bz2", Body: bz.stdout }));
    const r = await select("big.csv.bz2", "SELECT COUNT(*), SUM(CAST(s._2 AS INT)) FROM S3Object s WHERE s._3 = 'name5'", { InputSerialization: { CSV: {}, CompressionType: "BZIP2" } });
    const rows = big.trim().split("\n").map((l) => l.split(","));
    const match = rows.filter((x) => x[2] === "name5");
    expect(r.records).toBe(`${match.length},${match.reduce((a, x) => a + Number(x[1]), 0)}\n`);
    expect(r.stats?.BytesProcessed).toBe(Buffer.byteLength(big));
    expect(r.stats?.BytesScanned).toBe(bz.stdout.length);
  });

  it("reads JSON LINES and DOCUMENT input with nested paths", async () => {
    const lines = ['{"name":"a","n":1,"tags":["x","y"],"o":{"k":"v1"}}', '{"name":"b","n":2,"o":{"k":"v2"}}', '{"name":"c","n":3}'].join("\n");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "d.jsonl", Body: lines }));
    const r = await select("d.jsonl", "SELECT s.name, s.o.k AS k, s.tags[1] AS t FROM S3Object s WHERE s.n >= 2 OR s.tags IS NOT MISSING", {
      InputSerialization: { JSON: { Type: "LINES" } },
      OutputSerialization: { JSON: {} },
    });
    expect(r.records).toBe('{"name":"a","k":"v1","t":"y"}\n{"name":"b","k":"v2"}\n{"name":"c"}\n');
    const doc = JSON.stringify({ items: [{ v: 1 }, { v: 2 }] }, null, 2) + "\n" + JSON.stringify({ items: [{ v: 5 }] }, null, 2);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "d.json", Body: doc }));
    const d = await select("d.json", "SELECT s.items[0].v FROM S3Object s", { InputSerialization: { JSON: { Type: "DOCUMENT" } }, OutputSerialization: { CSV: {} } });
    expect(d.records).toBe("1\n5\n");
  });

  it("honours CSV options: delimiters, quote and escape characters, comments, quoted record delimiters", async () => {
    const text = "# a comment\r\nid|text\r\n1|'it''s'\r\n2|'two\r\nlines'\r\n#skipped|x\r\n3|plain\r\n";
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "opts.csv", Body: text }));
    const input = { CSV: { FileHeaderInfo: "USE" as const, FieldDelimiter: "|", RecordDelimiter: "\r\n", QuoteCharacter: "'", QuoteEscapeCharacter: "'", Comments: "#", AllowQuotedRecordDelimiter: true } };
    const r = await select("opts.csv", "SELECT s.id, s.text FROM S3Object s", { InputSerialization: input, OutputSerialization: { JSON: {} } });
    expect(r.records).toBe('{"id":"1","text":"it\'s"}\n{"id":"2","text":"two\\r\\nlines"}\n{"id":"3","text":"plain"}\n');
  });

  it("scans only the records that start in ScanRange and reports Progress when asked", async () => {
    const text = "0,aaaa\n1,bbbb\n2,cccc\n3,dddd\n"; // records start at 0, 7, 14, 21
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "range.csv", Body: text }));
    const opts = { InputSerialization: { CSV: { FileHeaderInfo: "NONE" as const } } };
    expect((await select("range.csv", "SELECT s._1 FROM S3Object s", { ...opts, ScanRange: { Start: 7, End: 14 } })).records).toBe("1\n2\n");
    expect((await select("range.csv", "SELECT s._1 FROM S3Object s", { ...opts, ScanRange: { Start: 8, End: 15 } })).records).toBe("2\n");
    expect((await select("range.csv", "SELECT s._1 FROM S3Object s", { ...opts, ScanRange: { Start: 0, End: 0 } })).records).toBe("0\n");
    const p = await select("range.csv", "SELECT s._1 FROM S3Object s", { ...opts, RequestProgress: { Enabled: true } });
    expect(p.progress).toBeGreaterThan(0);
    expect(p.records).toBe("0\n1\n2\n3\n");
  });

  it("evaluates string, date and conditional functions", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "f.csv", Body: "s,t\n  Hello World  ,2021-03-04T05:06:07Z\n" }));
    const r = await select(
      "f.csv",
      `SELECT TRIM(s.s) AS a, LOWER(TRIM(LEADING FROM s.s)) AS b, SUBSTRING(TRIM(s.s), 1, 5) AS c, SUBSTRING(TRIM(s.s) FROM 7) AS d, CHAR_LENGTH(s.s) AS e,
         EXTRACT(YEAR FROM TO_TIMESTAMP(s.t)) AS y, DATE_ADD(day, 30, TO_TIMESTAMP(s.t)) AS f, DATE_DIFF(month, TO_TIMESTAMP('2020-01-01T'), TO_TIMESTAMP(s.t)) AS g,
         COALESCE(NULL, 'z') AS h, CASE WHEN CHAR_LENGTH(s.s) > 5 THEN 'long' ELSE 'short' END AS i, 7 % 4 * 2 - 1 AS j, 'x' || 'y' AS k
       FROM S3Object s`,
      { OutputSerialization: { JSON: {} } },
    );
    expect(JSON.parse(r.records)).toEqual({
      a: "Hello World",
      b: "hello world  ",
      c: "Hello",
      d: "World",
      e: 15,
      y: 2021,
      f: "2021-04-03T05:06:07.000Z",
      g: 14,
      h: "z",
      i: "long",
      j: 5,
      k: "xy",
    });
  });
});

describe("S3 Select errors", () => {
  it("answers bad SQL with S3's parse error codes before streaming", async () => {
    expect(await err(select("titanic.csv", "SELECT FROM S3Object"))).toMatchObject({ name: "ParseUnexpectedToken", status: 400 });
    expect(await err(select("titanic.csv", "SELECT s.Name FROM S3Object s WHERE"))).toMatchObject({ name: "ParseExpectedExpression", status: 400 });
    expect(await err(select("titanic.csv", "SELECT *, s.Name FROM S3Object s"))).toMatchObject({ name: "ParseAsteriskIsNotAloneInSelectList", status: 400 });
    expect(await err(select("titanic.csv", "SELECT s.Name FROM Elsewhere s"))).toMatchObject({ name: "ParseInvalidPathComponent" });
    expect(await err(select("titanic.csv", "SELECT CAST(s.Name AS BLOB) FROM S3Object s"))).toMatchObject({ name: "ParseInvalidTypeParam" });
    expect(await err(select("titanic.csv", "SELECT s.Name FROM S3Object s", { ExpressionType: "XPATH" as "SQL" }))).toMatchObject({ name: "InvalidExpressionType" });
    expect(await err(select("missing.csv", "SELECT * FROM S3Object"))).toMatchObject({ name: "NoSuchKey", status: 404 });
  });

  it("ends the stream with an error event when a record fails to evaluate", async () => {
    // Names cannot be cast to INT: the first record already fails, after the response began.
    const e = await err(select("titanic.csv", "SELECT CAST(s.Name AS INT) FROM S3Object s"));
    expect(e.name).toBe("CastFailed");
  });
});

describe("S3 Select access", () => {
  it("lets another account select where the bucket policy grants it s3:GetObject", async () => {
    const other = freshAccount();
    const theirs = new S3Client(sdkConfig(n.endpoint, { accountId: other }));
    expect(await err(select("titanic.csv", "SELECT COUNT(*) FROM S3Object", {}, theirs))).toMatchObject({ name: "AccessDenied", status: 403 });
    const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${other}:root` }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/titanic.csv` }] };
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
    expect((await select("titanic.csv", "SELECT COUNT(*) FROM S3Object", {}, theirs)).records).toBe("891\n");
    expect(await err(select("f.csv", "SELECT COUNT(*) FROM S3Object", {}, theirs))).toMatchObject({ name: "AccessDenied" });
  });
});
