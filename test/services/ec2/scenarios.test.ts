// The issue's proof scenarios that run instances:
// 1. (boto3) three instances in one security group each serve a file named after their index
//    with `python3 -m http.server 8000`: unreachable from the host until the inbound rule for
//    8000 is added, then each public IP serves its own file; a terminated one stops answering.
// 2. (SDK) an instance whose user data starts a web server; CreateImage; an instance from that
//    AMI serves the same page.
// 4. (SDK) a spot instance sees the interruption notice in IMDS and is then stopped.
// 5. (SDK) a program in an instance calls S3 with the instance profile's credentials from IMDS
//    and is allowed or denied by the role's policies.
import {
  AuthorizeSecurityGroupIngressCommand, CreateImageCommand, CreateSecurityGroupCommand, DeregisterImageCommand, DescribeImagesCommand, DescribeSpotPriceHistoryCommand,
  EC2Client, RunInstancesCommand, StopInstancesCommand, TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { PYTHON, useClients } from "../../clients/support.js";
import { canRunInstances, consoleText, httpGet, leftovers, ubuntu, waitFor, waitState } from "./instance-helpers.js";
import { fail } from "./helpers.js";

const skip = canRunInstances();

let n: TestNimbus;
beforeAll(async () => {
  if (!skip) n = await startNimbus();
});
afterAll(async () => {
  if (n) await n.stop();
});
const clients = useClients(() => n.endpoint);

const SCENARIO_1 = String.raw`
import boto3, json, sys, time, urllib.request
endpoint = sys.argv[1]
ec2 = boto3.client("ec2", endpoint_url=endpoint)

def get(url):
    try:
        return urllib.request.urlopen(url, timeout=2).read().decode()
    except Exception as e:
        return None

def until(fn, seconds=60):
    end = time.time() + seconds
    while time.time() < end:
        v = fn()
        if v is not None:
            return v
        time.sleep(0.1)
    return None

ami = ec2.describe_images(Owners=["099720109477"], Filters=[{"Name": "name", "Values": ["ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"]}])["Images"][0]["ImageId"]
sg = ec2.create_security_group(GroupName="web-servers", Description="three web servers")["GroupId"]
user_data = """#!/bin/bash
IDX=$(curl -s http://169.254.169.254/latest/meta-data/ami-launch-index)
mkdir -p /srv/www && cd /srv/www
echo "served by instance $IDX" > "$IDX.txt"
nohup python3 -m http.server 8000 > /var/log/web.log 2>&1 &
echo "serving $IDX"
"""
res = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=3, MaxCount=3, SecurityGroupIds=[sg], UserData=user_data)
ids = [i["InstanceId"] for i in res["Instances"]]
ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
insts = sorted([i for r in ec2.describe_instances(InstanceIds=ids)["Reservations"] for i in r["Instances"]], key=lambda i: i["AmiLaunchIndex"])
ips = [i["PublicIpAddress"] for i in insts]
# Wait until each instance serves inside (its console says so), then probe from the host.
def console_ready(i):
    out = ec2.get_console_output(InstanceId=i["InstanceId"]).get("Output", "")
    return True if "serving %d" % i["AmiLaunchIndex"] in out else None
for i in insts:
    until(lambda: console_ready(i))
before = [get("http://%s:8000/%d.txt" % (ip, k)) for k, ip in enumerate(ips)]
ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
after = [until(lambda: get("http://%s:8000/%d.txt" % (ip, k))) for k, ip in enumerate(ips)]
others = [get("http://%s:8000/%d.txt" % (ip, (k + 1) % 3)) for k, ip in enumerate(ips)]
ec2.terminate_instances(InstanceIds=[insts[0]["InstanceId"]])
ec2.get_waiter("instance_terminated").wait(InstanceIds=[insts[0]["InstanceId"]], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
gone = get("http://%s:8000/0.txt" % ips[0])
still = get("http://%s:8000/1.txt" % ips[1])
ec2.terminate_instances(InstanceIds=ids[1:])
ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
print(json.dumps({"ids": ids, "ips": ips, "before": before, "after": after, "others": others, "gone": gone, "still": still}))
`;

describe.skipIf(!!skip || !PYTHON)(`EC2 scenarios${skip ? ` (skipped: ${skip})` : !PYTHON ? " (skipped: no python3 with boto3)" : ""}`, () => {
  it("1 (boto3): three web servers answer only once port 8000 is opened, each with its own file", async () => {
    const r = await clients.python(freshAccount(), SCENARIO_1, n.endpoint);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { ids: string[]; ips: string[]; before: unknown[]; after: string[]; others: unknown[]; gone: unknown; still: string };
    expect(new Set(out.ips).size).toBe(3);
    for (const ip of out.ips) expect(ip).toMatch(/^127\./);
    expect(out.before).toEqual([null, null, null]);
    expect(out.after).toEqual(["served by instance 0\n", "served by instance 1\n", "served by instance 2\n"]);
    // Each public IP serves its own instance's directory: the others' files are not there.
    expect(out.others).toEqual([null, null, null]);
    expect(out.gone).toBeNull();
    expect(out.still).toBe("served by instance 1\n");
    for (const id of out.ids) expect(leftovers(id)).toEqual([]);
  });

  it("5 (SDK): a program in the instance reads S3 with the instance profile's credentials, as the role's policy allows", async () => {
    const account = freshAccount();
    const cfg = sdkConfig(n.endpoint, { accountId: account });
    const iam = new IAMClient(cfg);
    const s3 = new S3Client(cfg);
    const ec2 = new EC2Client(cfg);
    const bucket = `scenario5-${account}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "public/hello.txt", Body: "allowed object" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "private/secret.txt", Body: "secret" }));
    await iam.send(new CreateRoleCommand({
      RoleName: "app-role",
      AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
    }));
    await iam.send(new PutRolePolicyCommand({
      RoleName: "app-role", PolicyName: "read-public",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [
        { Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/public/*` },
        { Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${bucket}/uploads/*` },
      ] }),
    }));
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: "app-profile" }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "app-profile", RoleName: "app-role" }));

    // The program uses the SDK's default credential chain (IMDS) and the endpoint the instance is given.
    const program = `#!/bin/sh
. /etc/profile.d/nimbus-aws.sh
M=http://169.254.169.254/latest/meta-data
echo "role=$(curl -s $M/iam/security-credentials/)"
cat > /tmp/app.py <<'EOF'
import boto3, os
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
print("arn=" + boto3.client("sts", endpoint_url=os.environ["AWS_ENDPOINT_URL"]).get_caller_identity()["Arn"])
print("public=" + s3.get_object(Bucket="${bucket}", Key="public/hello.txt")["Body"].read().decode())
try:
    s3.get_object(Bucket="${bucket}", Key="private/secret.txt")
    print("private=read")
except Exception as e:
    print("private=" + e.response["Error"]["Code"])
s3.put_object(Bucket="${bucket}", Key="uploads/from-instance.txt", Body=b"written inside")
print("upload=ok")
EOF
python3 /tmp/app.py 2>&1
`;
    const r = await ec2.send(new RunInstancesCommand({
      ImageId: await ubuntu(ec2), InstanceType: "t3.small", MinCount: 1, MaxCount: 1, IamInstanceProfile: { Name: "app-profile" }, UserData: Buffer.from(program).toString("base64"),
    }));
    const inst = r.Instances![0];
    expect(inst.IamInstanceProfile?.Arn).toBe(`arn:aws:iam::${account}:instance-profile/app-profile`);
    const text = await waitFor(async () => {
      const t = await consoleText(ec2, inst.InstanceId!);
      return /Cloud-init v\. [\d.]+ finished/.test(t) ? t : undefined;
    });
    expect(text).toContain("role=app-role");
    expect(text).toContain(`arn=arn:aws:sts::${account}:assumed-role/app-role/${inst.InstanceId}`);
    expect(text).toContain("public=allowed object");
    expect(text).toContain("private=AccessDenied");
    expect(text).toContain("upload=ok");
    const up = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "uploads/from-instance.txt" }));
    expect(await up.Body!.transformToString()).toBe("written inside");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
  });

  it("2 (SDK): an AMI cut from a running web server launches a copy that serves the same page", async () => {
    const account = freshAccount();
    const ec2 = new EC2Client(sdkConfig(n.endpoint, { accountId: account }));
    const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "web" }));
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg.GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    const userData = `#!/bin/sh
mkdir -p /var/www && echo "page made on $(hostname) at $(date +%s%N)" > /var/www/index.html
printf '#!/bin/sh\\ncd /var/www && nohup python3 -m http.server 80 >/dev/null 2>&1 &\\n' > /etc/rc.local && chmod +x /etc/rc.local
/etc/rc.local
`;
    const r = await ec2.send(new RunInstancesCommand({ ImageId: await ubuntu(ec2), MinCount: 1, MaxCount: 1, SecurityGroupIds: [sg.GroupId!], UserData: Buffer.from(userData).toString("base64") }));
    const first = r.Instances![0];
    const ip1 = (await waitState(ec2, first.InstanceId!, "running")).PublicIpAddress!;
    const page = await waitFor(() => httpGet(`http://${ip1}/index.html`).catch(() => undefined));
    expect(page).toMatch(/^page made on ip-/);

    const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: first.InstanceId, Name: "web-server-v1", Description: "web server" }));
    expect(ImageId).toMatch(/^ami-[0-9a-f]{17}$/);
    const dup = await fail(ec2.send(new CreateImageCommand({ InstanceId: first.InstanceId, Name: "web-server-v1" })));
    expect([dup.name, dup.message]).toEqual(["InvalidAMIName.Duplicate", `AMI name web-server-v1 is already in use by AMI ${ImageId}`]);
    const image = await waitFor(async () => {
      const i = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0];
      return i.State === "available" ? i : undefined;
    });
    expect(image).toMatchObject({ Name: "web-server-v1", OwnerId: account, Public: false, SourceInstanceId: first.InstanceId, RootDeviceType: "ebs" });
    expect((await ec2.send(new DescribeImagesCommand({ Owners: ["self"] }))).Images!.map((i) => i.ImageId)).toEqual([ImageId]);
    // CreateImage rebooted the source (no NoReboot): it serves again through its rc.local.
    expect(await waitFor(() => httpGet(`http://${ip1}/index.html`).catch(() => undefined))).toBe(page);

    const copy = await ec2.send(new RunInstancesCommand({ ImageId, MinCount: 1, MaxCount: 1, SecurityGroupIds: [sg.GroupId!] }));
    const ip2 = (await waitState(ec2, copy.Instances![0].InstanceId!, "running")).PublicIpAddress!;
    expect(ip2).not.toBe(ip1);
    expect(await waitFor(() => httpGet(`http://${ip2}/index.html`).catch(() => undefined))).toBe(page);

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first.InstanceId!, copy.Instances![0].InstanceId!] }));
    await ec2.send(new DeregisterImageCommand({ ImageId }));
    const gone = await fail(ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] })));
    expect([gone.name, gone.message]).toEqual(["InvalidAMIID.NotFound", `The image id '[${ImageId}]' does not exist`]);
  });

  it("4 (SDK): a spot instance sees the two-minute notice in IMDS, then is stopped as its interruption behaviour says", async () => {
    const ec2 = new EC2Client(sdkConfig(n.endpoint, { accountId: freshAccount() }));
    const ami = await ubuntu(ec2);
    const oneTimeStop = await fail(ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, InstanceMarketOptions: { MarketType: "spot", SpotOptions: { InstanceInterruptionBehavior: "stop" } } })));
    expect(oneTimeStop.name).toBe("InvalidParameterCombination");
    const watcher = `#!/bin/sh
M=http://169.254.169.254/latest/meta-data
for i in $(seq 1 1200); do A=$(curl -s -f $M/spot/instance-action) && { echo "notice=$A"; echo "termination-time=$(curl -s $M/spot/termination-time)"; break; }; sleep 0.1; done
`;
    const r = await ec2.send(new RunInstancesCommand({
      ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, UserData: Buffer.from(watcher).toString("base64"),
      InstanceMarketOptions: { MarketType: "spot", SpotOptions: { SpotInstanceType: "persistent", InstanceInterruptionBehavior: "stop" } },
    }));
    const inst = r.Instances![0];
    expect(inst.InstanceLifecycle).toBe("spot");
    expect(inst.SpotInstanceRequestId).toMatch(/^sir-/);
    await waitState(ec2, inst.InstanceId!, "running");
    const chaos = await fetch(`${n.endpoint}/_nimbus/chaos`, { method: "POST", body: JSON.stringify({ service: "ec2", action: "interrupt-spot", instanceId: inst.InstanceId }) });
    expect(chaos.status).toBe(200);
    const posted = (await chaos.json()) as { action: string; time: string };
    expect(posted.action).toBe("stop");
    const text = await waitFor(async () => {
      const t = await consoleText(ec2, inst.InstanceId!);
      return t.includes("termination-time=") ? t : undefined;
    });
    expect(text).toContain(`notice={"action":"stop","time":"${posted.time}"}`);
    expect(text).toContain(`termination-time=${posted.time}`);
    // Still running during the notice; two minutes of Nimbus time later it is stopped.
    expect((await waitState(ec2, inst.InstanceId!, "running")).State!.Code).toBe(16);
    await fetch(`${n.endpoint}/_nimbus/clock`, { method: "POST", body: JSON.stringify({ advance: "PT2M" }) });
    const stopped = await waitState(ec2, inst.InstanceId!, "stopped");
    expect(stopped.StateReason).toEqual({ Code: "Server.SpotInstanceShutdown", Message: "Server.SpotInstanceShutdown: Spot instance shutdown" });
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst.InstanceId!] }));

    // A one-time spot instance cannot be stopped by the user.
    const once = await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, InstanceMarketOptions: { MarketType: "spot" } }));
    const stopErr = await fail(ec2.send(new StopInstancesCommand({ InstanceIds: [once.Instances![0].InstanceId!] })));
    expect(stopErr.name).toBe("UnsupportedOperation");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [once.Instances![0].InstanceId!] }));

    const prices = await ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ["m5.large"], ProductDescriptions: ["Linux/UNIX"], StartTime: new Date(Date.now() - 6 * 3600_000) }));
    const points = prices.SpotPriceHistory!;
    expect(points.length).toBeGreaterThanOrEqual(6 * 6);
    for (const p of points) {
      expect(p.InstanceType).toBe("m5.large");
      expect(Number(p.SpotPrice)).toBeGreaterThan(0);
      expect(Number(p.SpotPrice)).toBeLessThan(0.096);
    }
    expect(points[0].Timestamp!.getTime()).toBeGreaterThanOrEqual(points[points.length - 1].Timestamp!.getTime());
  });

  it("RunInstances refuses an instance profile that does not exist", async () => {
    const ec2 = new EC2Client(sdkConfig(n.endpoint, { accountId: freshAccount() }));
    const e = await ec2.send(new RunInstancesCommand({ ImageId: await ubuntu(ec2), MinCount: 1, MaxCount: 1, IamInstanceProfile: { Name: "missing" } })).then(
      () => undefined,
      (err: Error) => err,
    );
    expect([e?.name, e?.message]).toEqual(["InvalidParameterValue", "Value (missing) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name"]);
  });
});
