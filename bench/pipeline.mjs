// Server CPU per request through the whole Nimbus pipeline vs a bare node:http server that
// answers the same bytes, measured in the same run with the same SDK client. The client is
// the bottleneck for throughput, so we read the *server's* CPU time from /proc.
//   npm run build && node bench/pipeline.mjs [requests]
// Target (issue 2): Nimbus CPU/request <= 2x the bare server's, for SQS SendMessage and STS
// GetCallerIdentity.
import { request } from "node:http";
import { SQSClient, CreateQueueCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { cpuSeconds, spawnServer } from "./lib.mjs";

process.emitWarning = () => {};
const N = Number(process.argv[2] ?? 3000);
const WARMUP = 300;
const base = { region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };

const { child: nimbus, url } = await spawnServer(["bin/nimbus.js", "start", "--port", "0", "--ephemeral"], /ready on (http:\/\/[^\s]+)/);

/** Captures the HTTP request the SDK sends for `op`, replays it to Nimbus, returns Nimbus's raw answer. */
async function rawAnswer(client, op) {
  let captured;
  client.middlewareStack.add(
    (next) => async (args) => {
      captured = args.request;
      return next(args);
    },
    { step: "finalizeRequest", priority: "low", name: "captureRequest" },
  );
  await op(client);
  client.middlewareStack.remove("captureRequest");
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, method: captured.method, path: captured.path, headers: captured.headers },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on("error", reject);
    req.end(captured.body);
  });
}

async function measure(label, makeClient, op) {
  const client = makeClient(url);
  const answer = await rawAnswer(client, op);
  if (answer.status !== 200) throw new Error(`${label}: Nimbus answered ${answer.status} ${answer.body}`);
  const headers = {};
  for (const h of ["content-type", "x-amzn-requestid", "x-amzn-query-error"]) if (answer.headers[h]) headers[h] = answer.headers[h];

  const { child: bare, url: bareUrl } = await spawnServer(["bench/baseline-server.mjs"], /ready on (http:\/\/[^\s]+)/, {
    CANNED_BODY: answer.body.toString("base64"),
    CANNED_HEADERS: JSON.stringify(headers),
  });
  const bareClient = makeClient(bareUrl);
  await op(bareClient); // the canned answer must parse as the real one did
  for (let i = 0; i < WARMUP; i++) {
    await op(client);
    await op(bareClient);
  }
  // Alternate batches so that both servers see the same machine noise.
  const BATCH = 100;
  let nimbusCpu = 0;
  let bareCpu = 0;
  for (let done = 0; done < N; done += BATCH) {
    let c0 = cpuSeconds(nimbus.pid);
    for (let i = 0; i < BATCH; i++) await op(client);
    nimbusCpu += cpuSeconds(nimbus.pid) - c0;
    c0 = cpuSeconds(bare.pid);
    for (let i = 0; i < BATCH; i++) await op(bareClient);
    bareCpu += cpuSeconds(bare.pid) - c0;
  }
  nimbusCpu /= N;
  bareCpu /= N;
  bare.kill();
  console.log(
    `${label.padEnd(22)} nimbus ${(nimbusCpu * 1e6).toFixed(0).padStart(4)} µs CPU/req, bare node:http ${(bareCpu * 1e6).toFixed(0).padStart(4)} µs, ratio ${(nimbusCpu / bareCpu).toFixed(2)}x  (target <= 2x; ${answer.body.length}-byte answers, ${N} requests)`,
  );
}

try {
  const sqs = new SQSClient({ ...base, endpoint: url });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "bench" }));
  await measure("STS GetCallerIdentity", (u) => new STSClient({ ...base, endpoint: u }), (c) => c.send(new GetCallerIdentityCommand({})));
  await measure("SQS SendMessage", (u) => new SQSClient({ ...base, endpoint: u }), (c) => c.send(new SendMessageCommand({ QueueUrl, MessageBody: "hello from the benchmark" })));
} finally {
  nimbus.kill("SIGTERM");
}
