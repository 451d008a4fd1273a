// Spot Instance requests: RequestSpotInstances (one-time and persistent), the request state
// machine (open/pending-evaluation -> active/fulfilled, price-too-low, cancelled), the
// interruption chaos marking the request (marked-for-*, then closed, disabled or relaunched),
// DescribeSpotInstanceRequests filters and errors, and RunInstances' own spot requests.
import {
  CancelSpotInstanceRequestsCommand, DescribeSpotInstanceRequestsCommand, EC2Client, RequestSpotInstancesCommand, RunInstancesCommand, StartInstancesCommand,
  TerminateInstancesCommand, type SpotInstanceRequest,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advanceClock, freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { fail } from "./helpers.js";
import { canRunInstances, describeOne, ubuntu, waitFor, waitState } from "./instance-helpers.js";

const skip = canRunInstances();

let n: TestNimbus;
beforeAll(async () => {
  if (!skip) n = await startNimbus();
});
afterAll(async () => {
  if (n) await n.stop();
});

const client = (accountId = freshAccount()) => new EC2Client(sdkConfig(n.endpoint, { accountId, region: "us-east-1" }));

async function request(ec2: EC2Client, id: string): Promise<SpotInstanceRequest> {
  return (await ec2.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [id] }))).SpotInstanceRequests![0];
}

const until = (ec2: EC2Client, id: string, state: string, code: string) =>
  waitFor(async () => {
    const r = await request(ec2, id);
    return r.State === state && r.Status?.Code === code ? r : undefined;
  }, `${id} ${state}/${code}`);

async function chaos(instanceId: string): Promise<void> {
  const r = await fetch(`${n.endpoint}/_nimbus/chaos`, { method: "POST", body: JSON.stringify({ service: "ec2", action: "interrupt-spot", instanceId }) });
  expect(r.status).toBe(200);
}

