// Start to first successful request, and idle RSS, for `nimbus start` against a bare
// node:http server started the same way in the same run.
//   npm run build && node bench/startup.mjs [runs]
// Targets (issue 2): start to first success <= 150 ms; idle RSS <= 70 MiB.
//
// Two conditions, when the environment sets NODE_EXTRA_CA_CERTS (this VM does): node reads and
// parses that CA bundle before running any JavaScript (~110 ms here, `node -e 0` 160 ms against
// 50 ms without it), in every node process, Nimbus or not. So the figure is printed with the
// machine's environment, and with the variable removed for BOTH servers, which is what Nimbus
// itself costs on a machine without it. Server CPU until the first answer (all threads, from
// /proc/<pid>/task/*/schedstat) is printed too: unlike wall time it barely moves when other
// processes load the machine.
import { readFileSync, readdirSync } from "node:fs";
import { median, rssMiB, sleep, spawnServer } from "./lib.mjs";

process.emitWarning = () => {};
const runs = Number(process.argv[2] ?? 7);

/** CPU time of every thread of a process so far, ms. */
function cpuMs(pid) {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
    } catch {}
  }
  return ns / 1e6;
}

async function timeToFirst(args, env, firstRequest) {
  const { child, url, t0 } = await spawnServer(args, /ready on (http:\/\/[^\s]+)/, env);
  for (;;) {
    try {
      await firstRequest(url);
      break;
    } catch {
      await sleep(2);
    }
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = cpuMs(child.pid);
  await sleep(1000);
  const rss = rssMiB(child.pid);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  return { ms, cpu, rss };
}

/** An STS GetCallerIdentity as the aws CLI sends it (an access key Nimbus did not issue), through fetch like the baseline's request. */
async function getCallerIdentity(url) {
  const date = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      "x-amz-date": date,
      authorization: `AWS4-HMAC-SHA256 Credential=test/${date.slice(0, 8)}/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${"0".repeat(64)}`,
    },
    body: "Action=GetCallerIdentity&Version=2011-06-15",
  });
  const text = await res.text();
  if (res.status !== 200 || !text.includes("<Account>000000000000</Account>")) throw new Error(`unexpected answer ${res.status}`);
}

const conditions = [["the machine's environment", {}]];
if (process.env.NODE_EXTRA_CA_CERTS) {
  conditions[0][0] = `the machine's environment (NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS})`;
  conditions.push(["NODE_EXTRA_CA_CERTS removed for both servers", { NODE_EXTRA_CA_CERTS: undefined }]);
}

await fetch("data:,warm"); // the client's fetch is loaded before the first timed start
console.log(`runs: ${runs} per condition (medians)`);
for (const [label, env] of conditions) {
  const nimbus = [];
  const bare = [];
  for (let i = 0; i < runs; i++) {
    bare.push(await timeToFirst(["bench/baseline-server.mjs"], env, (url) => fetch(url).then((r) => r.arrayBuffer())));
    nimbus.push(await timeToFirst(["bin/nimbus.js", "start", "--port", "0", "--ephemeral"], env, getCallerIdentity));
  }
  const m = (rows, k) => median(rows.map((r) => r[k]));
  const [nMs, bMs, nCpu, bCpu, nRss, bRss] = [m(nimbus, "ms"), m(bare, "ms"), m(nimbus, "cpu"), m(bare, "cpu"), m(nimbus, "rss"), m(bare, "rss")];
  console.log(`${label}:`);
  console.log(`  start -> first success: nimbus ${nMs.toFixed(0)} ms, bare node:http ${bMs.toFixed(0)} ms, ratio ${(nMs / bMs).toFixed(2)}x   (target <= 150 ms)`);
  console.log(`  server CPU until then:  nimbus ${nCpu.toFixed(0)} ms, bare node:http ${bCpu.toFixed(0)} ms, difference ${(nCpu - bCpu).toFixed(0)} ms`);
  console.log(`  idle RSS:               nimbus ${nRss.toFixed(1)} MiB, bare node:http ${bRss.toFixed(1)} MiB, ratio ${(nRss / bRss).toFixed(2)}x   (target <= 70 MiB)`);
}
