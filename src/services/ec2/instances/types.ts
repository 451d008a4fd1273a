// The instance types Nimbus offers, with AWS's published vCPU and memory figures (they become the
// machine's cgroup limits), and the DescribeInstanceTypes view of each.
import type { InstanceTypeInfo } from "@aws-sdk/client-ec2";

export interface TypeSpec {
  name: string;
  vcpus: number;
  memoryMiB: number;
  arch: "x86_64" | "arm64";
  hypervisor: "xen" | "nitro";
  burstable: boolean;
  network: string;
  enis: number;
  ipsPerEni: number;
  clockGhz: number;
  freeTier: boolean;
}

const SIZES = ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge"] as const;

function family(
  prefix: string,
  rows: Partial<Record<(typeof SIZES)[number], [vcpus: number, memGiB: number, network: string, enis: number, ipsPerEni: number]>>,
  common: Pick<TypeSpec, "arch" | "hypervisor" | "burstable" | "clockGhz">,
  freeTier: string[] = [],
): TypeSpec[] {
  return SIZES.filter((s) => rows[s]).map((s) => {
    const [vcpus, gib, network, enis, ipsPerEni] = rows[s]!;
    const name = `${prefix}.${s}`;
    return { name, vcpus, memoryMiB: Math.round(gib * 1024), network, enis, ipsPerEni, freeTier: freeTier.includes(name), ...common };
  });
}

const T3_ROWS = {
  nano: [2, 0.5, "Up to 5 Gigabit", 2, 2],
  micro: [2, 1, "Up to 5 Gigabit", 2, 2],
  small: [2, 2, "Up to 5 Gigabit", 3, 4],
  medium: [2, 4, "Up to 5 Gigabit", 3, 6],
  large: [2, 8, "Up to 5 Gigabit", 3, 12],
  xlarge: [4, 16, "Up to 5 Gigabit", 4, 15],
  "2xlarge": [8, 32, "Up to 5 Gigabit", 4, 15],
} as const;

export const INSTANCE_TYPES: TypeSpec[] = [
  // RunInstances' default type when none is given (previous generation).
  { name: "m1.small", vcpus: 1, memoryMiB: 1740, arch: "x86_64", hypervisor: "xen", burstable: false, network: "Low", enis: 2, ipsPerEni: 4, clockGhz: 2.0, freeTier: false },
  ...family(
    "t2",
    {
      nano: [1, 0.5, "Low to Moderate", 2, 2],
      micro: [1, 1, "Low to Moderate", 2, 2],
      small: [1, 2, "Low to Moderate", 3, 4],
      medium: [2, 4, "Low to Moderate", 3, 6],
      large: [2, 8, "Low to Moderate", 3, 12],
      xlarge: [4, 16, "Moderate", 3, 15],
      "2xlarge": [8, 32, "Moderate", 3, 15],
    },
    { arch: "x86_64", hypervisor: "xen", burstable: true, clockGhz: 2.3 },
    ["t2.micro"],
  ),
  ...family("t3", T3_ROWS as never, { arch: "x86_64", hypervisor: "nitro", burstable: true, clockGhz: 2.5 }, ["t3.micro"]),
  ...family("t3a", T3_ROWS as never, { arch: "x86_64", hypervisor: "nitro", burstable: true, clockGhz: 2.2 }),
  ...family("t4g", T3_ROWS as never, { arch: "arm64", hypervisor: "nitro", burstable: true, clockGhz: 2.5 }),
  ...family(
    "m5",
    { large: [2, 8, "Up to 10 Gigabit", 3, 10], xlarge: [4, 16, "Up to 10 Gigabit", 4, 15], "2xlarge": [8, 32, "Up to 10 Gigabit", 4, 15], "4xlarge": [16, 64, "Up to 10 Gigabit", 8, 30] },
    { arch: "x86_64", hypervisor: "nitro", burstable: false, clockGhz: 3.1 },
  ),
  ...family(
    "m6i",
    { large: [2, 8, "Up to 12.5 Gigabit", 3, 10], xlarge: [4, 16, "Up to 12.5 Gigabit", 4, 15], "2xlarge": [8, 32, "Up to 12.5 Gigabit", 4, 15], "4xlarge": [16, 64, "Up to 12.5 Gigabit", 8, 30] },
    { arch: "x86_64", hypervisor: "nitro", burstable: false, clockGhz: 3.5 },
  ),
  ...family(
    "c5",
    { large: [2, 4, "Up to 10 Gigabit", 3, 10], xlarge: [4, 8, "Up to 10 Gigabit", 4, 15], "2xlarge": [8, 16, "Up to 10 Gigabit", 4, 15], "4xlarge": [16, 32, "Up to 10 Gigabit", 8, 30] },
    { arch: "x86_64", hypervisor: "nitro", burstable: false, clockGhz: 3.4 },
  ),
  ...family(
    "r5",
    { large: [2, 16, "Up to 10 Gigabit", 3, 10], xlarge: [4, 32, "Up to 10 Gigabit", 4, 15], "2xlarge": [8, 64, "Up to 10 Gigabit", 4, 15], "4xlarge": [16, 128, "Up to 10 Gigabit", 8, 30] },
    { arch: "x86_64", hypervisor: "nitro", burstable: false, clockGhz: 3.1 },
  ),
];

