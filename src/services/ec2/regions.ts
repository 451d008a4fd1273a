// The regions and availability zones Nimbus's EC2 presents: AWS's commercial regions with
// their opt-in status, and each region's usual zones.
export interface RegionInfo {
  name: string;
  optIn: boolean;
  zones: string[];
}

const ZONES: Record<string, string> = {
  "us-east-1": "abcdef",
  "us-west-1": "bc",
  "us-west-2": "abcd",
  "ap-northeast-1": "acd",
  "ap-northeast-2": "abcd",
  "ca-central-1": "abd",
};

const STANDARD = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
  "ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "sa-east-1",
];
const OPT_IN = [
  "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
  "ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
];

export const REGIONS: RegionInfo[] = [
  ...STANDARD.map((name) => ({ name, optIn: false, zones: [...(ZONES[name] ?? "abc")].map((z) => name + z) })),
  ...OPT_IN.map((name) => ({ name, optIn: true, zones: [...(ZONES[name] ?? "abc")].map((z) => name + z) })),
];

export function regionInfo(name: string): RegionInfo | undefined {
  return REGIONS.find((r) => r.name === name);
}

/** us-east-1 -> use1, ap-northeast-2 -> apne2 (the prefix of zone ids such as use1-az4). */
export function regionCode(region: string): string {
  const [geo, direction, num] = region.split("-");
  const dir = direction.replace(/north/g, "n").replace(/south/g, "s").replace(/east/g, "e").replace(/west/g, "w").replace(/central/g, "c");
  return `${geo}${dir}${num}`;
}

export function zoneId(zoneName: string): string {
  const region = zoneName.slice(0, -1);
  const info = regionInfo(region);
  const index = info ? info.zones.indexOf(zoneName) : 0;
  return `${regionCode(region)}-az${index + 1}`;
}
