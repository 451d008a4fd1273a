// S3 Select figure (issue 5): SelectObjectContent over a ~100 MB CSV streams with the server's
// RSS growing < 64 MiB, at >= 50 MB/s. Baseline in the same run: a plain GetObject of the same
// object (what the bytes cost to read and send at all), so the ratio shows what parsing and
// evaluating the SQL adds. Server CPU from /proc.
//   npm run build && node bench/s3-select.mjs [MB=100]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client, SelectObjectContentCommand } from "@aws-sdk/client-s3";
import { cpuSeconds, rssMiB, rssSampler, sleep, spawnServer } from "./lib.mjs";

process.emitWarning = () => {};
const MB = Number(process.argv[2] ?? 100);
const READY = /ready on (http:\/\/[^\s]+)/;
const dataDir = mkdtempSync(join(tmpdir(), "nimbus-select-bench-"));
const { child, url } = await spawnServer(["bin/nimbus.js", "start", "--port", "0", "--data-dir", dataDir], READY);
const s3 = new S3Client({ endpoint: url, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, forcePathStyle: true, maxAttempts: 1 });

try {
  await s3.send(new CreateBucketCommand({ Bucket: "bench" }));
  // 1. A CSV of ~MB megabytes: a header and rows of 6 columns (quoted names with commas now and then).
  const header = "id,name,category,price,quantity,date\n";
  const rowAt = (i) => `${i},${i % 13 === 0 ? `"Item, no. ${i}"` : `item-${i}`},cat-${i % 17},${((i * 7919) % 100000) / 100},${i % 50},2026-${String((i % 12) + 1).padStart(2, "0")}-${String((i % 28) + 1).padStart(2, "0")}\n`;
  let size = header.length;
  let rows = 0;
  // Chunks of at least 64 KiB (the SDK's aws-chunked upload wants every chunk but the last >= 8 KiB).
  const chunks = function* () {
    let s = header;
    while (size < MB * 1_000_000) {
      for (let k = 0; k < 2000; k++) {
        const row = rowAt(rows++);
        s += row;
        size += row.length;
      }
      if (s.length >= 65536) {
        yield Buffer.from(s);
        s = "";
      }
    }
    if (s) yield Buffer.from(s);
  };
  // Length first (the SDK needs it for a stream), then the same bytes again.
  for (const _ of chunks()) void _;
  const total = size;
  size = header.length;
  rows = 0;
  await s3.send(new PutObjectCommand({ Bucket: "bench", Key: "data.csv", Body: Readable.from(chunks()), ContentLength: total }));
  console.log(`object: ${(total / 1e6).toFixed(1)} MB, ${rows.toLocaleString("en")} rows`);

  const measure = async (label, run) => {
    await sleep(300);
    const before = rssMiB(child.pid);
    const sampler = rssSampler(child.pid, 20);
    const c0 = cpuSeconds(child.pid);
    const t0 = process.hrtime.bigint();
    const out = await run();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const peak = sampler.stop();
    const cpu = cpuSeconds(child.pid) - c0;
    return { label, s, mbps: total / 1e6 / s, growth: peak - before, cpu, out };
  };

  // 2. Baseline: GetObject of the whole object.
  const get = await measure("GetObject", async () => {
    const r = await s3.send(new GetObjectCommand({ Bucket: "bench", Key: "data.csv" }));
    let n = 0;
    for await (const c of r.Body) n += c.length;
    if (n !== total) throw new Error(`GetObject returned ${n} of ${total} bytes`);
    return `${n} bytes`;
  });

  const select = (expression) => async () => {
    const r = await s3.send(
      new SelectObjectContentCommand({
        Bucket: "bench",
        Key: "data.csv",
        Expression: expression,
        ExpressionType: "SQL",
        InputSerialization: { CSV: { FileHeaderInfo: "USE" } },
        OutputSerialization: { CSV: {} },
      }),
    );
    let returned = 0;
    let stats;
    for await (const ev of r.Payload) {
      if (ev.Records?.Payload) returned += ev.Records.Payload.length;
      if (ev.Stats) stats = ev.Stats.Details;
    }
    if (stats?.BytesProcessed !== total) throw new Error(`Select processed ${stats?.BytesProcessed} of ${total} bytes`);
    return `${returned} bytes returned`;
  };

  // 3. Selects: a filter returning ~1% of rows, an aggregate over every row, and SELECT * (every row back).
  const runs = [
    get,
    await measure("Select WHERE (1% rows)", select("SELECT s.id, s.name, s.price FROM S3Object s WHERE CAST(s.price AS FLOAT) > 990 AND s.category = 'cat-3'")),
    await measure("Select aggregate", select("SELECT COUNT(*), AVG(CAST(s.price AS FLOAT)), MAX(CAST(s.quantity AS INT)) FROM S3Object s")),
    await measure("Select * (all rows)", select("SELECT * FROM S3Object s")),
  ];
  for (const r of runs) {
    console.log(
      `${r.label.padEnd(24)} ${r.s.toFixed(2)} s, ${r.mbps.toFixed(0)} MB/s (${(r.mbps / get.mbps).toFixed(2)}x GetObject's), server CPU ${r.cpu.toFixed(2)} s (${(total / 1e6 / r.cpu).toFixed(0)} MB per CPU-second), ` +
        `RSS growth ${r.growth.toFixed(1)} MiB (${r.out})`,
    );
  }
  const worst = runs.slice(1).reduce((a, b) => (b.mbps < a.mbps ? b : a));
  const maxGrowth = Math.max(...runs.slice(1).map((r) => r.growth));
  const cpuWorst = Math.min(...runs.slice(1).map((r) => total / 1e6 / r.cpu));
  console.log(
    `S3 Select: slowest ${worst.mbps.toFixed(0)} MB/s wall, ${cpuWorst.toFixed(0)} MB per server CPU-second (target >= 50 MB/s), max RSS growth ${maxGrowth.toFixed(1)} MiB (target < 64 MiB); ` +
      `load average ${(await import("node:os")).loadavg()[0].toFixed(1)} on ${(await import("node:os")).cpus().length} CPUs`,
  );
} finally {
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  rmSync(dataDir, { recursive: true, force: true });
}