describe.skipIf(!!skip)(`spot instance requests${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("fulfils one-time requests at a high enough price, leaves a low one open, and cancels both kinds", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const out = await ec2.send(new RequestSpotInstancesCommand({
      InstanceCount: 2, SpotPrice: "1.00", LaunchSpecification: { ImageId: ami, InstanceType: "t3.micro" },
      TagSpecifications: [{ ResourceType: "spot-instances-request", Tags: [{ Key: "job", Value: "batch" }] }],
    }));
    expect(out.SpotInstanceRequests).toHaveLength(2);
    for (const r of out.SpotInstanceRequests!) {
      expect(r.SpotInstanceRequestId).toMatch(/^sir-[0-9a-f]{8}$/);
      expect(r).toMatchObject({ State: "open", Type: "one-time", SpotPrice: "1.00", ProductDescription: "Linux/UNIX", InstanceInterruptionBehavior: "terminate", Tags: [{ Key: "job", Value: "batch" }] });
      expect(r.Status!.Code).toBe("pending-evaluation");
    }
    const active = await until(ec2, out.SpotInstanceRequests![0].SpotInstanceRequestId!, "active", "fulfilled");
    expect(active.InstanceId).toMatch(/^i-/);
    expect(active.LaunchedAvailabilityZone).toMatch(/^us-east-1[a-f]$/);
    const inst = await describeOne(ec2, active.InstanceId!);
    expect(inst).toMatchObject({ InstanceLifecycle: "spot", SpotInstanceRequestId: active.SpotInstanceRequestId, InstanceType: "t3.micro", ImageId: ami });
    await until(ec2, out.SpotInstanceRequests![1].SpotInstanceRequestId!, "active", "fulfilled");

    const low = (await ec2.send(new RequestSpotInstancesCommand({ SpotPrice: "0.0001", LaunchSpecification: { ImageId: ami, InstanceType: "m5.large" } }))).SpotInstanceRequests![0];
    await until(ec2, low.SpotInstanceRequestId!, "open", "price-too-low");

    const filtered = await ec2.send(new DescribeSpotInstanceRequestsCommand({ Filters: [{ Name: "state", Values: ["active"] }, { Name: "tag:job", Values: ["batch"] }] }));
    expect(filtered.SpotInstanceRequests!.map((r) => r.SpotInstanceRequestId).sort()).toEqual(out.SpotInstanceRequests!.map((r) => r.SpotInstanceRequestId).sort());

    const cancelled = await ec2.send(new CancelSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [low.SpotInstanceRequestId!, active.SpotInstanceRequestId!] }));
    expect(cancelled.CancelledSpotInstanceRequests).toEqual([
      { SpotInstanceRequestId: low.SpotInstanceRequestId, State: "cancelled" },
      { SpotInstanceRequestId: active.SpotInstanceRequestId, State: "cancelled" },
    ]);
    expect((await request(ec2, low.SpotInstanceRequestId!)).Status!.Code).toBe("canceled-before-fulfillment");
    expect((await request(ec2, active.SpotInstanceRequestId!)).Status!.Code).toBe("request-canceled-and-instance-running");
    // Cancelling a request leaves its instance running, as on AWS.
    expect((await describeOne(ec2, active.InstanceId!)).State!.Name).not.toMatch(/terminated|shutting-down/);

    const missing = await fail(ec2.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: ["sir-12345678"] })));
    expect(missing.name).toBe("InvalidSpotInstanceRequestID.NotFound");
    const combo = await fail(ec2.send(new RequestSpotInstancesCommand({ InstanceInterruptionBehavior: "stop", LaunchSpecification: { ImageId: ami } })));
    expect(combo.name).toBe("InvalidParameterCombination");
    const ids = (await ec2.send(new DescribeSpotInstanceRequestsCommand({}))).SpotInstanceRequests!.map((r) => r.InstanceId).filter((x): x is string => !!x);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
  });

  it("an interruption marks the request, then disables a persistent stop request (active again at start) and relaunches a persistent terminate one", async () => {
    const ec2 = client();
    const ami = await ubuntu(ec2);
    const stopReq = (await ec2.send(new RequestSpotInstancesCommand({ Type: "persistent", InstanceInterruptionBehavior: "stop", LaunchSpecification: { ImageId: ami, InstanceType: "t3.micro" } }))).SpotInstanceRequests![0];
    const termReq = (await ec2.send(new RequestSpotInstancesCommand({ Type: "persistent", LaunchSpecification: { ImageId: ami, InstanceType: "t3.micro" } }))).SpotInstanceRequests![0];
    const s1 = await until(ec2, stopReq.SpotInstanceRequestId!, "active", "fulfilled");
    const t1 = await until(ec2, termReq.SpotInstanceRequestId!, "active", "fulfilled");
    await waitState(ec2, s1.InstanceId!, "running");
    await waitState(ec2, t1.InstanceId!, "running");

    await chaos(s1.InstanceId!);
    await chaos(t1.InstanceId!);
    expect((await request(ec2, s1.SpotInstanceRequestId!)).Status!.Code).toBe("marked-for-stop");
    expect((await request(ec2, t1.SpotInstanceRequestId!)).Status!.Code).toBe("marked-for-termination");
    await advanceClock(n, "PT2M");

    await waitState(ec2, s1.InstanceId!, "stopped");
    await until(ec2, s1.SpotInstanceRequestId!, "disabled", "instance-stopped-no-capacity");
    await ec2.send(new StartInstancesCommand({ InstanceIds: [s1.InstanceId!] }));
    await until(ec2, s1.SpotInstanceRequestId!, "active", "fulfilled");

    await waitState(ec2, t1.InstanceId!, "terminated");
    const again = await waitFor(async () => {
      const r = await request(ec2, t1.SpotInstanceRequestId!);
      return r.State === "active" && r.InstanceId && r.InstanceId !== t1.InstanceId ? r : undefined;
    }, "relaunch");
    expect((await describeOne(ec2, again.InstanceId!)).SpotInstanceRequestId).toBe(t1.SpotInstanceRequestId);
    await ec2.send(new CancelSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [s1.SpotInstanceRequestId!, t1.SpotInstanceRequestId!] }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [s1.InstanceId!, again.InstanceId!] }));
  });

  it("RunInstances with spot market options makes a fulfilled request that DescribeSpotInstanceRequests knows", async () => {
    const ec2 = client();
    const r = await ec2.send(new RunInstancesCommand({ ImageId: await ubuntu(ec2), InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, InstanceMarketOptions: { MarketType: "spot", SpotOptions: { MaxPrice: "0.5" } } }));
    const inst = r.Instances![0];
    expect(inst.SpotInstanceRequestId).toMatch(/^sir-[0-9a-f]{8}$/);
    const req = await request(ec2, inst.SpotInstanceRequestId!);
    expect(req).toMatchObject({ State: "active", Type: "one-time", InstanceId: inst.InstanceId, SpotPrice: "0.5" });
    expect(req.Status!.Code).toBe("fulfilled");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    // Terminated by its user: the one-time request closes.
    await until(ec2, inst.SpotInstanceRequestId!, "closed", "instance-terminated-by-user");
  });
});
