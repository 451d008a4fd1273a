// Start to first successful request, and idle RSS, for `nimbus start` against a bare
// node:http server started the same way in the same run.
//   node bench/startup.mjs [runs]
// Targets (issue 2): start to first success <= 150 ms; idle RSS <= 70 MiB.
import { median, rssMiB, sleep, spawnServer } from "./lib.mjs";

process.emitWarning = () => {};
const runs = Number(process.argv[2] ?? 7);

async function timeToFirst(args, pattern, firstRequest) {
  const { child, url, t0 } = await spawnServer(args, pattern);
  for (;;) {
    try {
      await firstRequest(url);
      break;
    } catch {
      await sleep(2);
    }
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await sleep(1000);
  const rss = rssMiB(child.pid);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  return { ms, rss };
}

const nimbus = [];
const bare = [];
for (let i = 0; i < runs; i++) {
  bare.push(await timeToFirst(["bench/baseline-server.mjs"], /ready on (http:\/\/[^\s]+)/, (url) => fetch(url).then((r) => r.arrayBuffer())));
  nimbus.push(
    await timeToFirst(["bin/nimbus.js", "start", "--port", "0", "--ephemeral"], /ready on (http:\/\/[^\s]+)/, async (url) => {
      // The same client (fetch) as the baseline, so only the server differs: an STS
      // GetCallerIdentity as the aws CLI sends it (an access key Nimbus did not issue).
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
    }),
  );
}
const nMs = median(nimbus.map((r) => r.ms));
const bMs = median(bare.map((r) => r.ms));
const nRss = median(nimbus.map((r) => r.rss));
const bRss = median(bare.map((r) => r.rss));
console.log(`runs: ${runs} (medians)`);
console.log(`start -> first success: nimbus ${nMs.toFixed(0)} ms, bare node:http ${bMs.toFixed(0)} ms, ratio ${(nMs / bMs).toFixed(2)}x   (target <= 150 ms)`);
console.log(`idle RSS:               nimbus ${nRss.toFixed(1)} MiB, bare node:http ${bRss.toFixed(1)} MiB, ratio ${(nRss / bRss).toFixed(2)}x   (target <= 70 MiB)`);
