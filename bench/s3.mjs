// S3 figures (issue 3), measured in one run against baselines running at the same time:
//   1. server CPU per 4 KiB PutObject and per 4 KiB GetObject: Nimbus (--ephemeral, and a
//      second Nimbus on a data dir that fsyncs every commit) vs a bare node:http server
//      answering Nimbus's own bytes (bench/baseline-server.mjs) vs s3rver (npm), same SDK
//      client, alternating batches so all three see the same machine noise; CPU from /proc
//      (schedstat, every thread, in ns); the ratio of totals and the median of per-round ratios,
//      and the totals from /proc/<pid>/stat (10 ms ticks) that figures before 2026-11-22 used;
//   2. ListObjectsV2 first page with Prefix out of 1,000,000 keys: server time = Nimbus's
//      latency minus the bare server's latency for the same answer bytes (medians);
//   3. 1 GiB streamed up (PutObject with a known length) and down (GetObject) through the SDK:
//      Nimbus's RSS growth, sampled from /proc.
//   npm run build && node bench/s3.mjs [requests=2000] [keys=1000000] [GiB=1]
// Environment: WARMUP (requests per server and operation before measuring, default 4000),
// S3_BENCH=cpu,list,big (sections), NIMBUS_ENTRY (another build's entry point, e.g. a private
// bundle while others rebuild dist/), NIMBUS_B_ENTRY (a second build's entry point, measured as
// a fifth server in the same rounds: B/A printed), NIMBUS_NODE_ARGS (node flags, e.g. "--cpu-prof").
// Targets: Put <= 3x bare, Get <= 2x bare; list < 20 ms; RSS growth < 64 MiB.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import Database from "better-sqlite3";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { cannedHeaders, cpuSeconds, median, rawAnswer, rssMiB, rssSampler, sleep, spawnServer } from "./lib.mjs";

process.emitWarning = () => {};
const N = Number(process.argv[2] ?? 2000);
const KEYS = Number(process.argv[3] ?? 1_000_000);
const GIB = Number(process.argv[4] ?? 1);
/** Sections to run (all by default): S3_BENCH=cpu,list,big */
const ONLY = new Set((process.env.S3_BENCH ?? "cpu,list,big").split(","));
// V8 needs a few thousand requests to optimise Nimbus's whole request path (its CPU per GetObject
// falls from ~1.8 ms over the first 500 requests to ~0.75 ms after 4,000; a bare node:http
// server settles within a few hundred): with a short warm-up the measured window is mostly
// compilation, so both servers get the same long warm-up and the figures are for warm servers.
// The warm-up's own CPU per request is printed beside them.
const WARMUP = Number(process.env.WARMUP ?? 4000);
const BATCH = 100;
const READY = /ready on (http:\/\/[^\s]+)/;
const creds = (id) => ({ accessKeyId: id, secretAccessKey: id });
/**
 * A process's CPU time in seconds, every thread's (compiler and GC threads included), from
 * /proc/<pid>/task/<tid>/schedstat in nanoseconds: /proc/<pid>/stat counts 10 ms ticks, too
 * coarse for one batch (100 bare GetObjects are ~20 ms), so per-round ratios need this.
 */
function cpuPrecise(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {} // a thread that just exited
  }
  return ns / 1e9;
}
// Three attempts: under heavy load a server can sit idle past node:http's 5 s keep-alive
// timeout (the bare server's, s3rver's) while the others run their batches, and the client's
// next request on that socket is reset (ECONNRESET); the SDK retries it on a new socket.
const client = (endpoint, id = "test") => new S3Client({ endpoint, region: "us-east-1", credentials: creds(id), forcePathStyle: true, maxAttempts: 3 });

/** NIMBUS_B_ENTRY: the second build (servers[4]) against the first (servers[0]), both ephemeral, in the same rounds. */
function printAB(name, servers, entryB) {
  const [a, bb] = [servers[0], servers[4]];
  const perRoundBA = bb.rounds.map((x, i) => x / a.rounds[i]);
  console.log(
    `${name.padEnd(10)} A/B: nimbus (NIMBUS_ENTRY, ephemeral) ${((a.cpu / N) * 1e6).toFixed(0)} µs (${(a.cpu / servers[2].cpu).toFixed(2)}x bare), ` +
      `nimbus B (${entryB}) ${((bb.cpu / N) * 1e6).toFixed(0)} µs (${(bb.cpu / servers[2].cpu).toFixed(2)}x bare); B/A ${(bb.cpu / a.cpu).toFixed(3)} (per round median ${median(perRoundBA).toFixed(3)})`,
  );
}
const stopChild = async (c) => {
  c.kill("SIGTERM");
  await new Promise((r) => c.once("exit", r));
};