const BY_NAME = new Map(INSTANCE_TYPES.map((t) => [t.name, t]));

export function instanceType(name: string): TypeSpec | undefined {
  return BY_NAME.get(name);
}

export function typeView(t: TypeSpec): InstanceTypeInfo {
  const threads = t.vcpus > 1 && !t.name.startsWith("t2") && t.arch === "x86_64" ? 2 : 1;
  return {
    InstanceType: t.name as InstanceTypeInfo["InstanceType"],
    CurrentGeneration: !t.name.startsWith("m1."),
    FreeTierEligible: t.freeTier,
    SupportedUsageClasses: ["on-demand", "spot"],
    SupportedRootDeviceTypes: ["ebs"],
    SupportedVirtualizationTypes: ["hvm"],
    BareMetal: false,
    Hypervisor: t.hypervisor,
    ProcessorInfo: { SupportedArchitectures: t.arch === "x86_64" && t.name.startsWith("t2") ? ["i386", "x86_64"] : [t.arch], SustainedClockSpeedInGhz: t.clockGhz },
    VCpuInfo: { DefaultVCpus: t.vcpus, DefaultCores: t.vcpus / threads, DefaultThreadsPerCore: threads },
    MemoryInfo: { SizeInMiB: t.memoryMiB },
    InstanceStorageSupported: false,
    EbsInfo: { EbsOptimizedSupport: t.hypervisor === "xen" ? "unsupported" : "default", EncryptionSupport: "supported", NvmeSupport: t.hypervisor === "xen" ? "unsupported" : "required" },
    NetworkInfo: {
      NetworkPerformance: t.network,
      MaximumNetworkInterfaces: t.enis,
      MaximumNetworkCards: 1,
      DefaultNetworkCardIndex: 0,
      Ipv4AddressesPerInterface: t.ipsPerEni,
      Ipv6AddressesPerInterface: t.ipsPerEni,
      Ipv6Supported: true,
      EnaSupport: t.hypervisor === "xen" ? "unsupported" : "required",
      EfaSupported: false,
      EncryptionInTransitSupported: false,
    },
    PlacementGroupInfo: { SupportedStrategies: ["partition", "spread"] },
    HibernationSupported: t.arch === "x86_64",
    BurstablePerformanceSupported: t.burstable,
    DedicatedHostsSupported: !t.burstable,
    AutoRecoverySupported: true,
    SupportedBootModes: t.arch === "arm64" ? ["uefi"] : ["legacy-bios", "uefi"],
  };
}
