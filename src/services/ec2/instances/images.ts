// AMIs: the public images every region offers (Amazon Linux 2023 and 2, Ubuntu 22.04 and 24.04,
// by their usual names and owners), and images an account registers (CreateImage). A public
// image's root is the host's own / (the namespace driver's lower layer); a custom image adds the
// upper directory it was cut from. Public AMI ids are derived from region and name: stable in
// one Nimbus, not AWS's ids (GAPS.md).
import type { Image } from "@aws-sdk/client-ec2";
import { createHash } from "node:crypto";
import type { Tag } from "@aws-sdk/client-ec2";

/** Documents of the account's own images (scoped to account and region). */
export const IMAGE_KIND = "ami";

export interface ImageDoc extends Omit<Image, "Tags"> {
  ImageId: string;
  Name: string;
  OwnerId: string;
  Tags?: Tag[];
  /** Directory holding the image's root layer (custom images), relative to the EC2 data dir. */
  layer?: string;
  /** The image it was cut from (layers stack). */
  parent?: string;
}

interface PublicImage {
  name: string;
  owner: string;
  alias: string;
  description: string;
  arch: "x86_64" | "arm64";
  created: string;
  rootDevice: string;
  volumeType: string;
}

const PUBLIC: PublicImage[] = [
  { name: "al2023-ami-2023.6.20241121.0-kernel-6.1-x86_64", owner: "137112412989", alias: "amazon", description: "Amazon Linux 2023 AMI 2023.6.20241121.0 x86_64 HVM kernel-6.1", arch: "x86_64", created: "2024-11-20T20:32:10.000Z", rootDevice: "/dev/xvda", volumeType: "gp3" },
  { name: "al2023-ami-2023.6.20241121.0-kernel-6.1-arm64", owner: "137112412989", alias: "amazon", description: "Amazon Linux 2023 AMI 2023.6.20241121.0 arm64 HVM kernel-6.1", arch: "arm64", created: "2024-11-20T20:32:12.000Z", rootDevice: "/dev/xvda", volumeType: "gp3" },
  { name: "amzn2-ami-kernel-5.10-hvm-2.0.20241113.1-x86_64-gp2", owner: "137112412989", alias: "amazon", description: "Amazon Linux 2 Kernel 5.10 AMI 2.0.20241113.1 x86_64 HVM gp2", arch: "x86_64", created: "2024-11-12T23:11:05.000Z", rootDevice: "/dev/xvda", volumeType: "gp2" },
  { name: "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20241002", owner: "099720109477", alias: "", description: "Canonical, Ubuntu, 22.04 LTS, amd64 jammy image build on 2024-10-02", arch: "x86_64", created: "2024-10-02T07:38:55.000Z", rootDevice: "/dev/sda1", volumeType: "gp2" },
  { name: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241004", owner: "099720109477", alias: "", description: "Canonical, Ubuntu, 24.04, amd64 noble image", arch: "x86_64", created: "2024-10-04T09:12:31.000Z", rootDevice: "/dev/sda1", volumeType: "gp3" },
];

export function publicImageId(region: string, name: string): string {
  return "ami-" + createHash("sha256").update(`${region}\0${name}`).digest("hex").slice(0, 17);
}

export function publicImages(region: string): ImageDoc[] {
  return PUBLIC.map((p) => {
    const ImageId = publicImageId(region, p.name);
    return {
      ImageId,
      ImageLocation: p.alias ? `${p.alias}/${p.name}` : `${p.owner}/${p.name}`,
      State: "available",
      OwnerId: p.owner,
      ImageOwnerAlias: p.alias || undefined,
      CreationDate: p.created,
      DeprecationTime: undefined,
      Public: true,
      Architecture: p.arch,
      ImageType: "machine",
      PlatformDetails: "Linux/UNIX",
      UsageOperation: "RunInstances",
      Name: p.name,
      Description: p.description,
      RootDeviceType: "ebs",
      RootDeviceName: p.rootDevice,
      VirtualizationType: "hvm",
      Hypervisor: "xen",
      EnaSupport: true,
      SriovNetSupport: "simple",
      BootMode: p.name.startsWith("al2023") ? "uefi-preferred" : undefined,
      ImdsSupport: p.name.startsWith("al2023") ? "v2.0" : undefined,
      BlockDeviceMappings: [
        {
          DeviceName: p.rootDevice,
          Ebs: { DeleteOnTermination: true, SnapshotId: "snap-" + createHash("sha256").update(`${region}\0${p.name}\0snap`).digest("hex").slice(0, 17), VolumeSize: 8, VolumeType: p.volumeType as "gp3", Encrypted: false, ...(p.volumeType === "gp3" ? { Iops: 3000, Throughput: 125 } : {}) },
        },
      ],
      Tags: [],
    };
  });
}

/** The default login user of an image by its name, as the real images have it. */
export function loginUserOf(name: string | undefined): string {
  const n = (name ?? "").toLowerCase();
  if (n.includes("ubuntu")) return "ubuntu";
  if (n.includes("debian")) return "admin";
  return "ec2-user";
}
