// Server CPU per request for the EC2 VPC family, against a stateless EC2 call served by the
// same server in the same run (DescribeRegions: same protocol, parsing and serialization, no
// state), alternating batches, server CPU read from /proc (bench/lib.mjs):
// - DescribeVpcs of an account's default VPC (one document read per kind + the defaults check);
// - DescribeSecurityGroups with a rule filter over 50 groups of 6 rules each;
// - the first VPC-family request of a new account, which builds its default VPC (VPC, 6
//   subnets, internet gateway, main route table, default ACL, default group) in one transaction.
//   npm run build && node bench/ec2-vpc.mjs [requests]
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, DescribeRegionsCommand, DescribeSecurityGroupsCommand, DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { cpuSeconds, spawnServer } from "./lib.mjs";

process.emitWarning = () => {};
const N = Number(process.argv[2] ?? 2000);
const WARMUP = 200;
const BATCH = 100;
const base = { region: "us-east-1", maxAttempts: 1 };
let fresh = 200_000_000_000;

const server = await spawnServer(["bin/nimbus.js", "start", "--port", "0", "--ephemeral"], /ready on (http:\/\/[^\s]+)/);
try {
  const client = (account) => new EC2Client({ ...base, endpoint: server.url, credentials: { accessKeyId: account, secretAccessKey: "x" } });
  const warm = client("123456789012");
  const busy = client("123456789013");
  for (let g = 0; g < 50; g++) {
    const { GroupId } = await busy.send(new CreateSecurityGroupCommand({ GroupName: `g${g}`, Description: "bench" }));
    await busy.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId,
      IpPermissions: [0, 1, 2, 3, 4].map((i) => ({ IpProtocol: "tcp", FromPort: 1000 + g * 10 + i, ToPort: 1000 + g * 10 + i, IpRanges: [{ CidrIp: `10.${g}.${i}.0/24` }] })),
    }));
  }
  const check = await busy.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "ip-permission.from-port", Values: ["1492"] }] }));
  if (check.SecurityGroups?.[0]?.GroupName !== "g49") throw new Error("the filtered Describe did not find its group");
  const series = [
    { label: "DescribeRegions (baseline)", op: () => warm.send(new DescribeRegionsCommand({})) },
    { label: "DescribeVpcs (default VPC)", op: () => warm.send(new DescribeVpcsCommand({})) },
    { label: "DescribeSecurityGroups filter, 50 groups", op: () => busy.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "ip-permission.from-port", Values: ["1492"] }] })) },
    { label: "first request of a new account", op: () => client(String(fresh++)).send(new DescribeVpcsCommand({})) },
  ].map((s) => ({ ...s, cpu: 0 }));
  for (let i = 0; i < WARMUP; i++) for (const s of series) await s.op();
  for (let done = 0; done < N; done += BATCH) {
    for (const s of series) {
      const c0 = cpuSeconds(server.child.pid);
      for (let i = 0; i < BATCH; i++) await s.op();
      s.cpu += cpuSeconds(server.child.pid) - c0;
    }
  }
  const baseline = (series[0].cpu / N) * 1e6;
  for (const s of series) {
    const us = (s.cpu / N) * 1e6;
    console.log(`${s.label.padEnd(42)} ${us.toFixed(1).padStart(8)} µs server CPU/req  ${(us / baseline).toFixed(2)}x baseline`);
  }
  console.log(`(${N} requests per series, alternating batches of ${BATCH}, one server)`);
} finally {
  server.child.kill("SIGTERM");
}
