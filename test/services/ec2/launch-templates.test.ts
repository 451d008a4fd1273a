// Launch templates: versions ($Latest, $Default, numbers, SourceVersion inheritance), the default
// version, describe filters and errors, and RunInstances from a template with explicit
// parameters overriding the template's (the instance record shows the merge; no instance needs
// to boot for that, so this runs everywhere; the boot itself is covered by the instance tests).
import {
  CreateLaunchTemplateCommand, CreateLaunchTemplateVersionCommand, CreateSecurityGroupCommand, DeleteLaunchTemplateCommand, DeleteLaunchTemplateVersionsCommand,
  DescribeImagesCommand, DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand, DescribeVolumesCommand, EC2Client, ModifyLaunchTemplateCommand,
  RunInstancesCommand, TerminateInstancesCommand, DescribeVpcsCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { fail } from "./helpers.js";
import { AWS, failed, ok, useClients } from "../../clients/support.js";
import { waitState } from "./instance-helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(async () => {
  await n?.stop();
});

const clients = useClients(() => n.endpoint);
const client = (accountId = freshAccount()) => new EC2Client(sdkConfig(n.endpoint, { accountId, region: "us-east-1" }));
const b64 = (s: string) => Buffer.from(s).toString("base64");

async function ubuntuAmi(ec2: EC2Client): Promise<string> {
  const out = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: ["ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"] }] }));
  return out.Images![0].ImageId!;
}

