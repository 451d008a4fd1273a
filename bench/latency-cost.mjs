// What a microsecond of answer latency costs in server CPU on this machine. Bare node:http
// servers answer the DynamoDB PutItem the SDK sends with "{}" after spinning B µs before the
// write and A µs after it; their CPU per request is measured as bench/ab.mjs does (rotating
// batches of 50 after a warm-up, the scheduler's run time of all threads). On a VM whose idle
// vCPUs halt at once, spinning before costs more than the spin (the client has gone idle and
// the answer's write pays for waking it), spinning after about the spin or less: work moved
// out of the way of the answer is cheaper. docs/architecture.md, "latency is CPU here".
//   SPINS="0/0,10/0,0/10" [N=6000] node bench/latency-cost.mjs
import { createServer } from "node:http";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { cpuSecondsPrecise, median, spawnServer } from "./lib.mjs";

if (process.argv[2] === "--server") {
  const body = Buffer.from("{}");
  const before = BigInt(Math.round(Number(process.env.SPIN_BEFORE ?? 0) * 1000));
  const after = BigInt(Math.round(Number(process.env.SPIN_AFTER ?? 0) * 1000));
  const spin = (ns) => {
    const until = process.hrtime.bigint() + ns;
    while (process.hrtime.bigint() < until);
  };
  const server = createServer({ keepAlive: true }, (req, res) => {
    req.on("data", () => {});
    req.on("end", () => {
      if (before) spin(before);
      res.writeHead(200, { "content-type": "application/x-amz-json-1.0", "content-length": body.length });
      res.end(body);
      if (after) spin(after);
    });
  });
  server.listen(0, "127.0.0.1", () => console.log(`spin ready on http://127.0.0.1:${server.address().port}`));
} else {
  process.emitWarning = () => {};
  const specs = (process.env.SPINS ?? "0/0,10/0,0/10").split(",");
  const N = Number(process.env.N ?? 6000);
  const WARMUP = Number(process.env.WARMUP ?? 3000);
  const BATCH = 50;
  const base = { region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
  const item = (i) => ({ pk: { N: String(i % 1000) }, name: { S: `passenger ${i}` }, age: { N: "29.5" }, tags: { SS: ["a", "b"] }, info: { M: { cabin: { S: "C85" } } } });
  const put = (c, i) => c.send(new PutItemCommand({ TableName: "bench", Item: item(i) }));
  const targets = [];
  try {
    for (const spec of specs) {
      const [before, after] = spec.split("/");
      const srv = await spawnServer([new URL(import.meta.url).pathname, "--server"], /ready on (http:\/\/[^\s]+)/, { SPIN_BEFORE: before, SPIN_AFTER: after ?? "0" });
      targets.push({ name: spec, child: srv.child, client: new DynamoDBClient({ ...base, endpoint: srv.url }) });
    }
    for (let i = 0; i < WARMUP; i++) for (const t of targets) await put(t.client, i);
    const rounds = targets.map(() => []);
    for (let r = 0; r * BATCH < N; r++) {
      for (let j = 0; j < targets.length; j++) {
        const idx = (r + j) % targets.length;
        const t = targets[idx];
        const c0 = cpuSecondsPrecise(t.child.pid);
        for (let i = 0; i < BATCH; i++) await put(t.client, i);
        rounds[idx].push((cpuSecondsPrecise(t.child.pid) - c0) / BATCH);
      }
    }
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (let j = 0; j < targets.length; j++) {
      const extra = (mean(rounds[j]) - mean(rounds[0])) * 1e6;
      console.log(
        `before/after ${targets[j].name.padEnd(8)} ${(mean(rounds[j]) * 1e6).toFixed(1).padStart(6)} µs CPU/req, ${extra >= 0 ? "+" : ""}${extra.toFixed(1)} µs vs ${targets[0].name}, per-round ratio ${median(rounds[j].map((c, i) => c / rounds[0][i])).toFixed(3)}`,
      );
    }
  } finally {
    for (const t of targets) t.child.kill();
  }
}
