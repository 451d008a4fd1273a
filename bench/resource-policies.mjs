// CPU the resource-policy hooks add to the authorize step (in-process, exact per call):
//   - SQS SendMessage by the account root: the queue hook now runs (a queue policy can deny even
//     root); baseline: the same call with the hook removed (what it cost before queue policies).
//   - the same with a 5-statement queue policy on the queue;
//   - an SNS delivery: SendMessage as sns.amazonaws.com (onBehalfOf) against the queue policy;
//   - KMS Encrypt by root and by an IAM user through the default key policy (key lookup, grants,
//     the key-policy pre-check).
//   node bench/resource-policies.mjs [calls]

import { loadSources } from "./lib.mjs";

process.emitWarning = () => {};
const M = Number(process.argv[2] ?? 100_000);
const ACCOUNT = "123456789012";
const { createNimbus, loadModel } = await loadSources("resource-policies-bench-lib.mjs");
const nimbus = await createNimbus({ port: 0, ephemeral: true, log: "silent", iam: "enforce" });
try {
  const as = { accountId: ACCOUNT };
  const { QueueUrl: plainUrl } = await nimbus.client.call("sqs", "CreateQueue", { QueueName: "plain" }, as);
  const { QueueUrl: policyUrl } = await nimbus.client.call("sqs", "CreateQueue", { QueueName: "with-policy" }, as);
  const queueArn = `arn:aws:sqs:us-east-1:${ACCOUNT}:with-policy`;
  const statements = [
    { Sid: "sns", Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queueArn, Condition: { ArnEquals: { "aws:SourceArn": `arn:aws:sns:us-east-1:${ACCOUNT}:t` } } },
    { Sid: "s3", Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queueArn, Condition: { ArnLike: { "aws:SourceArn": "arn:aws:s3:::b-*" } } },
    { Sid: "x1", Effect: "Allow", Principal: { AWS: "111111111111" }, Action: ["sqs:SendMessage", "sqs:ReceiveMessage"], Resource: queueArn },
    { Sid: "x2", Effect: "Allow", Principal: { AWS: "222222222222" }, Action: "sqs:*", Resource: queueArn },
    { Sid: "deny", Effect: "Deny", Principal: "*", Action: "sqs:PurgeQueue", Resource: queueArn },
  ];
  await nimbus.client.call("sqs", "SetQueueAttributes", { QueueUrl: policyUrl, Attributes: { Policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) } }, as);
  const { KeyMetadata } = await nimbus.client.call("kms", "CreateKey", {}, as);
  const { User } = await nimbus.client.call("iam", "CreateUser", { UserName: "bench" }, as);
  await nimbus.client.call("iam", "PutUserPolicy", { UserName: "bench", PolicyName: "kms", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:Encrypt", Resource: KeyMetadata.Arn }] }) }, as);

  const root = { type: "root", accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, userId: ACCOUNT };
  const user = { type: "user", accountId: ACCOUNT, arn: User.Arn, userId: User.UserId };
  const sns = { type: "anonymous", accountId: "", arn: "sns.amazonaws.com", userId: "sns.amazonaws.com", service: "sns.amazonaws.com" };
  const sqs = loadModel("sqs");
  const kms = loadModel("kms");
  const info = { region: "us-east-1", protocol: "awsJson1_0", headers: { "user-agent": "bench" }, sourceIp: "127.0.0.1" };
  const behalf = { ...info, onBehalfOf: { service: "sns.amazonaws.com", sourceArn: `arn:aws:sns:us-east-1:${ACCOUNT}:t` }, accountId: ACCOUNT };
  const send = (url) => ({ QueueUrl: url, MessageBody: "x" });
  const encrypt = { KeyId: KeyMetadata.KeyId, Plaintext: Buffer.from("x") };
  const sqsDef = nimbus.services.get("sqs");
  const withoutHook = { ...sqsDef, resourcePolicy: undefined };

  const time = (fn) => {
    for (let i = 0; i < 2000; i++) fn(); // warm-up
    const t0 = process.cpuUsage();
    for (let i = 0; i < M; i++) fn();
    const d = process.cpuUsage(t0);
    return (d.user + d.system) / M;
  };
  const cases = {
    "SQS SendMessage, root, no hook (baseline)": () => {
      nimbus.services.set("sqs", withoutHook);
      const r = time(() => nimbus.authorizer.authorize(root, sqs, "SendMessage", send(plainUrl), info));
      nimbus.services.set("sqs", sqsDef);
      return r;
    },
    "SQS SendMessage, root, queue hook, no policy": () => time(() => nimbus.authorizer.authorize(root, sqs, "SendMessage", send(plainUrl), info)),
    "SQS SendMessage, root, 5-statement queue policy": () => time(() => nimbus.authorizer.authorize(root, sqs, "SendMessage", send(policyUrl), info)),
    "SQS SendMessage as sns.amazonaws.com (SNS delivery)": () => time(() => nimbus.authorizer.authorize(sns, sqs, "SendMessage", send(policyUrl), behalf)),
    "KMS Encrypt, root, default key policy": () => time(() => nimbus.authorizer.authorize(root, kms, "Encrypt", encrypt, { ...info, protocol: "awsJson1_1" })),
    "KMS Encrypt, IAM user, default key policy": () => time(() => nimbus.authorizer.authorize(user, kms, "Encrypt", encrypt, { ...info, protocol: "awsJson1_1" })),
  };
  const results = {};
  // Two rounds, alternating, keep the lower figure of each.
  for (let round = 0; round < 2; round++) for (const [name, fn] of Object.entries(cases)) results[name] = Math.min(results[name] ?? Infinity, fn());
  const base = results["SQS SendMessage, root, no hook (baseline)"];
  for (const [name, us] of Object.entries(results)) console.log(`${name.padEnd(52)} ${us.toFixed(2).padStart(7)} µs CPU/call  (${(us / base).toFixed(1)}x baseline, +${(us - base).toFixed(2)} µs)`);
} finally {
  await nimbus.close();
}
