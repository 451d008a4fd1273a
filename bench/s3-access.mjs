// What S3's access decision costs: server CPU per 4 KiB GetObject, in the same run, for
//   - the owner, bucket without a policy (the common case: one bucket-document read),
//   - the owner, bucket with a 10-statement policy (compiled once, evaluated per request),
//   - an anonymous GET of a public object (policy Principal "*", Block Public Access off),
// each against a bare node:http server answering the same bytes (bench/baseline-server.mjs).
//   npm run build && node bench/s3-access.mjs [requests]
import { request } from "node:http";
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, PutBucketPolicyCommand, DeletePublicAccessBlockCommand } from "@aws-sdk/client-s3";
import { cpuSeconds, spawnServer } from "./lib.mjs";

process.emitWarning = () => {};
const N = Number(process.argv[2] ?? 2000);
const WARMUP = 200;
const BATCH = 100;
const base = { region: "us-east-1", credentials: { accessKeyId: "111122223333", secretAccessKey: "test" }, maxAttempts: 1, forcePathStyle: true };
const BODY = Buffer.alloc(4096, 120);

const { child: nimbus, url } = await spawnServer(["bin/nimbus.js", "start", "--port", "0", "--ephemeral"], /ready on (http:\/\/[^\s]+)/);

function get(target, path) {
  const u = new URL(target);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, agent: keepAlive }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}
import { Agent } from "node:http";
const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });

async function measure(label, nimbusOp, bareOp) {
  for (let i = 0; i < WARMUP; i++) {
    await nimbusOp();
    await bareOp();
  }
  let n = 0;
  let b = 0;
  for (let done = 0; done < N; done += BATCH) {
    let c0 = cpuSeconds(nimbus.pid);
    for (let i = 0; i < BATCH; i++) await nimbusOp();
    n += cpuSeconds(nimbus.pid) - c0;
    c0 = cpuSeconds(bare.pid);
    for (let i = 0; i < BATCH; i++) await bareOp();
    b += cpuSeconds(bare.pid) - c0;
  }
  console.log(`${label.padEnd(36)} nimbus ${((n / N) * 1e6).toFixed(0).padStart(4)} µs CPU/req, bare node:http ${((b / N) * 1e6).toFixed(0).padStart(4)} µs, ratio ${(n / b).toFixed(2)}x  (${N} requests)`);
}

let bare;
try {
  const s3 = new S3Client({ ...base, endpoint: url });
  await s3.send(new CreateBucketCommand({ Bucket: "plain" }));
  await s3.send(new CreateBucketCommand({ Bucket: "policied" }));
  await s3.send(new CreateBucketCommand({ Bucket: "public" }));
  for (const Bucket of ["plain", "policied", "public"]) await s3.send(new PutObjectCommand({ Bucket, Key: "obj", Body: BODY }));
  const deny = (i) => ({ Sid: `D${i}`, Effect: "Deny", Principal: { AWS: `arn:aws:iam::99998888777${i % 10}:root` }, Action: "s3:*", Resource: ["arn:aws:s3:::policied", "arn:aws:s3:::policied/*"] });
  await s3.send(new PutBucketPolicyCommand({ Bucket: "policied", Policy: JSON.stringify({ Version: "2012-10-17", Statement: Array.from({ length: 10 }, (_, i) => deny(i)) }) }));
  await s3.send(new DeletePublicAccessBlockCommand({ Bucket: "public" }));
  await s3.send(new PutBucketPolicyCommand({ Bucket: "public", Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::public/*" }] }) }));
  const anon = await get(url, "/public/obj");
  if (anon.status !== 200 || anon.body.length !== BODY.length) throw new Error(`anonymous GET answered ${anon.status}`);

  const spawned = await spawnServer(["bench/baseline-server.mjs"], /ready on (http:\/\/[^\s]+)/, { CANNED_BODY: BODY.toString("base64"), CANNED_HEADERS: JSON.stringify({ "content-type": "binary/octet-stream" }) });
  bare = spawned.child;
  const bareS3 = new S3Client({ ...base, endpoint: spawned.url });
  const sdkGet = (c, Bucket) => async () => {
    const r = await c.send(new GetObjectCommand({ Bucket, Key: "obj" }));
    await r.Body.transformToByteArray();
  };
  await measure("owner GetObject, no policy", sdkGet(s3, "plain"), sdkGet(bareS3, "plain"));
  await measure("owner GetObject, 10-statement policy", sdkGet(s3, "policied"), sdkGet(bareS3, "policied"));
  await measure("anonymous GET, public policy", () => get(url, "/public/obj"), () => get(spawned.url, "/public/obj"));
} finally {
  bare?.kill();
  nimbus.kill("SIGTERM");
}