describe("launch templates", () => {
  it("creates versions, inherits from a source version, moves the default and describes them", async () => {
    const ec2 = client();
    const ami = await ubuntuAmi(ec2);
    const created = await ec2.send(new CreateLaunchTemplateCommand({
      LaunchTemplateName: "web-tier",
      VersionDescription: "first",
      LaunchTemplateData: { ImageId: ami, InstanceType: "t3.micro", UserData: b64("#!/bin/sh\necho v1\n"), TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "tier", Value: "web" }] }] },
      TagSpecifications: [{ ResourceType: "launch-template", Tags: [{ Key: "team", Value: "a" }] }],
    }));
    const lt = created.LaunchTemplate!;
    expect(lt.LaunchTemplateId).toMatch(/^lt-[0-9a-f]{17}$/);
    expect(lt).toMatchObject({ LaunchTemplateName: "web-tier", DefaultVersionNumber: 1, LatestVersionNumber: 1, Tags: [{ Key: "team", Value: "a" }] });
    expect(lt.CreatedBy).toMatch(/^arn:aws:iam::\d{12}:root$/);
    const dup = await fail(ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: "web-tier", LaunchTemplateData: { InstanceType: "t3.micro" } })));
    expect(dup.name).toBe("InvalidLaunchTemplateName.AlreadyExistsException");

    // Version 2 from version 1: keeps the image and user data, changes the type.
    const v2 = await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt.LaunchTemplateId, SourceVersion: "1", VersionDescription: "bigger", LaunchTemplateData: { InstanceType: "t3.small" } }));
    expect(v2.LaunchTemplateVersion).toMatchObject({ VersionNumber: 2, DefaultVersion: false, VersionDescription: "bigger" });
    expect(v2.LaunchTemplateVersion!.LaunchTemplateData).toMatchObject({ ImageId: ami, InstanceType: "t3.small", UserData: b64("#!/bin/sh\necho v1\n") });
    // Version 3 from nothing: only what it says.
    const v3 = await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateName: "web-tier", LaunchTemplateData: { InstanceType: "t2.micro" } }));
    expect(v3.LaunchTemplateVersion!.LaunchTemplateData!.ImageId).toBeUndefined();

    const latest = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lt.LaunchTemplateId, Versions: ["$Latest", "$Default"] }));
    expect(latest.LaunchTemplateVersions!.map((v) => [v.VersionNumber, v.DefaultVersion])).toEqual([[1, true], [3, false]]);
    const all = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: "web-tier", MinVersion: "2" }));
    expect(all.LaunchTemplateVersions!.map((v) => v.VersionNumber)).toEqual([2, 3]);
    const small = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lt.LaunchTemplateId, Filters: [{ Name: "instance-type", Values: ["t3.small"] }] }));
    expect(small.LaunchTemplateVersions!.map((v) => v.VersionNumber)).toEqual([2]);
    const missing = await fail(ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lt.LaunchTemplateId, Versions: ["9"] })));
    expect(missing.name).toBe("InvalidLaunchTemplateId.VersionNotFound");

    const modified = await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: lt.LaunchTemplateId, DefaultVersion: "2" }));
    expect(modified.LaunchTemplate).toMatchObject({ DefaultVersionNumber: 2, LatestVersionNumber: 3 });
    const del = await ec2.send(new DeleteLaunchTemplateVersionsCommand({ LaunchTemplateId: lt.LaunchTemplateId, Versions: ["2", "3", "7"] }));
    expect(del.SuccessfullyDeletedLaunchTemplateVersions!.map((v) => v.VersionNumber)).toEqual([3]);
    expect(del.UnsuccessfullyDeletedLaunchTemplateVersions!.map((v) => v.VersionNumber)).toEqual([2, 7]);

    const byName = await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ["web-tier"] }));
    expect(byName.LaunchTemplates!.map((t) => [t.LaunchTemplateId, t.DefaultVersionNumber, t.LatestVersionNumber])).toEqual([[lt.LaunchTemplateId, 2, 3]]);
    const byTag = await ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: "tag:team", Values: ["a"] }] }));
    expect(byTag.LaunchTemplates!.map((t) => t.LaunchTemplateName)).toEqual(["web-tier"]);
    expect((await fail(ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ["nope"] })))).name).toBe("InvalidLaunchTemplateName.NotFoundException");
    expect((await fail(ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: ["lt-0123456789abcdef0"] })))).name).toBe("InvalidLaunchTemplateId.NotFound");
    expect((await fail(ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: ["template-1"] })))).name).toBe("InvalidLaunchTemplateId.Malformed");

    const gone = await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: "web-tier" }));
    expect(gone.LaunchTemplate!.LaunchTemplateId).toBe(lt.LaunchTemplateId);
    expect((await ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates).toEqual([]);
  });

  it("RunInstances merges the template's data under its own parameters ($Default, $Latest, numbers)", async () => {
    const ec2 = client();
    const ami = await ubuntuAmi(ec2);
    const vpc = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }))).Vpcs![0];
    const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "from-template", Description: "lt", VpcId: vpc.VpcId }));
    const lt = (await ec2.send(new CreateLaunchTemplateCommand({
      LaunchTemplateName: "app",
      LaunchTemplateData: {
        ImageId: ami, InstanceType: "t3.micro", SecurityGroupIds: [sg.GroupId!], DisableApiTermination: false,
        BlockDeviceMappings: [{ DeviceName: "/dev/sdf", Ebs: { VolumeSize: 3, VolumeType: "gp3", DeleteOnTermination: true } }],
        TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "from", Value: "template" }] }],
        MetadataOptions: { HttpTokens: "required" },
      },
    }))).LaunchTemplate!;
    await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt.LaunchTemplateId, SourceVersion: "$Latest", LaunchTemplateData: { InstanceType: "t3.small" } }));

    // $Default (version 1), with the call's own type and tags replacing the template's.
    const r1 = await ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateName: "app" }, InstanceType: "t2.micro", TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "from", Value: "call" }] }] }));
    const i1 = r1.Instances![0];
    expect(i1).toMatchObject({ ImageId: ami, InstanceType: "t2.micro" });
    expect(i1.SecurityGroups!.map((g) => g.GroupId)).toEqual([sg.GroupId]);
    expect(i1.MetadataOptions!.HttpTokens).toBe("required");
    const tags1 = Object.fromEntries(i1.Tags!.map((t) => [t.Key, t.Value]));
    expect(tags1).toEqual({ from: "call", "aws:ec2launchtemplate:id": lt.LaunchTemplateId, "aws:ec2launchtemplate:version": "1" });
    expect(i1.BlockDeviceMappings!.map((m) => m.DeviceName)).toEqual([i1.RootDeviceName, "/dev/sdf"]);
    const vols = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [i1.InstanceId!] }, { Name: "attachment.device", Values: ["/dev/sdf"] }] }));
    expect(vols.Volumes![0]).toMatchObject({ Size: 3, VolumeType: "gp3" });

    // $Latest (version 2) by id, and an explicit number.
    const r2 = await ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplateId, Version: "$Latest" } }));
    expect(r2.Instances![0].InstanceType).toBe("t3.small");
    expect(r2.Instances![0].Tags!.find((t) => t.Key === "from")?.Value).toBe("template");
    const r3 = await ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplateId, Version: "1" } }));
    expect(r3.Instances![0].InstanceType).toBe("t3.micro");

    const bad = await fail(ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplateId, Version: "8" } })));
    expect(bad.name).toBe("InvalidLaunchTemplateId.VersionNotFound");
    const noName = await fail(ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateName: "missing" } })));
    expect(noName.name).toBe("InvalidLaunchTemplateName.NotFoundException");

    const ids = [i1.InstanceId!, r2.Instances![0].InstanceId!, r3.Instances![0].InstanceId!];
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
    for (const id of ids) await waitState(ec2, id, "terminated");
  });

  it.skipIf(!AWS)("works from the aws CLI", async () => {
    const account = freshAccount();
    const made = ok(await clients.aws(account, "ec2", "create-launch-template", "--launch-template-name", "cli-lt", "--launch-template-data", JSON.stringify({ InstanceType: "t3.nano" })));
    expect(made.LaunchTemplate.LaunchTemplateName).toBe("cli-lt");
    ok(await clients.aws(account, "ec2", "create-launch-template-version", "--launch-template-name", "cli-lt", "--source-version", "1", "--launch-template-data", JSON.stringify({ InstanceType: "t3.large" })));
    const versions = ok(await clients.aws(account, "ec2", "describe-launch-template-versions", "--launch-template-name", "cli-lt"));
    expect(versions.LaunchTemplateVersions.map((v: { VersionNumber: number; LaunchTemplateData: { InstanceType: string } }) => [v.VersionNumber, v.LaunchTemplateData.InstanceType])).toEqual([[1, "t3.nano"], [2, "t3.large"]]);
    const dup = failed(await clients.aws(account, "ec2", "create-launch-template", "--launch-template-name", "cli-lt", "--launch-template-data", JSON.stringify({ InstanceType: "t3.nano" })));
    expect(dup).toContain("InvalidLaunchTemplateName.AlreadyExistsException");
  });
});