const dataDir = mkdtempSync(join(tmpdir(), "nimbus-s3-bench-"));
const children = [];
try {
  // 0. The 1,000,000 keys, loaded straight into the store (bench-only): start once to create the
  // schema and the bucket, stop cleanly, insert rows in one transaction, start again.
  if (ONLY.has("list")) {
    const { child, url } = await spawnServer([process.env.NIMBUS_ENTRY ?? "bin/nimbus.js", "start", "--port", "0", "--data-dir", dataDir], READY);
    await client(url).send(new CreateBucketCommand({ Bucket: "big" }));
    await stopChild(child);
    const t0 = Date.now();
    const db = new Database(join(dataDir, "nimbus.db"));
    db.pragma("synchronous = OFF");
    const ins = db.prepare(
      `INSERT INTO s3_objects (bucket, key, blob_id, size, etag, last_modified, storage_class, headers, metadata, checksums, tags)
       VALUES ('big', ?, ?, 4096, '"0f343b0931126a20f133d67c2b018a3b"', ?, 'STANDARD', '{"ContentType":"binary/octet-stream"}', '{}', '{}', '[]')`,
    );
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < KEYS; i++) {
        // 1,000 "directories" of 1,000 keys: a Prefix page is a full 1,000-key page.
        ins.run(Buffer.from(`logs/2026/${String(i % 1000).padStart(4, "0")}/object-${String(i).padStart(8, "0")}.json`), `bench${i}`, now);
      }
    })();
    db.close();
    console.log(`loaded ${KEYS} keys into the store in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  const nodeArgs = process.env.NIMBUS_NODE_ARGS ? process.env.NIMBUS_NODE_ARGS.split(" ") : [];
  const entry = process.env.NIMBUS_ENTRY ?? "bin/nimbus.js";
  const { child: nimbus, url } = await spawnServer([...nodeArgs, entry, "start", "--port", "0", "--data-dir", dataDir], READY);
  children.push(nimbus);
  // The CPU figures' Nimbus runs --ephemeral (its data directory is removed at exit, so commits
  // skip the fsync: core/state/database.ts): that is the pipeline's own cost, which the targets
  // are about. The data-dir Nimbus above (every acknowledged write fsynced) is measured in the
  // same rounds and printed beside it: the durability floor on top.
  const { child: nimbusE, url: urlE } = ONLY.has("cpu") ? await spawnServer([...nodeArgs, entry, "start", "--port", "0", "--ephemeral"], READY) : {};
  if (nimbusE) children.push(nimbusE);
  // NIMBUS_B_ENTRY: a second ephemeral Nimbus of another build in the same rounds (an A/B in one run).
  const entryB = process.env.NIMBUS_B_ENTRY;
  const { child: nimbusB, url: urlB } = entryB && ONLY.has("cpu") ? await spawnServer([...nodeArgs, entryB, "start", "--port", "0", "--ephemeral"], READY) : {};
  if (nimbusB) children.push(nimbusB);
  const { child: s3rver, url: s3rverUrl } = await spawnServer(["bench/s3rver-server.mjs"], READY);
  children.push(s3rver);
  const s3 = client(url);
  const s3e = nimbusE ? client(urlE) : undefined;
  const rv = client(s3rverUrl, "S3RVER");
  await s3.send(new CreateBucketCommand({ Bucket: "bench" }));
  if (s3e) await s3e.send(new CreateBucketCommand({ Bucket: "bench" }));
  const s3b = nimbusB ? client(urlB) : undefined;
  if (s3b) await s3b.send(new CreateBucketCommand({ Bucket: "bench" }));

  // 1. CPU per 4 KiB PutObject / GetObject.
  const body = Buffer.alloc(4096, 7);
  await s3.send(new PutObjectCommand({ Bucket: "bench", Key: "get-me", Body: body }));
  if (s3e) await s3e.send(new PutObjectCommand({ Bucket: "bench", Key: "get-me", Body: body }));
  if (s3b) await s3b.send(new PutObjectCommand({ Bucket: "bench", Key: "get-me", Body: body }));
  await rv.send(new PutObjectCommand({ Bucket: "bench", Key: "get-me", Body: body }));
  let putSeq = 0;
  const ops = {
    PutObject: (c) => c.send(new PutObjectCommand({ Bucket: "bench", Key: `put/${putSeq++ % 1000}`, Body: body })),
    GetObject: async (c) => {
      const r = await c.send(new GetObjectCommand({ Bucket: "bench", Key: "get-me" }));
      const b = await r.Body.transformToByteArray();
      if (b.length !== 4096) throw new Error(`GetObject returned ${b.length} bytes`);
    },
  };
  const targets = { PutObject: 3, GetObject: 2 };
  const results = {};
  for (const [name, op] of Object.entries(ONLY.has("cpu") ? ops : {})) {
    const answer = await rawAnswer(client(urlE), urlE, op);
    if (answer.status !== 200) throw new Error(`${name}: Nimbus answered ${answer.status} ${answer.body}`);
    const { child: bare, url: bareUrl } = await spawnServer(["bench/baseline-server.mjs"], READY, {
      CANNED_BODY: answer.body.toString("base64"),
      CANNED_HEADERS: JSON.stringify(cannedHeaders(answer.headers)),
    });
    const bc = client(bareUrl);
    await op(bc); // the canned answer parses as the real one did
    const servers = [
      { label: "nimbus", ticks: 0, pid: nimbusE.pid, c: s3e, cpu: 0, wall: 0, warm: 0, rounds: [] },
      { label: "data dir", ticks: 0, pid: nimbus.pid, c: s3, cpu: 0, wall: 0, warm: 0, rounds: [] },
      { label: "bare", ticks: 0, pid: bare.pid, c: bc, cpu: 0, wall: 0, warm: 0, rounds: [] },
      { label: "s3rver", ticks: 0, pid: s3rver.pid, c: rv, cpu: 0, wall: 0, warm: 0, rounds: [] },
    ];
    if (nimbusB) servers.push({ label: "nimbus B", ticks: 0, pid: nimbusB.pid, c: s3b, cpu: 0, wall: 0, warm: 0, rounds: [] });
    // Warm-up, in the same alternating batches as the measurement (every server sees the same noise).
    for (let done = 0; done < WARMUP; done += BATCH) {
      for (const s of servers) {
        const c0 = cpuPrecise(s.pid);
        for (let i = 0; i < BATCH; i++) await op(s.c);
        s.warm += cpuPrecise(s.pid) - c0;
      }
    }
    for (let done = 0, round = 0; done < N; done += BATCH, round++) {
      // The order rotates each round, so no server always runs right after another's batch.
      for (let j = 0; j < servers.length; j++) {
        const s = servers[(j + round) % servers.length];
        const c0 = cpuPrecise(s.pid);
        const t0 = cpuSeconds(s.pid);
        const w0 = process.hrtime.bigint();
        for (let i = 0; i < BATCH; i++) await op(s.c);
        s.wall += Number(process.hrtime.bigint() - w0) / 1e9;
        const used = cpuPrecise(s.pid) - c0;
        s.ticks += cpuSeconds(s.pid) - t0;
        s.cpu += used;
        s.rounds.push(used);
      }
    }
    await stopChild(bare);
    if (nimbusB) printAB(name, servers, entryB);
    const [n, d, b, r] = servers.map((s) => ({ ticks: (s.ticks / N) * 1e6, cpu: (s.cpu / N) * 1e6, wall: (s.wall / N) * 1e6, warm: WARMUP ? (s.warm / WARMUP) * 1e6 : 0 }));
    // Each round's ratio (its three batches ran back to back): the median is robust to a round
    // that a burst of machine load hit unevenly.
    const rounds = (s) => s.rounds.map((x, i) => x / servers[2].rounds[i]).sort((x, y) => x - y);
    const perRound = rounds(servers[0]);
    const q = (f) => perRound[Math.min(perRound.length - 1, Math.floor(perRound.length * f))];
    results[name] = { n, d, b, r };
    console.log(
      `${name.padEnd(10)} 4 KiB: CPU/req nimbus (ephemeral) ${n.cpu.toFixed(0)} µs, bare node:http ${b.cpu.toFixed(0)} µs, s3rver ${r.cpu.toFixed(0)} µs | ` +
        `nimbus/bare ${(n.cpu / b.cpu).toFixed(2)}x (per round: median ${median(perRound).toFixed(2)}x, quartiles ${q(0.25).toFixed(2)}-${q(0.75).toFixed(2)}x; target <= ${targets[name]}x), s3rver/nimbus ${(r.cpu / n.cpu).toFixed(2)}x CPU, ` +
        `latency nimbus ${(n.wall / 1000).toFixed(2)} ms vs s3rver ${(r.wall / 1000).toFixed(2)} ms (${N} requests each after ${WARMUP} ` +
        `to warm up, which cost nimbus ${n.warm.toFixed(0)} µs, bare ${b.warm.toFixed(0)} µs, s3rver ${r.warm.toFixed(0)} µs per request); ` +
        `from /proc/<pid>/stat (10 ms ticks, as before 2026-11-22 session 5): nimbus ${n.ticks.toFixed(0)} µs, bare ${b.ticks.toFixed(0)} µs, ${(n.ticks / b.ticks).toFixed(2)}x`,
    );
    console.log(
      `${"".padEnd(10)}   with a data dir (fsync): nimbus ${d.cpu.toFixed(0)} µs, ${(d.cpu / b.cpu).toFixed(2)}x bare (per round: median ${median(rounds(servers[1])).toFixed(2)}x), ` +
        `${(d.cpu - n.cpu).toFixed(0)} µs more than ephemeral; s3rver/nimbus ${(r.cpu / d.cpu).toFixed(2)}x CPU; latency ${(d.wall / 1000).toFixed(2)} ms; warm-up ${d.warm.toFixed(0)} µs per request`,
    );
  }

  // 2. ListObjectsV2 first page with Prefix out of KEYS keys.
  if (ONLY.has("list")) {
    const prefixes = Array.from({ length: 40 }, (_, i) => `logs/2026/${String((i * 37) % 1000).padStart(4, "0")}/`);
    const list = (c, p) => c.send(new ListObjectsV2Command({ Bucket: "big", Prefix: p }));
    const first = await list(s3, prefixes[0]);
    if (first.KeyCount !== Math.min(1000, KEYS / 1000) || !first.Contents[0].Key.startsWith(prefixes[0])) throw new Error(`unexpected listing: ${first.KeyCount} keys`);
    const answer = await rawAnswer(client(url), url, (c) => list(c, prefixes[0]));
    const bodyFile = join(dataDir, "list-answer.xml");
    writeFileSync(bodyFile, answer.body);
    const { child: bare, url: bareUrl } = await spawnServer(["bench/baseline-server.mjs"], READY, {
      CANNED_BODY_FILE: bodyFile,
      CANNED_HEADERS: JSON.stringify(cannedHeaders(answer.headers)),
    });
    const bc = client(bareUrl);
    for (let i = 0; i < 20; i++) {
      await list(s3, prefixes[i % prefixes.length]);
      await list(bc, prefixes[0]);
    }
    const nt = [];
    const bt = [];
    for (let round = 0; round < 3; round++) {
      for (const p of prefixes) {
        let t = process.hrtime.bigint();
        await list(s3, p);
        nt.push(Number(process.hrtime.bigint() - t) / 1e6);
        t = process.hrtime.bigint();
        await list(bc, p);
        bt.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }
    await stopChild(bare);
    if (nimbusB) printAB(name, servers, entryB);
    const server = median(nt) - median(bt);
    console.log(
      `ListObjectsV2 Prefix page (1,000 of ${KEYS.toLocaleString("en")} keys, ${answer.body.length} bytes): latency nimbus ${median(nt).toFixed(2)} ms, ` +
        `bare ${median(bt).toFixed(2)} ms -> server time ~${server.toFixed(2)} ms (target < 20 ms; medians of ${nt.length})`,
    );
  }

  // 3. 1 GiB up and down, streamed, with Nimbus's RSS sampled.
  if (ONLY.has("big")) {
    const size = Math.round(GIB * 1024) * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 0x5a);
    const source = () =>
      Readable.from(
        (function* () {
          for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
        })(),
      );
    await sleep(500);
    const before = rssMiB(nimbus.pid);
    let sampler = rssSampler(nimbus.pid);
    let t = Date.now();
    await s3.send(new PutObjectCommand({ Bucket: "bench", Key: "big-object", Body: source(), ContentLength: size }));
    const upPeak = sampler.stop();
    const upS = (Date.now() - t) / 1000;
    sampler = rssSampler(nimbus.pid);
    t = Date.now();
    const r = await s3.send(new GetObjectCommand({ Bucket: "bench", Key: "big-object" }));
    let got = 0;
    for await (const c of r.Body) got += c.length;
    const downPeak = sampler.stop();
    const downS = (Date.now() - t) / 1000;
    if (got !== size) throw new Error(`downloaded ${got} of ${size} bytes`);
    console.log(
      `${GIB} GiB PutObject (streamed, known length) ${upS.toFixed(1)} s, GetObject ${downS.toFixed(1)} s: nimbus RSS ${before.toFixed(0)} MiB before, ` +
        `growth ${(upPeak - before).toFixed(1)} MiB up, ${(downPeak - before).toFixed(1)} MiB down (target < 64 MiB)`,
    );
  }
} finally {
  for (const c of children) if (c.exitCode === null) await stopChild(c);
  rmSync(dataDir, { recursive: true, force: true });
}
